/* The authors' page /soan-bai: sign-in, upload a zip, its problems with their lines, the diff, a preview as
   learners will see it, publish, the history of versions, roll back, withdraw. Plain browser JavaScript. */
import { h } from "/web/pages.js"; // the DOM helper: text is always set as text, never parsed as HTML
import * as api from "./api.js";

const $ = (id) => document.getElementById(id);
let draft = null; // the last uploaded draft's report

/* replaceChildren that takes arrays and skips null, false and undefined (as h() does). */
function fill(el, ...children) {
  el.replaceChildren(...children.flat().filter((child) => child !== null && child !== undefined && child !== false));
}

/* ---------- plain words ---------- */
const SCOPE_NAMES = { learner: "người học", stats: "thống kê", author: "soạn bài", admin: "quản trị" };

function scopeMessage(scopes) {
  const named = scopes.map((scope) => SCOPE_NAMES[scope] || scope).join(", ") || "không có";
  return `Mã đăng nhập này không có quyền soạn bài (cần quyền soạn bài hoặc quản trị; quyền hiện có: ${named}). ` +
    "Hãy đăng xuất rồi mở lại trang từ ứng dụng quản lý bằng tài khoản người soạn bài.";
}

function reasonText(result) {
  const { code, message } = result.error || {};
  if (code && (code.startsWith("archive_") || code === "zip_required" || code === "draft_has_errors")) return message;
  if (result.status === 404 && message && /[ăâđêôơư]/i.test(message)) return message; // the API's Vietnamese 404s
  switch (code) {
    case "offline": return "Chưa có kết nối mạng. Hãy kiểm tra mạng rồi thử lại.";
    case "missing_token":
    case "invalid_token":
    case "unauthorized":
    case "token_expired": return "Phiên đăng nhập đã hết hạn hoặc không hợp lệ. Hãy mở lại trang từ ứng dụng quản lý.";
    case "insufficient_scope":
    case "forbidden": return scopeMessage(api.tokenState(api.currentToken()).scopes);
    case "rate_limited":
    case "too_many_requests": return "Bạn đã gửi quá nhiều bản nháp trong một giờ. Hãy thử lại sau ít phút.";
    case "payload_too_large": return "Tệp gửi lên quá lớn. Hãy chia các khoá học vào nhiều tệp zip nhỏ hơn.";
    case "draft_not_found": return "Không tìm thấy bản nháp này. Hãy tải tệp zip lên lại.";
    case "version_not_found": return "Khoá học không có phiên bản này.";
    case "course_not_found": return "Không có khoá học mang mã này. Hãy kiểm tra tên thư mục khoá học.";
    case "rate_limiter_unavailable":
    case "database_unavailable":
    case "unavailable": return "Máy chủ đang bảo trì. Hãy thử lại sau ít phút.";
    default: return "Máy chủ chưa làm được việc này. Hãy thử lại; nếu vẫn không được, hãy báo cho người quản trị.";
  }
}

function say(text) { $("message").textContent = text || ""; }

function vnTime(iso) {
  return new Date(iso).toLocaleString("vi-VN", { timeZone: "Asia/Ho_Chi_Minh", dateStyle: "short", timeStyle: "short" });
}

/* ---------- confirm dialog ---------- */
function confirmDialog(title, text, yes, { danger = false } = {}) {
  const dialog = $("confirm");
  $("confirm-title").textContent = title;
  $("confirm-text").replaceChildren(...(Array.isArray(text) ? text : [h("p", {}, text)]));
  const button = $("confirm-yes");
  button.textContent = yes;
  button.className = danger ? "danger" : "";
  return new Promise((resolve) => {
    const done = (answer) => { dialog.close(); resolve(answer); };
    const onYes = () => done(true);
    const onNo = () => done(false);
    const onCancel = () => resolve(false);
    button.addEventListener("click", onYes, { once: true });
    $("confirm-no").addEventListener("click", onNo, { once: true });
    dialog.addEventListener("close", () => {
      button.removeEventListener("click", onYes);
      $("confirm-no").removeEventListener("click", onNo);
      dialog.removeEventListener("cancel", onCancel);
    }, { once: true });
    dialog.addEventListener("cancel", onCancel, { once: true });
    dialog.showModal();
    $("confirm-no").focus();
  });
}

/* ---------- sign-in ---------- */
async function start() {
  $("loading").hidden = true;
  say("");
  const { state, scopes } = api.tokenState(api.currentToken());
  $("sign-out").hidden = state === "none";
  $("who").hidden = state !== "ok";
  if (state === "none") return showSignIn();
  $("signin").hidden = true;
  if (state === "invalid") return blocked("Mã đăng nhập không hợp lệ. Hãy mở lại trang từ ứng dụng quản lý.");
  if (state === "expired") return blocked("Phiên đăng nhập đã hết hạn. Hãy mở lại trang từ ứng dụng quản lý để đăng nhập lại.");
  if (state === "scope") return blocked(scopeMessage(scopes));
  $("who").textContent = scopes.includes("admin") ? "Quyền: quản trị" : "Quyền: soạn bài";
  $("workspace").hidden = false;
  document.documentElement.dataset.ready = "workspace";
}

function blocked(text) {
  $("workspace").hidden = true;
  say(text);
  document.documentElement.dataset.ready = "blocked";
}

async function showSignIn() {
  $("workspace").hidden = true;
  $("signin").hidden = false;
  $("dev-signin").hidden = !(await api.devSignInAvailable());
  document.documentElement.dataset.ready = "signin";
}

function signOut() {
  api.forgetToken();
  draft = null;
  for (const id of ["report", "diff", "preview", "publish"]) $(id).hidden = true;
  $("history-body").replaceChildren();
  start().then(() => $("signin-title").focus());
}

/* ---------- 1. upload ---------- */
async function upload(event) {
  event.preventDefault();
  const file = $("zip").files[0];
  if (!file) { say("Hãy chọn một tệp zip."); $("zip").focus(); return; }
  say("");
  const button = $("upload-button");
  button.disabled = true;
  $("upload-status").textContent = `Đang tải lên và kiểm tra ${file.name}…`;
  const result = await api.call("/author/drafts", { method: "POST", body: file, type: "application/zip" });
  button.disabled = false;
  if (!result.ok) {
    $("upload-status").textContent = "";
    say(reasonText(result));
    return;
  }
  $("upload-status").textContent = `Đã kiểm tra ${file.name}.`;
  showDraft(result.data);
  $("report-title").focus();
}

function showDraft(report) {
  draft = report;
  document.documentElement.dataset.draft = report.id;
  showProblems(report);
  showDiff(report);
  showPreviewChoices(report);
  showPublish(report);
  if (report.courses.length) $("history-course").value = report.courses[0].slug;
}

/* ---------- 2. problems, each with its line in context ---------- */
function showProblems(report) {
  $("report").hidden = false;
  const courses = report.courses.map((c) => `${c.title} (${c.slug})`).join(", ");
  const summary = report.errors
    ? h("span", { class: "summary-bad" }, `Có ${report.errors} lỗi cần sửa và ${report.warnings} lưu ý. ` +
      "Hãy sửa các tệp trên máy của bạn, nén lại rồi tải lên lại.")
    : h("span", { class: "summary-ok" }, `Không có lỗi nào${report.warnings ? ` (${report.warnings} lưu ý nên xem)` : ""}. ` +
      (courses ? `Khoá học: ${courses}.` : ""));
  $("report-summary").replaceChildren(summary);
  $("problems").replaceChildren(...report.problems.map(problemItem));
}

function problemItem(problem) {
  const error = problem.severity === "error";
  return h("li", { class: error ? "error" : "warning", "data-code": problem.code },
    h("h3", { class: "problem-where" },
      h("span", { class: "severity" }, error ? "Lỗi" : "Lưu ý"),
      `${problem.file}, dòng ${problem.line}`),
    h("p", { class: "problem-message" }, problem.message),
    h("p", { class: "problem-code muted" }, "Mã lỗi cho công cụ: ", h("code", {}, problem.code)),
    problem.context.length ? contextLines(problem) : null);
}

function contextLines(problem) {
  const label = `Các dòng quanh dòng ${problem.line} của ${problem.file}`;
  return h("pre", { class: "context", role: "group", "aria-label": label, tabindex: "0" },
    problem.context.map((line) => {
      const here = line.line === problem.line;
      const content = [h("span", { class: "number", "aria-hidden": "true" }, String(line.line)), line.text || " "];
      return here
        ? h("mark", { class: "line" }, h("span", { class: "visually-hidden" }, `Dòng ${line.line}, dòng có vấn đề: `), ...content)
        : h("span", { class: "line" }, ...content);
    }));
}

/* ---------- 3. the diff ---------- */
function showDiff(report) {
  $("diff").hidden = !report.diff.length;
  $("diff-body").replaceChildren(...report.diff.map((diff) => {
    const course = report.courses.find((c) => c.slug === diff.course) || { title: diff.course };
    const lessons = diff.lessons;
    const items = [];
    if (diff.new) items.push(h("li", {}, `Khoá học mới: ${lessons.added.length} bài học.`));
    else {
      if (lessons.added.length) items.push(h("li", {}, `Thêm ${lessons.added.length} bài: ${lessons.added.join(", ")}.`));
      if (lessons.removed.length) items.push(h("li", {}, `Bỏ ${lessons.removed.length} bài: ${lessons.removed.join(", ")}.`));
      for (const pair of lessons.renamed) items.push(h("li", {}, `Đổi tên tệp bài: ${pair.from} → ${pair.to} (người học không giữ được tiến độ của bài cũ).`));
      for (const pair of lessons.retitled) items.push(h("li", {}, `Đổi tiêu đề bài ${pair.slug}: “${pair.from}” → “${pair.to}”.`));
      for (const quiz of diff.quizzes) {
        const parts = [];
        if (quiz.added.length) parts.push(`thêm ${quiz.added.join(", ")}`);
        if (quiz.removed.length) parts.push(`bỏ ${quiz.removed.join(", ")}`);
        if (quiz.changed.length) parts.push(`sửa ${quiz.changed.join(", ")}`);
        items.push(h("li", {}, `Bài kiểm tra ${quiz.quiz}: ${parts.join("; ")}.`));
      }
    }
    const same = report.courses.find((c) => c.slug === diff.course && c.unchanged);
    if (!items.length) items.push(h("li", {}, same ? `Giống hệt bản đang dùng (phiên bản ${same.published_version}).` : "Không thay đổi bài học hay câu hỏi nào."));
    return h("div", { class: "course-diff", "data-course": diff.course },
      h("h3", {}, `${course.title} (${diff.course})`),
      h("ul", { class: "changes" }, items),
      diff.learners_on_removed
        ? h("p", { class: "notice" }, `${diff.learners_on_removed} người học đã học các bài bị bỏ hoặc đổi tên: họ sẽ không thấy các bài đó nữa.`)
        : null);
  }));
}

/* ---------- 4. preview ---------- */
function showPreviewChoices(report) {
  $("preview").hidden = !report.courses.length;
  $("preview-body").replaceChildren();
  $("preview-courses").replaceChildren(...report.courses.map((course) =>
    h("button", { type: "button", class: "secondary", onclick: () => preview(course.slug) }, `Xem trước: ${course.title}`)));
}

async function preview(slug) {
  const body = $("preview-body");
  body.replaceChildren(h("p", { role: "status" }, "Đang mở bản xem trước…"));
  const result = await api.call(`/author/drafts/${draft.id}/courses/${slug}`);
  if (!result.ok) { body.replaceChildren(); say(reasonText(result)); return; }
  const data = result.data;
  const lessonSelect = h("select", { id: "preview-lesson" },
    data.course.outline.map((module) => h("optgroup", { label: module.title },
      module.lessons.map((lesson) => h("option", { value: lesson.slug }, lesson.title)))));
  const article = h("article", { class: "lesson", id: "preview-lesson-body", "aria-live": "polite", "aria-label": "Bài học đang xem trước" });
  const showLesson = () => renderLesson(article, data.lessons.find((l) => l.slug === lessonSelect.value));
  lessonSelect.addEventListener("change", showLesson);
  const opener = h("button", { type: "button", class: "secondary", id: "open-in-app",
    onclick: () => window.open(`/#preview=${encodeURIComponent(draft.id)}&course=${encodeURIComponent(slug)}&token=${encodeURIComponent(api.currentToken())}`, "_blank", "noopener") },
  "Mở trong ứng dụng người học");
  fill(body,
    h("h3", { id: "preview-course-title", tabindex: "-1" }, data.course.title),
    h("p", {}, data.course.summary),
    h("p", { class: "muted" }, `${data.course.lessons} bài · khoảng ${data.course.minutes} phút · ${data.course.quizzes} bài kiểm tra`),
    h("div", { class: "actions" }, opener),
    h("label", { class: "field", for: "preview-lesson" }, "Bài học để xem"), lessonSelect,
    article,
    data.quizzes.length ? h("h3", {}, "Bài kiểm tra (như người học thấy, không có đáp án)") : null,
    data.quizzes.map(quizPreview),
    data.glossary.length ? h("h3", {}, "Từ ngữ được giải thích") : null,
    data.glossary.length ? h("dl", { class: "glossary" }, data.glossary.flatMap((t) => [h("dt", {}, t.term), h("dd", {}, t.explanation)])) : null);
  await showLesson();
  $("preview-course-title").focus();
}

/* The lesson's HTML (sanitised by the server's renderer, as learners get it), its pictures fetched with the token. */
async function renderLesson(article, lesson) {
  if (!lesson) { article.replaceChildren(); return; }
  const template = document.createElement("template");
  template.innerHTML = lesson.html; // a template loads no picture: the src attributes are replaced first
  const images = [...template.content.querySelectorAll("img")];
  for (const img of images) {
    const url = img.getAttribute("src");
    img.removeAttribute("src");
    img.dataset.src = url;
    if (!img.hasAttribute("alt")) img.alt = "";
  }
  article.replaceChildren(h("h4", {}, lesson.title), template.content);
  await Promise.all([...article.querySelectorAll("img[data-src]")].map(async (img) => {
    const blob = await api.picture(img.dataset.src);
    if (blob) img.src = blob;
    else img.replaceWith(h("span", { class: "notice" }, `Không tải được hình: ${img.alt}`));
  }));
  document.documentElement.dataset.lesson = lesson.slug;
}

function quizPreview(quiz) {
  return h("section", { class: "quiz-preview", "aria-label": `Bài kiểm tra: ${quiz.title}` },
    h("h4", {}, quiz.title),
    h("p", { class: "muted" }, `Cần đúng ${Math.round(quiz.pass_ratio * 100)}% để đạt` +
      (quiz.ask ? ` · mỗi lần hỏi ${quiz.ask} trong ${quiz.questions.length} câu` : ` · ${quiz.questions.length} câu`)),
    h("ol", {}, quiz.questions.map((q) => h("li", {},
      h("p", {}, q.text, q.multiple ? " (chọn nhiều ý)" : ""),
      h("ul", {}, q.options.map((o) => h("li", {}, o.text)))))));
}

/* ---------- 5. publish ---------- */
function showPublish(report) {
  $("publish").hidden = !report.courses.length && !report.errors;
  const button = $("publish-button");
  button.disabled = report.errors > 0;
  $("publish-note").textContent = report.errors
    ? `Chưa xuất bản được: còn ${report.errors} lỗi. Hãy sửa rồi tải lên lại.`
    : "Khi xuất bản, mọi người học thấy bản mới trong vài giây. Người học giữ tiến độ ở các bài còn giữ tên tệp.";
  $("publish-result").replaceChildren();
}

async function publish() {
  if (!draft || draft.errors) return;
  const titles = draft.courses.map((c) => h("li", {}, `${c.title} (${c.slug})`));
  const sure = await confirmDialog("Xuất bản cho mọi người học?",
    [h("p", {}, "Các khoá học sau sẽ được cập nhật ngay cho mọi người học:"), h("ul", {}, titles)], "Xuất bản");
  if (!sure) { $("publish-button").focus(); return; }
  const result = await api.call(`/author/drafts/${draft.id}/publish`, { method: "POST" });
  if (!result.ok) { say(reasonText(result)); return; }
  const words = { created: "đã xuất bản lần đầu", updated: "đã xuất bản", unchanged: "không có gì thay đổi, vẫn là", kept: "giữ nguyên" };
  const out = $("publish-result");
  out.replaceChildren(h("ul", {}, result.data.courses.map((c) =>
    h("li", { "data-course": c.course }, `${c.course}: ${words[c.status] || c.status} phiên bản ${c.version}.`))));
  out.focus();
  if (result.data.courses.length) await showHistory(result.data.courses[0].course);
}

/* ---------- history, roll back, withdraw ---------- */
const ACTIONS = { import: "Nhập bằng dòng lệnh", publish: "Xuất bản", rollback: "Quay lại phiên bản cũ", withdraw: "Rút khỏi danh mục" };

function summaryText(item) {
  const s = item.summary || {};
  if (item.action === "rollback" && s.rollback_to) return `Dùng lại phiên bản ${s.rollback_to}`;
  const parts = [];
  if (s.lessons_added) parts.push(`thêm ${s.lessons_added} bài`);
  if (s.lessons_removed) parts.push(`bỏ ${s.lessons_removed} bài`);
  if (s.lessons_renamed) parts.push(`đổi tên ${s.lessons_renamed} bài`);
  if (s.questions_changed) parts.push(`${s.questions_changed} câu hỏi thay đổi`);
  return parts.join(", ") || "—";
}

async function showHistory(slug) {
  const body = $("history-body");
  $("history-course").value = slug;
  const result = await api.call(`/author/versions?course=${encodeURIComponent(slug)}`);
  if (!result.ok) {
    body.replaceChildren(h("p", {}, reasonText(result)));
    return;
  }
  const data = result.data;
  const offered = new Set();
  const rows = data.versions.map((item) => {
    const current = item.version === data.current && !offered.has(item.version);
    let action = null;
    if (item.version && !offered.has(item.version)) {
      offered.add(item.version);
      if (item.version !== data.current) {
        action = h("button", { type: "button", class: "secondary", "data-version": String(item.version),
          onclick: () => rollback(slug, item.version) }, `Dùng lại phiên bản ${item.version}`);
      }
    }
    return h("tr", { class: current ? "current" : null },
      h("td", {}, item.version ? `${item.version}${current ? " (đang dùng)" : ""}` : "—"),
      h("td", {}, ACTIONS[item.action] || item.action),
      h("td", {}, vnTime(item.at)),
      h("td", {}, item.published_by ? `tác giả ${item.published_by.slice(0, 8)}` : "dòng lệnh"),
      h("td", {}, summaryText(item)),
      h("td", {}, action));
  });
  fill(body,
    h("p", { id: "history-state" }, data.withdrawn
      ? "Khoá học này đã được rút khỏi danh mục. Dùng lại một phiên bản để đưa khoá học trở lại."
      : `Người học đang dùng phiên bản ${data.current}.`),
    h("table", { class: "history" },
      h("caption", {}, `Lịch sử phiên bản của khoá học ${data.course}, mới nhất trước`),
      h("thead", {}, h("tr", {}, ["Phiên bản", "Việc", "Lúc", "Người làm", "Thay đổi", "Làm gì"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, rows)),
    data.withdrawn ? null : h("div", { class: "actions" },
      h("button", { type: "button", class: "danger", id: "withdraw", onclick: () => withdraw(slug) }, "Rút khoá học khỏi danh mục")));
  document.documentElement.dataset.history = `${data.course}:${data.current}:${data.versions.length}`;
}

async function rollback(slug, version) {
  const sure = await confirmDialog(`Dùng lại phiên bản ${version}?`,
    `Người học sẽ thấy lại phiên bản ${version} của khoá học ${slug}. Tiến độ ở các bài còn trong phiên bản đó được giữ.`,
    `Dùng lại phiên bản ${version}`);
  if (!sure) return;
  const result = await api.call(`/author/courses/${encodeURIComponent(slug)}/rollback`, { method: "POST", json: { version } });
  if (!result.ok) { say(reasonText(result)); return; }
  say("");
  await showHistory(slug);
  $("history-state").textContent = `Đã dùng lại phiên bản ${version}: người học đang dùng phiên bản ${version}.`;
}

async function withdraw(slug) {
  const sure = await confirmDialog(`Rút khoá học ${slug} khỏi danh mục?`,
    "Người học sẽ không thấy khoá học này nữa. Tiến độ học và chứng nhận đã cấp vẫn được giữ; dùng lại một phiên bản để đưa khoá học trở lại.",
    "Rút khoá học", { danger: true });
  if (!sure) return;
  const result = await api.call(`/author/courses/${encodeURIComponent(slug)}`, { method: "DELETE" });
  if (!result.ok) { say(reasonText(result)); return; }
  await showHistory(slug);
}

/* ---------- start-up ---------- */
api.takeTokenFromFragment();
api.listenToHost(() => start());
window.addEventListener("hashchange", () => { if (api.takeTokenFromFragment()) start(); });
$("sign-out").addEventListener("click", signOut);
$("dev-signin-button").addEventListener("click", async () => {
  if (await api.devSignIn()) start().then(() => $("upload-title").focus());
  else say("Không đăng nhập thử được.");
});
$("upload-form").addEventListener("submit", upload);
$("publish-button").addEventListener("click", publish);
$("history-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const slug = $("history-course").value.trim();
  if (slug) showHistory(slug);
});
start();
