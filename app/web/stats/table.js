/* The sortable tables of provinces and of one province's communes: every figure as the API publishes it,
   with its 95% margin; a withheld figure (null) shows a mark and the word "ẩn", never a number. */

import { figure, h } from "./format.js";

/* [field, header, kind, margin field or null, levels where it is published] */
const COLUMNS = [
  ["learners", "Người học", "count", "learners_margin"],
  ["completed", "Hoàn thành", "count", "completed_margin"],
  ["completion_rate", "Tỷ lệ hoàn thành", "rate", "completion_rate_margin"],
  ["target", "Dân số trưởng thành", "count", null],
  ["coverage_rate", "Tỷ lệ phủ", "rate", "coverage_rate_margin"],
  ["flagged", "Hoàn thành quá nhanh", "count", "flagged_margin", "province"],
  ["satisfaction", "Mức hài lòng (1–5 sao)", "stars", "satisfaction_margin", "province"],
];

export const WITHHELD_TITLE = "Bị ẩn: quá ít người học để công bố mà vẫn bảo vệ được từng người";

/* Whether an empty figure is withheld (the row has too few learners); the adults given by an administrator
   are no figure of the release and are never withheld, only missing. */
function withheld(row, field) {
  return row.learners === null && field !== "target";
}

function emptyMark(row, field) {
  // A figure can be empty because the row is withheld, or because it does not exist (no target yet,
  // too few ratings): both show no number; the words say which.
  if (withheld(row, field)) return h("span", { class: "withheld", title: WITHHELD_TITLE }, "— ", h("span", { class: "why" }, "ẩn"));
  const reason = field === "target" || field === "coverage_rate" ? "chưa có dân số" : field === "satisfaction" ? "chưa đủ đánh giá" : "chưa có";
  return h("span", { class: "absent" }, "— ", h("span", { class: "why" }, reason));
}

function cell(row, [field, , kind, marginField]) {
  const shown = figure(kind, row[field]);
  if (shown === null) return h("td", { "data-field": field, "data-withheld": withheld(row, field) ? "true" : null }, emptyMark(row, field));
  const margin = marginField ? figure(kind, row[marginField]) : null;
  return h("td", { "data-field": field },
    h("span", { class: "value" }, shown),
    margin !== null ? h("span", { class: "margin", "data-field": marginField }, `± ${margin}`) : null,
    field === "target" && row.target_communes !== null && row.communes !== null && row.target_communes < row.communes && row.target_communes > 0
      ? h("span", { class: "note" }, `cộng từ ${row.target_communes}/${row.communes} xã`) : null);
}

const collator = new Intl.Collator("vi");

function sorted(rows, sort) {
  if (!sort || !sort.field) return rows;
  const sign = sort.dir === "descending" ? -1 : 1;
  return [...rows].sort((a, b) => {
    if (sort.field === "name") return sign * collator.compare(a.name, b.name);
    const x = a[sort.field];
    const y = b[sort.field];
    if (x === null && y === null) return collator.compare(a.name, b.name);
    if (x === null) return 1; // empty figures last, whichever the direction
    if (y === null) return -1;
    return sign * (x - y) || collator.compare(a.name, b.name);
  });
}

/* A table of `rows` (+ `totals` rows in the footer); `level` "province" or "commune"; `onPick(code)` makes
   each province name a button that opens its communes. The header buttons sort; `state.sort` remembers. */
export function renderTable(container, { rows, totals, level, caption, state, onPick }) {
  const columns = COLUMNS.filter((c) => !c[4] || c[4] === level);
  const headerCell = (field, label) => {
    const active = state.sort && state.sort.field === field;
    return h("th", { scope: "col", "aria-sort": active ? state.sort.dir : null },
      h("button", {
        type: "button",
        class: "sort",
        onclick: () => {
          const dir = active && state.sort.dir === "ascending" ? "descending" : "ascending";
          state.sort = { field, dir };
          renderTable(container, { rows, totals, level, caption, state, onPick });
          container.querySelector(`th[aria-sort] button`)?.focus();
        },
      }, label, h("span", { class: "arrow", "aria-hidden": "true" }, active ? (state.sort.dir === "ascending" ? " ▲" : " ▼") : " ↕")));
  };
  const line = (row, total) => h("tr", { "data-code": row.code, "data-level": row.level, class: total ? "total" : null },
    h("th", { scope: "row" },
      onPick && row.level === "province"
        ? h("button", { type: "button", class: "link", "data-province": row.code, onclick: () => onPick(row.code), "aria-label": `${row.name}: xem các xã, phường` }, row.name)
        : row.name),
    columns.map((column) => cell(row, column)));
  const table = h("table", { class: "figures" },
    h("caption", {}, caption),
    h("thead", {}, h("tr", {}, headerCell("name", level === "commune" ? "Xã, phường" : "Tỉnh, thành phố"), columns.map(([field, label]) => headerCell(field, label)))),
    h("tbody", {}, sorted(rows, state.sort).map((row) => line(row, false))),
    totals && totals.length ? h("tfoot", {}, totals.map((row) => line(row, true))) : null);
  container.replaceChildren(h("div", { class: "scroll", role: "region", "aria-label": caption, tabindex: "0" }, table));
}
