/* The tile map: one square per province of 2025 on a grid that keeps each one near its neighbours, read
   region by region from north to south (no boundary file of the 34 provinces can be packaged, and tiles
   read better for small units). Drawn with Observable Plot (cell and text marks); colours from viridis,
   a sequential scale that colour-blind readers and grey-scale print can follow. */

import { figure, shortName } from "./format.js";

/* code -> [column, row, region]. Columns run west to east, rows north to south; docs/dashboard.md shows
   the grid. A change here moves a tile, nothing else. */
export const LAYOUT = {
  // Trung du và miền núi phía Bắc (northern midlands and mountains)
  "12": [1, 0, "Miền núi phía Bắc"], // Lai Châu
  "15": [2, 0, "Miền núi phía Bắc"], // Lào Cai
  "08": [3, 0, "Miền núi phía Bắc"], // Tuyên Quang
  "04": [4, 0, "Miền núi phía Bắc"], // Cao Bằng
  "11": [1, 1, "Miền núi phía Bắc"], // Điện Biên
  "25": [2, 1, "Miền núi phía Bắc"], // Phú Thọ
  "19": [3, 1, "Miền núi phía Bắc"], // Thái Nguyên
  "20": [4, 1, "Miền núi phía Bắc"], // Lạng Sơn
  "14": [1, 2, "Miền núi phía Bắc"], // Sơn La
  // Đồng bằng sông Hồng (Red River delta)
  "01": [2, 2, "Đồng bằng sông Hồng"], // Hà Nội
  "24": [3, 2, "Đồng bằng sông Hồng"], // Bắc Ninh
  "22": [4, 2, "Đồng bằng sông Hồng"], // Quảng Ninh
  "37": [2, 3, "Đồng bằng sông Hồng"], // Ninh Bình
  "33": [3, 3, "Đồng bằng sông Hồng"], // Hưng Yên
  "31": [4, 3, "Đồng bằng sông Hồng"], // Hải Phòng
  // Bắc Trung Bộ (north central coast)
  "38": [2, 4, "Bắc Trung Bộ"], // Thanh Hóa
  "40": [2, 5, "Bắc Trung Bộ"], // Nghệ An
  "42": [3, 6, "Bắc Trung Bộ"], // Hà Tĩnh
  "44": [3, 7, "Bắc Trung Bộ"], // Quảng Trị
  "46": [4, 8, "Bắc Trung Bộ"], // Huế
  // Duyên hải Nam Trung Bộ và Tây Nguyên (south central coast and highlands)
  "48": [4, 9, "Nam Trung Bộ, Tây Nguyên"], // Đà Nẵng
  "51": [4, 10, "Nam Trung Bộ, Tây Nguyên"], // Quảng Ngãi
  "52": [4, 11, "Nam Trung Bộ, Tây Nguyên"], // Gia Lai
  "66": [4, 12, "Nam Trung Bộ, Tây Nguyên"], // Đắk Lắk
  "68": [3, 13, "Nam Trung Bộ, Tây Nguyên"], // Lâm Đồng
  "56": [4, 13, "Nam Trung Bộ, Tây Nguyên"], // Khánh Hòa
  // Đông Nam Bộ (south-east)
  "75": [2, 13, "Đông Nam Bộ"], // Đồng Nai
  "80": [1, 14, "Đông Nam Bộ"], // Tây Ninh
  "79": [2, 14, "Đông Nam Bộ"], // Hồ Chí Minh
  // Đồng bằng sông Cửu Long (Mekong delta)
  "91": [0, 15, "Đồng bằng sông Cửu Long"], // An Giang
  "82": [1, 15, "Đồng bằng sông Cửu Long"], // Đồng Tháp
  "86": [2, 15, "Đồng bằng sông Cửu Long"], // Vĩnh Long
  "96": [0, 16, "Đồng bằng sông Cửu Long"], // Cà Mau
  "92": [1, 16, "Đồng bằng sông Cửu Long"], // Cần Thơ
};

export const MEASURES = {
  coverage: { field: "coverage_rate", label: "Tỷ lệ phủ (hoàn thành ÷ dân số trưởng thành)" },
  completion: { field: "completion_rate", label: "Tỷ lệ hoàn thành (hoàn thành ÷ người học)" },
};

const COLUMNS = 5;
const ROWS = 17;

/* The text colour that keeps 4.5:1 on a viridis fill at t (0 dark purple … 1 yellow). */
function inkOn(t) {
  return t < 0.55 ? "#ffffff" : "#111111";
}

/* Each province row with its place, the shown rate (or why it is empty), and the label ink. */
export function tiles(rows, measure) {
  const field = MEASURES[measure].field;
  const values = rows.map((r) => r[field]).filter((v) => v !== null && v !== undefined);
  const top = values.length ? Math.max(...values) : 1;
  return rows.map((row) => {
    const [col, line, region] = LAYOUT[row.code];
    const value = row[field];
    const withheld = row.learners === null;
    const missing = !withheld && (value === null || value === undefined); // e.g. no adult-population target
    const t = value === null || value === undefined ? 1 : top ? value / top : 0;
    return {
      code: row.code,
      name: row.name,
      label: shortName(row.name),
      col,
      line,
      region,
      value: withheld || missing ? null : value,
      state: withheld ? "withheld" : missing ? "missing" : "shown",
      ink: withheld || missing ? "#111111" : inkOn(t),
      shown: withheld || missing ? "" : figure("rate", value),
    };
  });
}

function why(tile, measure) {
  if (tile.state === "withheld") return "bị ẩn (quá ít người học để công bố)";
  if (tile.state === "missing") return measure === "coverage" ? "chưa có số dân trưởng thành" : "chưa có số liệu";
  return figure("rate", tile.value);
}

/* A Plot figure made ready for the page. Plot adds a <style> element to each figure; the page's CSP allows
   no inline style and dashboard.css holds the same rules, so it goes before the figure joins the page.
   The figure is one image named by `label` (the tables beside it carry the figures for screen readers):
   Plot's names of its inner groups ("cell", "text"…) are dropped, as ARIA allows no name on a plain group. */
export function tidy(node, label) {
  node.querySelectorAll("style").forEach((style) => style.remove());
  node.querySelectorAll("g[aria-label]").forEach((g) => g.removeAttribute("aria-label"));
  const svg = node.matches("svg") ? node : node.querySelector("svg");
  if (svg && label) {
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", label);
  }
  return node;
}

export function renderMap(container, rows, measure, onPick) {
  const data = tiles(rows, measure);
  const width = Math.max(300, Math.min(container.clientWidth || 420, 440));
  const cell = width / COLUMNS;
  const height = Math.round(cell * 0.72 * ROWS);
  const top = Math.max(0, ...data.map((d) => d.value ?? 0)) || 1;
  const title = (d) => `${d.name}: ${why(d, measure)}`;
  const common = { x: "col", y: "line", inset: 1.5, rx: 3, title };
  const svg = Plot.plot({
    width,
    height,
    margin: 0,
    padding: 0,
    className: "tilemap",
    ariaLabel: `Bản đồ ô 34 tỉnh, thành phố, tô màu theo ${MEASURES[measure].label.toLowerCase()}`,
    x: { axis: null, domain: d3.range(COLUMNS) },
    y: { axis: null, domain: d3.range(ROWS) },
    color: { type: "linear", scheme: "viridis", domain: [0, top] },
    marks: [
      Plot.cell(data.filter((d) => d.state === "shown"), { ...common, fill: "value", className: "tiles-shown" }),
      Plot.cell(data.filter((d) => d.state === "withheld"), { ...common, fill: "url(#hatch)", stroke: "#555", className: "tiles-withheld" }),
      Plot.cell(data.filter((d) => d.state === "missing"), { ...common, fill: "url(#dots)", stroke: "#555", className: "tiles-missing" }),
      Plot.text(data, {
        x: "col", y: "line", text: "label", fill: "ink", lineWidth: cell > 70 ? 6 : 5.5, fontSize: cell > 70 ? 12 : 10.5,
        dy: -5, className: "tile-names",
      }),
      Plot.text(data.filter((d) => d.state === "shown"), {
        x: "col", y: "line", text: "shown", fill: "ink", fontSize: cell > 70 ? 11 : 10, fontWeight: "bold",
        dy: 13, className: "tile-values",
      }),
    ],
  });
  tidy(svg, svg.getAttribute("aria-label"));
  // A click on a tile opens its communes (the table's buttons do the same from the keyboard).
  svg.querySelectorAll("g[class^='tiles-'] rect").forEach((rect) => {
    const name = rect.querySelector("title")?.textContent.split(":")[0];
    const tile = data.find((d) => d.name === name);
    if (!tile || !onPick) return;
    rect.classList.add("pickable");
    rect.addEventListener("click", () => onPick(tile.code));
  });
  container.replaceChildren(svg);
  return data;
}

/* The colour ramp (Plot's legend) and the swatches that say why a tile is empty. */
export function renderLegend(container, rows, measure, k) {
  const data = tiles(rows, measure);
  const top = Math.max(0, ...data.map((d) => d.value ?? 0)) || 1;
  const ramp = Plot.legend({
    color: { type: "linear", scheme: "viridis", domain: [0, top] },
    label: MEASURES[measure].label,
    tickFormat: (v) => figure("rate", v),
    ticks: 4,
    width: 300,
    className: "tilemap-legend",
  });
  tidy(ramp, `Thang màu của ${MEASURES[measure].label.toLowerCase()}: từ 0 % (tím sẫm) đến ${figure("rate", top)} (vàng)`);
  const swatch = (pattern) => {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("width", "22");
    svg.setAttribute("height", "16");
    svg.setAttribute("aria-hidden", "true");
    const rect = document.createElementNS(ns, "rect");
    for (const [key, value] of Object.entries({ width: 22, height: 16, rx: 3, fill: `url(#${pattern})`, stroke: "#555" })) rect.setAttribute(key, value);
    svg.append(rect);
    return svg;
  };
  const items = [
    [swatch("hatch"), `Gạch chéo: số liệu bị ẩn. Tỉnh có ít hơn ${k} người học, hoặc ít hơn biên sai số, thì con số không phân biệt được với "không có ai", nên không công bố để bảo vệ từng người học.`],
  ];
  if (measure === "coverage") items.push([swatch("dots"), "Chấm: chưa có số dân trưởng thành của tỉnh, nên chưa tính được tỷ lệ phủ."]);
  const list = document.createElement("ul");
  list.className = "why-empty";
  for (const [icon, text] of items) {
    const item = document.createElement("li");
    item.append(icon, " ", text);
    list.append(item);
  }
  container.replaceChildren(ramp, list);
}
