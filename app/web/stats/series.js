/* The series charts (Observable Plot): the running total of completions with its 95% margin band, and the
   change per published day with its margin. Days without a release, or withheld, are gaps, not zeros. */

import { figure, h } from "./format.js";
import { tidy } from "./tiles.js";

const dayFormat = new Intl.DateTimeFormat("vi-VN", { timeZone: "UTC", day: "2-digit", month: "2-digit", year: "numeric" });

const DAY = 86400000;

function points(rows) {
  return rows.map((r) => ({
    ...r,
    date: new Date(`${r.day}T00:00:00Z`),
    noon: new Date(Date.parse(`${r.day}T00:00:00Z`) + DAY / 2), // a day's point sits over the middle of its bar
    low: r.running_total === null ? null : Math.max(0, r.running_total - r.running_total_margin),
    high: r.running_total === null ? null : r.running_total + r.running_total_margin,
    changeLow: r.completed === null ? null : r.completed - r.completed_margin,
    changeHigh: r.completed === null ? null : r.completed + r.completed_margin,
  }));
}

function chart(width, domain, ariaLabel, yLabel, marks) {
  const days = Math.round((domain[1] - domain[0]) / DAY);
  // One tick a day while they fit, else every few days (never two ticks on one day).
  const every = Math.max(1, Math.ceil(days / Math.max(2, Math.floor(width / 70))));
  const svg = Plot.plot({
    width,
    height: 220,
    marginLeft: 56,
    className: "series",
    ariaLabel,
    style: { fontSize: "12px" },
    x: { type: "utc", domain, label: null, ticks: d3.utcDay.every(every), tickFormat: (d) => dayFormat.format(d).slice(0, 5) },
    y: { label: yLabel, grid: true, nice: true, zero: true, tickFormat: (v) => figure("count", v) },
    marks,
  });
  return tidy(svg, ariaLabel);
}

export function renderSeries(container, series) {
  const data = points(series.rows);
  const width = Math.max(300, Math.min(container.clientWidth || 640, 900));
  const where = series.name;
  // The running total joins the published days (a day without a release is no observation, not a zero).
  const published = data.filter((d) => d.running_total !== null);
  // Both charts span the same days, from the first day's start to the last day's end.
  const domain = data.length ? [data[0].date, new Date(data[data.length - 1].date.getTime() + DAY)] : [new Date(), new Date()];
  const total = chart(width, domain, `Lũy kế hoàn thành theo ngày, ${where}, với dải sai số 95%`, "↑ Lũy kế hoàn thành", [
    Plot.areaY(published, { x: "noon", y1: "low", y2: "high", fill: "#3b528b", fillOpacity: 0.25 }),
    Plot.lineY(published, { x: "noon", y: "running_total", stroke: "#3b528b", strokeWidth: 2 }),
    Plot.dot(data, { x: "noon", y: "running_total", fill: "#3b528b", r: 2.5, title: (d) => `${dayFormat.format(d.date)}: ${figure("count", d.running_total) ?? "ẩn"}` }),
    Plot.ruleY([0]),
  ]);
  const change = chart(width, domain, `Số hoàn thành tăng thêm mỗi ngày công bố, ${where}, với sai số 95%`, "↑ Tăng trong ngày", [
    Plot.rectY(data, { x: "date", y: "completed", interval: "day", fill: "#21918c", inset: 1 }),
    Plot.ruleX(data, { x: "noon", y1: "changeLow", y2: "changeHigh", stroke: "#222" }),
    Plot.ruleY([0]),
  ]);
  const shown = data.filter((d) => d.running_total !== null || d.completed !== null);
  const table = h("details", { class: "series-table" },
    h("summary", {}, "Bảng số liệu của hai biểu đồ"),
    h("div", { class: "scroll", role: "region", "aria-label": "Bảng số liệu theo ngày", tabindex: "0" },
      h("table", { class: "figures" },
        h("caption", {}, `Theo ngày, ${where}`),
        h("thead", {}, h("tr", {}, ["Ngày", "Tăng trong ngày", "Lũy kế hoàn thành"].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, shown.map((d) => h("tr", {},
          h("th", { scope: "row" }, dayFormat.format(d.date)),
          h("td", {}, d.completed === null ? "— ẩn" : `${figure("count", d.completed)} ± ${figure("count", d.completed_margin)}`),
          h("td", {}, d.running_total === null ? "— ẩn" : `${figure("count", d.running_total)} ± ${figure("count", d.running_total_margin)}`)))))));
  const empty = shown.length ? null : h("p", { class: "note" }, "Chưa có ngày nào đủ số liệu để công bố cho lựa chọn này.");
  container.replaceChildren(
    h("figure", {}, total, h("figcaption", {}, "Lũy kế hoàn thành (đường) và khoảng sai số 95% (dải màu nhạt).")),
    h("figure", {}, change, h("figcaption", {}, "Số hoàn thành tăng thêm so với ngày công bố trước (cột), với sai số 95% (vạch đen).")),
    ...[empty, table].filter(Boolean));
}
