/* The learner app: start-up, sign-in hand-over, the API with its offline copy, routing, the outbox status.
   Screens are in views.js. Plain browser JavaScript, no build step. */
(function () {
  "use strict";
  const BD = self.BD;
  const ME_CACHE = "bdhvs-me";
  const SETTINGS_KEY = "bdhvs-settings";

  /* ---------- small DOM helper: text is always set as text, never parsed as HTML ---------- */
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
      else if (key === "class") el.className = value;
      else el.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      el.append(child instanceof Node ? child : String(child));
    }
    return el;
  }

  /* ---------- settings (read synchronously so the first paint already has them) ---------- */
  function settings() {
    try { return JSON.parse(localStorage.getItem(SETTINGS_KEY)) || {}; } catch (e) { return {}; }
  }
  function applySettings(value) {
    document.documentElement.classList.toggle("large-text", !!value.largeText);
    document.documentElement.classList.toggle("high-contrast", !!value.highContrast);
  }
  function saveSettings(value) {
    localStorage.setItem(SETTINGS_KEY, JSON.stringify(value));
    applySettings(value);
  }
  applySettings(settings());

  /* ---------- identity: token from the host (fragment or postMessage), or dev sign-in ---------- */
  function claims(token) {
    try {
      const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      const json = decodeURIComponent(escape(atob(part + "===".slice((part.length + 3) % 4))));
      return JSON.parse(json);
    } catch (e) { return null; }
  }

  function trustedOrigins() {
    const meta = document.querySelector('meta[name="bdhvs-trusted-origins"]');
    const listed = (meta && meta.content.split(/\s+/).filter(Boolean)) || [];
    return new Set([location.origin, ...listed]);
  }

  async function acceptToken(token) {
    const c = typeof token === "string" && token.length < 8192 ? claims(token) : null;
    if (!c || !c.sub) { toast("Mã đăng nhập không hợp lệ."); return false; }
    const owner = `${c.iss}\n${c.sub}`;
    const previous = await BD.kvGet("owner");
    if (previous && previous !== owner) {
      // Another person on this phone. Anyone can craft a link with a token, so the server must first accept
      // it, and what the previous learner has not sent yet goes first (or they are asked): nothing is lost.
      if (!(await tokenAccepted(token))) { toast("Mã đăng nhập không hợp lệ hoặc chưa kiểm tra được. Dữ liệu trên máy vẫn được giữ."); return false; }
      if (!(await leaveSafely("Người học mới muốn đăng nhập trên máy này."))) return false;
      await forgetLearner();
    }
    await BD.kvSet("owner", owner);
    await BD.kvSet("token", token);
    await BD.kvSet("tokenProblem", null);
    BD.flush().then(updateStatus);
    return true;
  }

  async function forgetLearner() {
    const database = await BD.db();
    for (const store of ["outbox", "sent", "done", "forms"]) await database.clear(store);
    for (const key of ["token", "owner", "tokenProblem"]) await database.delete("kv", key);
    await caches.delete(ME_CACHE);
    // A shared phone: the certificate checks and QR codes seen by this learner go too.
    const content = await caches.open(BD.CONTENT_CACHE);
    for (const request of await content.keys()) {
      if (new URL(request.url).pathname.startsWith(`${BD.API}/certificates/`)) await content.delete(request);
    }
  }

  /* Whether the server accepts this token (a link can carry a forged one). */
  async function tokenAccepted(token) {
    try {
      const response = await BD.fetchWithin(`${BD.API}/me/progress`, { headers: { Authorization: `Bearer ${token}` } }, BD.REQUEST_TIMEOUT_MS);
      return response.ok;
    } catch (e) { return false; }
  }

  /* Before this learner's data leaves the phone: send what waits; if some cannot be sent, ask (with the count). */
  async function leaveSafely(why) {
    if ((await BD.pending()).length) await BD.flush();
    const left = (await BD.pending()).length;
    if (!left) return true;
    return confirmDialog(
      `${why} Trên máy còn ${left} mục chưa gửi được lên máy chủ (bài đã học, bài kiểm tra, đánh giá).`,
      "Nếu tiếp tục, các mục này sẽ bị xóa và không gửi được nữa. Hãy bấm \"Giữ lại\" rồi gửi khi có mạng.",
      "Vẫn xóa và tiếp tục", "Giữ lại");
  }

  function confirmDialog(title, text, yes, no) {
    return new Promise((resolve) => {
      const dialog = h("dialog", { "aria-labelledby": "confirm-title", id: "confirm" },
        h("h2", { id: "confirm-title" }, title), h("p", {}, text),
        h("div", { class: "actions" },
          h("button", { type: "button", class: "secondary", id: "confirm-no", onclick: () => dialog.close("no") }, no),
          h("button", { type: "button", class: "danger", id: "confirm-yes", onclick: () => dialog.close("yes") }, yes)));
      dialog.addEventListener("close", () => { dialog.remove(); resolve(dialog.returnValue === "yes"); });
      document.body.append(dialog);
      dialog.showModal();
    });
  }

  async function signOut() {
    if (!(await leaveSafely("Bạn sắp đăng xuất."))) return false;
    await forgetLearner();
    return true;
  }

  async function takeTokenFromFragment() {
    if (!location.hash.startsWith("#token=")) return;
    const token = new URLSearchParams(location.hash.slice(1)).get("token");
    history.replaceState(null, "", location.pathname + location.search + "#/"); // keep it out of history
    if (token) await acceptToken(token);
  }

  /* ---------- preview of a draft course (authors): `/#preview=<draft>&course=<slug>&token=<author token>` ----------
     The author's token stays in this tab (sessionStorage), apart from the learner's identity; nothing of a
     preview is sent to the progress API or kept in the outbox. */
  const PREVIEW_KEY = "bdhvs-preview";

  function takePreviewFromFragment() {
    if (!location.hash.startsWith("#preview=")) return false;
    const params = new URLSearchParams(location.hash.slice(1));
    const kept = preview();
    const token = params.get("token") || (kept && kept.token);
    history.replaceState(null, "", location.pathname + location.search + "#/xem-truoc"); // the token leaves at once
    const draft = params.get("preview");
    const course = params.get("course");
    if (!token || !/^[0-9a-f]{1,64}$/.test(draft || "") || !/^[\w-]{1,64}$/.test(course || "")) {
      toast("Liên kết xem trước không đúng. Hãy mở lại từ trang Soạn bài.");
      return false;
    }
    sessionStorage.setItem(PREVIEW_KEY, JSON.stringify({ draft, course, token }));
    previewCopy = null;
    return true;
  }

  function preview() {
    try { return JSON.parse(sessionStorage.getItem(PREVIEW_KEY)); } catch (e) { return null; }
  }

  function leavePreview() {
    sessionStorage.removeItem(PREVIEW_KEY);
    previewCopy = null;
    go("#/");
  }

  let previewCopy = null; // {key, result}: the draft course, fetched once per tab

  /* The draft course as the author API serves it (outline, lessons, quizzes without keys, glossary). */
  async function previewCourse() {
    const state = preview();
    if (!state) return { ok: false, error: { code: "preview_missing" } };
    const key = `${state.draft}/${state.course}`;
    if (previewCopy && previewCopy.key === key) return previewCopy.result;
    let result;
    try {
      const response = await BD.fetchWithin(`${BD.API}/author/drafts/${state.draft}/courses/${state.course}`,
        { headers: { Authorization: `Bearer ${state.token}` } }, BD.REQUEST_TIMEOUT_MS);
      const data = await response.json().catch(() => null);
      result = { ok: response.ok, status: response.status, data, error: response.ok ? null : (data && data.error) || { code: String(response.status) } };
    } catch (e) {
      return { ok: false, offline: true };
    }
    if (result.ok) previewCopy = { key, result };
    return result;
  }

  /* A draft's picture needs the author's token, which an <img> cannot send: fetched, then shown as data: */
  async function previewPicture(url) {
    const state = preview();
    if (!state) return null;
    try {
      const response = await BD.fetchWithin(url, { headers: { Authorization: `Bearer ${state.token}` } }, BD.REQUEST_TIMEOUT_MS);
      if (!response.ok) return null;
      const blob = await response.blob();
      return await new Promise((resolve) => {
        const reader = new FileReader();
        reader.onload = () => resolve(reader.result);
        reader.onerror = () => resolve(null);
        reader.readAsDataURL(blob);
      });
    } catch (e) { return null; }
  }

  function showPreviewBanner(on) {
    let banner = document.getElementById("preview-banner");
    if (!on) { if (banner) banner.remove(); return; }
    if (banner) return;
    banner = h("div", { id: "preview-banner", class: "preview-banner", role: "region", "aria-label": "Bản xem trước" },
      h("strong", {}, "Bản xem trước"),
      h("span", {}, " — khoá học chưa xuất bản, chỉ người soạn bài thấy. Không có gì được ghi vào tiến độ học."),
      h("button", { type: "button", class: "link", id: "leave-preview", onclick: leavePreview }, "Thoát xem trước"));
    document.querySelector("header.bar").after(banner);
  }

  function listenToHost() {
    const trusted = trustedOrigins();
    window.addEventListener("message", async (event) => {
      if (!trusted.has(event.origin)) return; // never take a token from an origin we do not know
      const data = event.data;
      if (!data || data.type !== "bdhvs:token" || typeof data.token !== "string") return;
      if (await acceptToken(data.token)) route();
    });
    const host = window.parent !== window ? window.parent : window.opener;
    if (host) {
      for (const origin of trusted) {
        if (origin !== location.origin) host.postMessage({ type: "bdhvs:ready" }, origin);
      }
    }
  }

  async function identity() {
    const token = await BD.kvGet("token");
    if (!token) return null;
    const c = claims(token) || {};
    return { token, claims: c, expired: c.exp ? c.exp * 1000 < Date.now() : false };
  }

  /* ---------- the API, with the offline copy as fallback for reads ---------- */
  async function api(path, options = {}) {
    // fallback: the caller has its own copy (a kept quiz form), so a weak signal is not waited on for long.
    const { method = "GET", body, auth = false, remember = false, fallback = false } = options;
    const url = BD.API + path;
    const headers = {};
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (auth) {
      const token = await BD.kvGet("token");
      if (!token) return { ok: false, status: 401, error: { code: "signed_out" } };
      headers.Authorization = `Bearer ${token}`;
    }
    // A weak signal connects and then sends nothing: never wait on it for ever. With a copy on the phone,
    // give the network a few seconds and then open the copy; without one, wait longer.
    // Once a read has timed out, the next half minute's reads with a copy open the copy at once (one slow
    // wait, not one per request of a screen) while the network refreshes it in the background.
    const cached = method === "GET" ? await caches.match(url, { ignoreVary: true }) : null;
    const hasCopy = !!cached || fallback;
    const waitMs = hasCopy ? (Date.now() < weakSignalUntil ? 0 : BD.WEAK_SIGNAL_MS) : BD.REQUEST_TIMEOUT_MS;
    let response;
    try {
      const request = BD.fetchWithin(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) }, BD.REQUEST_TIMEOUT_MS);
      if (cached && remember) request.then((fresh) => { if (fresh.ok) caches.open(remember === "me" ? ME_CACHE : BD.CONTENT_CACHE).then((c) => c.put(url, fresh.clone())); }).catch(() => {});
      response = await (hasCopy ? Promise.race([request, new Promise((_, reject) => setTimeout(() => reject(new DOMException("slow", "AbortError")), waitMs))]) : request);
    } catch (e) {
      const slow = !!(e && e.name === "AbortError");
      if (slow) weakSignalUntil = Date.now() + 30000;
      if (!cached) return { ok: false, offline: true, slow };
      return { ok: true, status: 200, data: await cached.json(), fromCache: true };
    }
    // An expired token: the learner's last known reads stay on screen (the status line asks to sign in again).
    if (response.status === 401 && cached) return { ok: true, status: 200, data: await cached.json(), fromCache: true };
    if (cached && remember) return consume(response, { method, remember: false, url });
    return consume(response, { method, remember, url });
  }

  let weakSignalUntil = 0;

  async function consume(response, { method, remember, url }) {
    if (response.ok && method === "GET" && remember) {
      (await caches.open(remember === "me" ? ME_CACHE : BD.CONTENT_CACHE)).put(url, response.clone());
    }
    let data = null;
    try { data = await response.json(); } catch (e) { data = null; }
    return {
      ok: response.ok, status: response.status, data, headers: response.headers,
      error: response.ok ? null : (data && data.error) || { code: String(response.status) },
    };
  }

  /* ---------- what the learner has done: the server's view, plus this device's ---------- */
  async function courseState(course) {
    const order = course.outline.flatMap((m) => m.lessons.map((l) => l.slug));
    const quizzes = course.outline.filter((m) => m.quiz).map((m) => m.quiz.id);
    const progress = await api("/me/progress", { auth: true, remember: "me" });
    const mine = progress.ok ? progress.data.courses.find((c) => c.course === course.slug) : null;
    const done = new Set();
    const passed = new Set();
    if (mine) {
      // The server returns the first lesson not done; every lesson before it is done.
      const stop = mine.next_lesson ? order.indexOf(mine.next_lesson) : order.length;
      order.slice(0, stop < 0 ? 0 : stop).forEach((slug) => done.add(slug));
      const quizStop = mine.next_quiz ? quizzes.indexOf(mine.next_quiz) : quizzes.length;
      quizzes.slice(0, quizStop < 0 ? 0 : quizStop).forEach((slug) => passed.add(slug));
    }
    const database = await BD.db();
    const keys = await database.getAllKeys("done", IDBKeyRange.bound(`${course.slug}/`, `${course.slug}/\uffff`));
    for (const key of keys) {
      const rest = key.slice(course.slug.length + 1);
      if (rest.startsWith("quiz:")) passed.add(rest.slice(5));
      else done.add(rest);
    }
    const unlocked = new Set();
    for (const slug of order) {
      unlocked.add(slug);
      if (course.sequential && !done.has(slug)) break;
    }
    if (!course.sequential) order.forEach((slug) => unlocked.add(slug));
    const next = order.find((slug) => !done.has(slug)) || null;
    const complete = order.every((s) => done.has(s)) && quizzes.every((q) => passed.has(q));
    return {
      order, quizzes, done, passed, unlocked, next, complete,
      certificate: mine && mine.certificate, completedOnServer: !!(mine && mine.completed),
    };
  }

  /* Lessons this device completed in a course (kept until sign-out), so a list never shows less than the outline. */
  async function localDone(course) {
    const keys = await (await BD.db()).getAllKeys("done", IDBKeyRange.bound(`${course}/`, `${course}/\uffff`));
    return keys.filter((key) => !key.slice(course.length + 1).startsWith("quiz:")).length;
  }

  async function markDone(course, key) {
    await (await BD.db()).put("done", Date.now(), `${course}/${key}`);
  }

  /* ---------- plain words for what the server says ---------- */
  const RETRY_LATER = "Máy chủ đang bận. Ứng dụng sẽ tự gửi lại sau ít phút.";
  const SIGN_IN_AGAIN = "Phiên đăng nhập đã hết hạn. Hãy mở lại ứng dụng từ ứng dụng chính để đăng nhập lại.";
  const REASONS = {
    locked: "Bài này chưa mở: cần học xong các bài trước. Ứng dụng sẽ tự gửi lại khi các bài trước đã được ghi nhận.",
    attempt_limit: "Bạn đã làm bài kiểm tra này đủ số lần cho phép lúc này. Hãy nghỉ một lúc rồi làm lại.",
    rate_limited: RETRY_LATER,
    too_many_requests: RETRY_LATER,
    rate_limiter_unavailable: RETRY_LATER,
    event_quota: "Máy chủ đã nhận quá nhiều dữ liệu từ tài khoản này. Hãy liên hệ nơi hỗ trợ học tập ở địa phương.",
    form_invalid: "Bài kiểm tra đã được cập nhật. Hãy làm lại bài kiểm tra mới khi có mạng.",
    form_used: "Bài làm này đã được chấm rồi. Hãy làm lại với đề mới.",
    attempt_id_reused: "Bài làm này đã được gửi trước đó. Hãy làm lại với đề mới.",
    unknown_course: "Khóa học này không còn được cung cấp.",
    course_not_found: "Không tìm thấy khóa học này. Có thể khóa học đã được thay đổi; hãy về danh sách khóa học.",
    course_not_started: "Bạn cần bắt đầu học khóa này trước khi đánh giá.",
    unknown_lesson: "Bài học này không còn trong khóa học.",
    lesson_not_found: "Không tìm thấy bài học này. Có thể khóa học đã được cập nhật; hãy mở lại khóa học.",
    quiz_not_found: "Không tìm thấy bài kiểm tra này. Có thể khóa học đã được cập nhật; hãy mở lại khóa học.",
    asset_not_found: "Không tải được hình ảnh này.",
    certificate_not_found: "Không có chứng nhận nào mang mã này.",
    not_found: "Không tìm thấy nội dung này.",
    unsupported_type: "Ứng dụng gửi một loại dữ liệu máy chủ không nhận. Hãy cập nhật ứng dụng.",
    before_publication: "Thời gian trên điện thoại không đúng. Hãy kiểm tra ngày giờ của máy.",
    in_future: "Thời gian trên điện thoại không đúng. Hãy kiểm tra ngày giờ của máy.",
    unauthorized: SIGN_IN_AGAIN,
    missing_token: SIGN_IN_AGAIN,
    token_expired: SIGN_IN_AGAIN,
    signed_out: "Bạn chưa đăng nhập. Hãy mở ứng dụng từ ứng dụng chính của địa phương.",
    invalid_token: "Không đăng nhập được. Hãy mở lại ứng dụng từ ứng dụng chính.",
    forbidden: "Tài khoản này không được dùng chức năng này.",
    insufficient_scope: "Tài khoản này không được dùng chức năng này.",
    invalid_locality: "Mã xã, phường không đúng. Hãy chọn lại xã, phường.",
    province_not_found: "Không tìm thấy tỉnh, thành phố này.",
    bad_request: "Ứng dụng gửi dữ liệu không đúng. Hãy cập nhật ứng dụng rồi thử lại.",
    invalid_request: "Ứng dụng gửi dữ liệu không đúng. Hãy cập nhật ứng dụng rồi thử lại.",
    conflict: "Dữ liệu này đã thay đổi. Hãy mở lại trang rồi thử lại.",
    method_not_allowed: "Ứng dụng gửi yêu cầu không đúng. Hãy cập nhật ứng dụng.",
    not_acceptable: "Ứng dụng gửi yêu cầu không đúng. Hãy cập nhật ứng dụng.",
    payload_too_large: "Dữ liệu gửi đi quá lớn. Ứng dụng sẽ gửi lại từng phần nhỏ hơn.",
    batch_too_large: "Dữ liệu gửi đi quá lớn. Ứng dụng sẽ gửi lại từng phần nhỏ hơn.",
    unsupported_media_type: "Ứng dụng gửi dữ liệu không đúng dạng. Hãy cập nhật ứng dụng.",
    server_error: "Máy chủ đang gặp sự cố. Ứng dụng sẽ tự gửi lại sau.",
    internal_error: "Máy chủ đang gặp sự cố. Ứng dụng sẽ tự gửi lại sau.",
    database_unavailable: "Máy chủ đang bảo trì. Ứng dụng sẽ tự gửi lại sau ít phút.",
    catalogue_unavailable: "Máy chủ đang bảo trì. Hãy thử lại sau ít phút.",
    unavailable: "Máy chủ đang bảo trì. Hãy thử lại sau ít phút.",
    offline: "Chưa có kết nối mạng.",
    slow: "Mạng yếu: chưa gửi được. Bài làm đã lưu trên máy và sẽ tự gửi khi mạng tốt hơn.",
    // Statistics and administration codes (staff screens), in plain words too.
    no_release: "Chưa có bản số liệu nào được công bố.",
    after_release: "Khoảng thời gian này vượt quá bản số liệu mới nhất.",
    before_programme: "Khoảng thời gian này bắt đầu trước khi phong trào bắt đầu.",
    invalid_range: "Khoảng thời gian không hợp lệ.",
    range_too_long: "Khoảng thời gian quá dài.",
    province_required: "Cần chọn tỉnh, thành phố.",
    province_unexpected: "Không cần chọn tỉnh, thành phố ở đây.",
    invalid_csv: "Tệp CSV không đúng mẫu.",
    release_exists: "Bản số liệu của ngày này đã được công bố.",
    commune_not_found: "Không tìm thấy xã, phường mang mã này.",
    commune_by_course_not_published: "Số liệu cấp xã chỉ có cho tất cả khóa học gộp lại.",
    release_not_found: "Đợt công bố số liệu này không còn được lưu.",
    privacy_budget_spent: "Đã hết số đợt công bố được phép theo cam kết bảo vệ riêng tư.",
    archive_too_large: "Tệp zip quá lớn.",
    zip_required: "Hãy gửi một tệp zip.",
    draft_not_found: "Không tìm thấy bản nháp này.",
    draft_has_errors: "Bản nháp còn lỗi nên chưa xuất bản được.",
    version_not_found: "Không tìm thấy phiên bản này.",
  };
  // Never a raw code: an unknown one (a newer server) still reads as a sentence.
  function reasonText(code) { return REASONS[code] || "Máy chủ chưa nhận được. Ứng dụng sẽ thử lại sau; nếu vẫn không được, hãy cập nhật ứng dụng."; }

  /* ---------- the status line: connection and the outbox ---------- */
  async function updateStatus() {
    const items = await BD.pending();
    const net = document.getElementById("net");
    net.textContent = navigator.onLine ? "" : "Đang ngoại tuyến: các bài đã tải về vẫn học được.";
    const count = document.getElementById("outbox-count");
    let text = items.length ? `Đang chờ gửi: ${items.length}` : "";
    const problem = items.find((i) => i.error && i.error.code);
    if (problem) {
      const waitSeconds = Math.ceil((problem.notBefore - Date.now()) / 1000);
      text += `. ${reasonText(problem.error.code)}`;
      if (waitSeconds > 0) text += ` (thử lại sau khoảng ${waitSeconds} giây)`;
    }
    const tokenProblem = await BD.kvGet("tokenProblem");
    if (tokenProblem) text += (text ? ". " : "") + reasonText(tokenProblem);
    count.textContent = text;
    count.dataset.count = String(items.length);
    document.getElementById("send-now").hidden = !items.length || !navigator.onLine;
    document.getElementById("status").hidden = !net.textContent && !text;
  }

  function updateNotice() {
    if (document.getElementById("update")) return;
    const notice = h("div", { id: "update", class: "status", role: "status" },
      h("span", {}, "Có phiên bản mới của ứng dụng."),
      h("button", { type: "button", class: "link", onclick: () => location.reload() }, "Dùng bản mới"));
    document.getElementById("status").after(notice);
  }

  function toast(message) {
    const el = document.getElementById("toast");
    el.textContent = message;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => { el.textContent = ""; }, 6000);
  }

  async function sendNow() {
    await BD.flush();
    await updateStatus();
  }

  /* ---------- routing ---------- */
  const ROUTES = [
    [/^#?\/?$/, "courses"],
    [/^#\/khoa\/([\w-]+)$/, "course"],
    [/^#\/khoa\/([\w-]+)\/bai\/([\w-]+)$/, "lesson"],
    [/^#\/khoa\/([\w-]+)\/kiem-tra\/([\w-]+)$/, "quiz"],
    [/^#\/chung-nhan$/, "certificates"],
    [/^#\/xac-minh\/([\w-]+)$/, "verify"],
    [/^#\/cai-dat$/, "settings"],
    [/^#\/dang-nhap$/, "signin"],
    [/^#\/xem-truoc$/, "previewCourse"],
    [/^#\/xem-truoc\/bai\/([\w-]+)$/, "previewLesson"],
    [/^#\/xem-truoc\/kiem-tra\/([\w-]+)$/, "previewQuiz"],
  ];
  const PUBLIC = new Set(["verify", "signin", "settings"]);
  const PREVIEW = new Set(["previewCourse", "previewLesson", "previewQuiz"]); // an author's token, not a learner's
  let routing = 0;

  async function route() {
    const ticket = ++routing;
    const hash = location.hash || "#/";
    let name = "notFound";
    let params = [];
    for (const [pattern, view] of ROUTES) {
      const match = hash.match(pattern);
      if (match) { name = view; params = match.slice(1).map(decodeURIComponent); break; }
    }
    const previewing = PREVIEW.has(name) && !!preview();
    showPreviewBanner(previewing);
    const me = previewing ? null : await identity();
    if (!me && !PUBLIC.has(name) && !previewing) name = PREVIEW.has(name) ? "previewMissing" : "signin";
    const main = document.getElementById("main");
    let node;
    try {
      node = await self.Views[name](...params);
    } catch (error) {
      console.error(error);
      node = h("div", {}, h("h1", {}, "Có lỗi xảy ra"), h("p", {}, "Không mở được trang này. Hãy thử lại."));
    }
    if (ticket !== routing) return; // a newer navigation won
    main.replaceChildren(node);
    const heading = main.querySelector("h1");
    document.title = heading ? `${heading.textContent} · Bình dân học vụ số` : "Bình dân học vụ số";
    if (route.started) (heading || main).setAttribute("tabindex", "-1"), (heading || main).focus();
    route.started = true;
    window.scrollTo(0, 0);
  }

  function go(hash) {
    if (location.hash === hash) route();
    else location.hash = hash;
  }

  /* ---------- start-up ---------- */
  async function start() {
    takePreviewFromFragment();
    await takeTokenFromFragment();
    listenToHost();
    if ("serviceWorker" in navigator) {
      // A new version installs in the background and takes over at once (skipWaiting); this page still
      // runs the old files, so say so and offer a reload instead of waiting for the next-but-one start.
      const hadController = !!navigator.serviceWorker.controller;
      navigator.serviceWorker.addEventListener("controllerchange", () => { if (hadController) updateNotice(); });
      navigator.serviceWorker.register("/sw.js", { scope: "/" })
        .then((registration) => registration.update())
        .catch((e) => console.warn("service worker", e));
    }
    try {
      new BroadcastChannel(BD.CHANNEL).onmessage = () => updateStatus();
    } catch (e) { /* polling below */ }
    window.addEventListener("online", () => { updateStatus(); sendNow().then(route); });
    window.addEventListener("offline", updateStatus);
    document.addEventListener("visibilitychange", () => { if (!document.hidden) sendNow(); });
    document.getElementById("send-now").addEventListener("click", sendNow);
    window.addEventListener("hashchange", async () => {
      if (location.hash.startsWith("#token=")) await takeTokenFromFragment(); // a host may hand over a new one
      if (location.hash.startsWith("#preview=")) takePreviewFromFragment(); // an author opens another draft
      route();
    });
    setInterval(sendNow, 30000); // items waiting for Retry-After or for an earlier lesson
    await updateStatus();
    route();
    sendNow(); // on app start
  }

  self.App = {
    h, api, identity, acceptToken, forgetLearner, signOut, courseState, markDone, localDone, reasonText, toast, updateStatus,
    sendNow, go, route, settings, saveSettings, claims, confirmDialog, ME_CACHE, REASONS,
    preview, previewCourse, previewPicture, leavePreview,
  };
  start();
})();
