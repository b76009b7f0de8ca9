/* The statistics dashboard: sign-in, the release and course pickers, and the map, tables and series of one
   release, all read from /api/v1/stats/* (no figure is computed here). Plain ES modules, no build step. */

import * as api from "./api.js";
import { h, vnDate, vnDateTime } from "./format.js";
import { renderSeries } from "./series.js";
import { renderTable } from "./table.js";
import { renderLegend, renderMap } from "./tiles.js";

const $ = (id) => document.getElementById(id);

const state = {
  releases: [],
  release: null, // the chosen release object (from GET /stats/releases)
  course: "", // "" = all courses
  measure: "coverage",
  province: null, // the drilled-down province code
  seriesArea: "", // "" = national
  provinces: null, // the last province table (CompletionOut)
  communes: null,
  provinceSort: { sort: null },
  communeSort: { sort: null },
};

/* ---------- plain words for every answer the page can get ---------- */
const SCOPE_NAMES = { learner: "người học", author: "tác giả nội dung", admin: "quản trị", stats: "thống kê" };

function scopeMessage(scopes) {
  const held = (scopes || []).map((s) => SCOPE_NAMES[s] || s).join(", ") || "không có quyền nào";
  return `Mã đăng nhập của bạn không có quyền xem thống kê (quyền hiện có: ${held}). ` +
    "Trang này chỉ dành cho tài khoản có quyền thống kê của cán bộ thống kê và ban chỉ đạo. " +
    "Hãy đăng xuất rồi mở lại trang từ ứng dụng quản lý bằng tài khoản có quyền thống kê.";
}

function errorText(error) {
  switch (error.code) {
    case "offline": return "Không kết nối được máy chủ. Hãy kiểm tra mạng rồi tải lại trang.";
    case "missing_token":
    case "invalid_token":
    case "token_expired": return "Phiên đăng nhập đã hết hạn hoặc không hợp lệ. Hãy mở lại trang từ ứng dụng quản lý.";
    case "insufficient_scope": return scopeMessage(api.tokenState(api.currentToken()).scopes);
    case "no_release": return "Chưa có đợt công bố số liệu nào. Số liệu được công bố mỗi ngày; người vận hành cũng có thể công bố ngay (python -m app stats release).";
    case "release_not_found": return "Đợt công bố này không còn được lưu. Hãy chọn một đợt khác.";
    case "rate_limited": return `Có quá nhiều yêu cầu trong thời gian ngắn. Hãy thử lại sau ${error.retryAfter || 60} giây.`;
    case "course_not_found": return "Không tìm thấy khóa học này.";
    case "commune_by_course_not_published": return communeNote();
    default:
      if (error.status === 401) return "Phiên đăng nhập đã hết hạn hoặc không hợp lệ. Hãy mở lại trang từ ứng dụng quản lý.";
      if (error.status >= 500) return "Máy chủ đang gặp sự cố. Hãy thử lại sau ít phút.";
      return `Không tải được số liệu (${error.message || error.code}).`;
  }
}

function communeNote() {
  return "Số liệu cấp xã, phường chỉ được công bố cho tất cả khóa học gộp lại: mỗi bảng số liệu công bố thêm đều làm giảm mức bảo vệ người học, và bảng xã theo từng khóa sẽ cần thêm rất nhiều bảng như vậy. " +
    "Hãy chọn \"Tất cả khóa học\" để xem các xã, phường; số liệu của khóa này vẫn có ở cấp tỉnh.";
}

function showMessage(text, actions = []) {
  const box = $("message");
  if (!text) { box.replaceChildren(); return; }
  box.replaceChildren(...[h("p", {}, text), actions.length ? h("p", { class: "downloads" }, actions) : null].filter(Boolean));
}

function toast(text) {
  const box = $("toast");
  box.textContent = text;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { box.textContent = ""; }, 5000);
}

function signOutButton(label = "Đăng xuất và dùng mã khác") {
  return h("button", { type: "button", class: "secondary", onclick: signOut }, label);
}

/* ---------- sign-in ---------- */
async function showSignIn() {
  $("dashboard").hidden = true;
  $("signin").hidden = false;
  $("sign-out").hidden = true;
  $("dev-signin").hidden = !(await api.devSignInAvailable());
}

function signOut() {
  api.forgetToken();
  showMessage("");
  showSignIn();
}

async function start() {
  $("loading").hidden = true;
  const { state: tokenState, scopes } = api.tokenState(api.currentToken());
  if (tokenState === "none") return showSignIn();
  $("sign-out").hidden = false;
  $("signin").hidden = true;
  if (tokenState !== "ok") $("dashboard").hidden = true; // a token of another scope hides what the last one showed
  if (tokenState === "invalid") return showMessage("Mã đăng nhập không hợp lệ. Hãy mở lại trang từ ứng dụng quản lý.", [signOutButton()]);
  if (tokenState === "expired") return showMessage("Phiên đăng nhập đã hết hạn. Hãy mở lại trang từ ứng dụng quản lý để đăng nhập lại.", [signOutButton()]);
  if (tokenState === "scope") return showMessage(scopeMessage(scopes), [signOutButton()]);
  showMessage("");
  try {
    await loadReleases();
    await loadCourses();
  } catch (error) {
    $("dashboard").hidden = true;
    return fail(error);
  }
  $("dashboard").hidden = false;
  await refresh();
}

function fail(error) {
  const actions = error.status === 401 || error.code === "insufficient_scope" ? [signOutButton()] : [];
  showMessage(errorText(error), actions);
}

/* ---------- pickers ---------- */
async function loadReleases() {
  const { releases } = await api.getJson("/stats/releases");
  if (!releases.length) throw new api.ApiError(503, "no_release");
  state.releases = releases;
  state.release = releases.find((r) => state.release && r.id === state.release.id) || releases[0];
  $("release").replaceChildren(...releases.map((r, i) =>
    h("option", { value: String(r.id), selected: r.id === state.release.id }, `Đợt ${r.id}: ${vnDateTime(r.as_of)}${i === 0 ? " (mới nhất)" : ""}`)));
}

async function loadCourses() {
  const { courses } = await api.getJson("/courses", null, { auth: false });
  $("course").replaceChildren(
    h("option", { value: "" }, "Tất cả khóa học (mỗi người tính một lần)"),
    ...courses.map((c) => h("option", { value: c.slug, selected: c.slug === state.course }, c.title)));
}

function describeRelease() {
  const r = state.release;
  const method = r.method || {};
  const guarantee = method.guarantee || {};
  const k = method.k ?? "k";
  $("release-stamp").textContent = `Đợt công bố số ${r.id} · số liệu chốt lúc ${vnDateTime(r.as_of)} (giờ Việt Nam)` +
    (r.id === state.releases[0].id ? " · đợt mới nhất" : " · đợt cũ");
  let noise;
  if (method.sigma_commune === 0 || method.sigma_area === 0) {
    noise = "Đợt này không cộng nhiễu (chỉ dùng khi phát triển, thử nghiệm): các con số là số đếm thật và sai số bằng 0. Số liệu thật luôn được cộng nhiễu.";
  } else if (guarantee.epsilon !== undefined) {
    const eps = new Intl.NumberFormat("vi-VN", { maximumSignificantDigits: 3 }).format(guarantee.epsilon);
    noise = "Để không ai suy ra được một người cụ thể có học hay không, mỗi con số đã được cộng thêm một lượng nhiễu ngẫu nhiên nhỏ trước khi công bố. " +
      "Vì vậy số công bố có thể lệch một chút so với số thật: con số sau dấu \"±\" là biên sai số, 95 trên 100 lần số thật nằm trong khoảng đó. " +
      `Mức bảo vệ cho cả chương trình: ε = ${eps}, δ = ${powerOfTen(guarantee.delta)} (ε càng nhỏ thì càng khó nhận ra một người). ` +
      "Mỗi cấp được đo riêng, với nhiễu riêng: cộng các xã không ra đúng số của tỉnh; hãy dùng dòng tổng của cấp cần xem. " +
      "Một thay đổi giữa hai đợt chỉ có ý nghĩa khi lớn hơn biên sai số của cả hai đợt.";
  } else {
    noise = "Đợt này công bố theo phương pháp cũ (lần 1), không ghi kèm mức bảo vệ ε. ";
  }
  noise += ` Ô và số bị ẩn khi có ít hơn ${k} người học hoặc ít hơn biên sai số: con số khi đó không phân biệt được với "không có ai".`;
  $("noise-note").textContent = noise.replace(/\s+/g, " ").trim();
}

/* 1e-10 as "10⁻¹⁰" (any other value as the API gives it). */
function powerOfTen(value) {
  const exponent = Math.log10(value);
  if (!Number.isInteger(exponent)) return String(value);
  const superscript = { "-": "⁻", 0: "⁰", 1: "¹", 2: "²", 3: "³", 4: "⁴", 5: "⁵", 6: "⁶", 7: "⁷", 8: "⁸", 9: "⁹" };
  return `10${[...String(exponent)].map((c) => superscript[c]).join("")}`;
}

function courseTitle() {
  const option = $("course").selectedOptions[0];
  return option ? option.textContent : "Tất cả khóa học";
}

/* ---------- the figures of the chosen release ---------- */
function params(extra) {
  return { course: state.course || null, release: state.release.id, ...extra };
}

async function refresh() {
  describeRelease();
  $("course-stamp").textContent = `Khóa học: ${courseTitle()}`;
  $("printed").textContent = `In ngày ${vnDate(new Date())} · Đợt công bố số ${state.release.id}, số liệu chốt lúc ${vnDateTime(state.release.as_of)} (giờ Việt Nam)`;
  try {
    state.provinces = await api.getJson("/stats/completion", params());
  } catch (error) {
    return fail(error);
  }
  showMessage("");
  fillAreas();
  drawProvinces();
  await Promise.all([drawCommunes(), drawSeries()]);
  // Tests (and anyone curious) can tell a finished redraw: the count of completed refreshes.
  document.documentElement.dataset.refreshed = String(Number(document.documentElement.dataset.refreshed || 0) + 1);
}

function drawProvinces() {
  const out = state.provinces;
  renderMap($("map"), out.rows, state.measure, openProvince);
  renderLegend($("legend"), out.rows, state.measure, out.suppression_k);
  renderTable($("province-table"), {
    rows: out.rows,
    totals: [out.total],
    level: "province",
    caption: `Các tỉnh, thành phố · ${courseTitle()} · đợt công bố số ${out.release.id}`,
    state: state.provinceSort,
    onPick: openProvince,
  });
}

async function openProvince(code) {
  state.province = code;
  state.seriesArea = code;
  $("series-area").value = code;
  await Promise.all([drawCommunes(), drawSeries()]);
  $("communes-box").scrollIntoView({ block: "start" });
  $("communes-title").focus({ preventScroll: true });
}

async function drawCommunes() {
  const box = $("communes-box");
  if (!state.province) { box.hidden = true; return; }
  box.hidden = false;
  const name = state.provinces.rows.find((r) => r.code === state.province)?.name || state.province;
  $("communes-title").textContent = `Các xã, phường của ${name}`;
  $("communes-note").replaceChildren();
  $("commune-table").replaceChildren();
  $("communes-downloads").querySelectorAll("[data-download]").forEach((b) => { b.hidden = false; });
  try {
    state.communes = await api.getJson("/stats/completion", params({ province: state.province }));
  } catch (error) {
    state.communes = null;
    $("communes-downloads").querySelectorAll("[data-download]").forEach((b) => { b.hidden = true; });
    const all = error.code === "commune_by_course_not_published"
      ? h("button", { type: "button", class: "secondary", onclick: () => chooseCourse("") }, "Xem các xã cho tất cả khóa học")
      : null;
    $("communes-note").replaceChildren(...[h("p", {}, errorText(error)), all].filter(Boolean));
    return;
  }
  const out = state.communes;
  renderTable($("commune-table"), {
    rows: out.rows,
    totals: [out.province, out.total].filter(Boolean),
    level: "commune",
    caption: `Các xã, phường của ${name} · tất cả khóa học · đợt công bố số ${out.release.id}`,
    state: state.communeSort,
    onPick: null,
  });
}

async function drawSeries() {
  const box = $("series");
  try {
    const series = await api.getJson("/stats/timeseries", params({ province: state.seriesArea || null }));
    $("series-title").textContent = `Theo thời gian: ${series.name}`;
    renderSeries(box, series);
  } catch (error) {
    box.replaceChildren(h("p", { class: "note" }, errorText(error)));
  }
}

async function chooseCourse(slug) {
  state.course = slug;
  $("course").value = slug;
  await refresh();
}

/* ---------- downloads: exactly the table or series on screen, as the API writes it ---------- */
async function onDownload(event) {
  const button = event.target.closest("[data-download]");
  if (!button) return;
  const what = button.dataset.download;
  const format = button.dataset.format;
  const [path, extra] = what === "series"
    ? ["/stats/timeseries", { province: state.seriesArea || null }]
    : ["/stats/completion", what === "communes" ? { province: state.province } : {}];
  button.disabled = true;
  try {
    const name = await api.download(path, params(extra), format);
    toast(`Đã tải về ${name}`);
  } catch (error) {
    toast(errorText(error));
  } finally {
    button.disabled = false;
  }
}

/* ---------- wiring ---------- */
function wire() {
  $("release").addEventListener("change", async (event) => {
    state.release = state.releases.find((r) => String(r.id) === event.target.value) || state.releases[0];
    await refresh();
  });
  $("course").addEventListener("change", (event) => chooseCourse(event.target.value));
  document.querySelectorAll("input[name=measure]").forEach((input) => input.addEventListener("change", () => {
    state.measure = input.value;
    drawProvinces();
  }));
  $("series-area").addEventListener("change", async (event) => {
    state.seriesArea = event.target.value;
    await drawSeries();
  });
  $("communes-close").addEventListener("click", () => {
    state.province = null;
    $("communes-box").hidden = true;
    $("province-table").querySelector("button.link")?.focus();
  });
  $("dashboard").addEventListener("click", onDownload);
  $("print").addEventListener("click", () => window.print());
  $("sign-out").addEventListener("click", signOut);
  $("dev-signin-button").addEventListener("click", async () => {
    if (await api.devSignIn()) start();
    else toast("Không đăng nhập thử được.");
  });
  window.addEventListener("hashchange", () => { if (api.takeTokenFromFragment()) start(); });
  let width = window.innerWidth;
  window.addEventListener("resize", () => {
    if (Math.abs(window.innerWidth - width) < 40 || !state.provinces || $("dashboard").hidden) return;
    width = window.innerWidth;
    drawProvinces();
    drawSeries();
  });
}

function fillAreas() {
  // The provinces for the series picker come from the first table (names as the API spells them).
  const select = $("series-area");
  if (select.options.length > 1 || !state.provinces) return;
  select.append(...state.provinces.rows.map((r) => h("option", { value: r.code }, r.name)));
}

api.takeTokenFromFragment();
api.listenToHost(start);
wire();
start();
