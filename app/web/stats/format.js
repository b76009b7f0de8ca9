/* Vietnamese formatting of published figures, and a small DOM helper. Nothing here computes a statistic:
   a figure is shown as the API gives it (a rate as a percentage of the same value), or marked withheld. */

import { h } from "/web/pages.js";

export const VN_TIME = "Asia/Ho_Chi_Minh";

const integer = new Intl.NumberFormat("vi-VN", { maximumFractionDigits: 0 });
const significant = new Intl.NumberFormat("vi-VN", { maximumSignificantDigits: 4 });
const stars = new Intl.NumberFormat("vi-VN", { minimumFractionDigits: 1, maximumFractionDigits: 2 });

/* h("p", {class: "x"}, "text", child): the pages' DOM helper, text always set as text (/web/pages.js). */
export { h };

/* How each kind of figure reads: integers with thousands dots, rates as percentages (4 significant
   digits, as published), mean stars with their decimal. */
export const KINDS = {
  count: (v) => integer.format(v),
  rate: (v) => `${significant.format(v * 100)} %`,
  stars: (v) => stars.format(v),
};

export function figure(kind, value) {
  return value === null || value === undefined ? null : KINDS[kind](value);
}

/* "06/12/2026 lúc 00:00" in Vietnam time, whatever the reader's own time zone. */
export function vnDateTime(iso) {
  const moment = new Date(iso);
  const day = new Intl.DateTimeFormat("vi-VN", { timeZone: VN_TIME, day: "2-digit", month: "2-digit", year: "numeric" }).format(moment);
  const time = new Intl.DateTimeFormat("vi-VN", { timeZone: VN_TIME, hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(moment);
  return `${time} ngày ${day}`;
}

export function vnDate(moment) {
  return new Intl.DateTimeFormat("vi-VN", { timeZone: VN_TIME, day: "2-digit", month: "2-digit", year: "numeric" }).format(moment);
}

/* The official name without "Thành phố " (the tile label; the full name is the tile's title). */
export function shortName(name) {
  return name.replace(/^Thành phố /, "");
}
