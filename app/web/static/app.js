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
    if (previous && previous !== owner) await forgetLearner(); // another person on this phone
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
  }

  async function takeTokenFromFragment() {
    if (!location.hash.startsWith("#token=")) return;
    const token = new URLSearchParams(location.hash.slice(1)).get("token");
    history.replaceState(null, "", location.pathname + location.search + "#/"); // keep it out of history
    if (token) await acceptToken(token);
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
    const { method = "GET", body, auth = false, remember = false } = options;
    const url = BD.API + path;
    const headers = {};
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (auth) {
      const token = await BD.kvGet("token");
      if (!token) return { ok: false, status: 401, error: { code: "signed_out" } };
      headers.Authorization = `Bearer ${token}`;
    }
    let response;
    try {
      response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (e) {
      if (method !== "GET") return { ok: false, offline: true };
      const cached = await caches.match(url, { ignoreVary: true });
      if (!cached) return { ok: false, offline: true };
      return { ok: true, status: 200, data: await cached.json(), fromCache: true };
    }
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

  async function markDone(course, key) {
    await (await BD.db()).put("done", Date.now(), `${course}/${key}`);
  }

  /* ---------- plain words for what the server says ---------- */
  const REASONS = {
    locked: "Bài này chưa mở: cần học xong các bài trước. Ứng dụng sẽ tự gửi lại khi các bài trước đã được ghi nhận.",
    attempt_limit: "Bạn đã làm bài kiểm tra này đủ số lần cho phép lúc này. Hãy nghỉ một lúc, ứng dụng sẽ tự gửi lại sau.",
    rate_limited: "Máy chủ đang bận. Ứng dụng sẽ tự gửi lại sau ít phút.",
    form_invalid: "Bài kiểm tra đã được cập nhật. Hãy làm lại bài kiểm tra mới khi có mạng.",
    unknown_course: "Khoá học này không còn được cung cấp.",
    unknown_lesson: "Bài học này không còn trong khoá học.",
    unsupported_type: "Ứng dụng gửi một loại dữ liệu máy chủ không nhận.",
    before_publication: "Thời gian trên điện thoại không đúng. Hãy kiểm tra ngày giờ của máy.",
    in_future: "Thời gian trên điện thoại không đúng. Hãy kiểm tra ngày giờ của máy.",
    unauthorized: "Phiên đăng nhập đã hết hạn. Hãy mở lại ứng dụng từ ứng dụng chính để đăng nhập lại.",
    token_expired: "Phiên đăng nhập đã hết hạn. Hãy mở lại ứng dụng từ ứng dụng chính để đăng nhập lại.",
    invalid_token: "Không đăng nhập được. Hãy mở lại ứng dụng từ ứng dụng chính.",
    server_error: "Máy chủ đang gặp sự cố. Ứng dụng sẽ tự gửi lại sau.",
    offline: "Chưa có kết nối mạng.",
  };
  function reasonText(code) { return REASONS[code] || `Máy chủ không nhận (mã: ${code}).`; }

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
  ];
  const PUBLIC = new Set(["verify", "signin", "settings"]);
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
    const me = await identity();
    if (!me && !PUBLIC.has(name)) name = "signin";
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
    await takeTokenFromFragment();
    listenToHost();
    if ("serviceWorker" in navigator) {
      navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch((e) => console.warn("service worker", e));
    }
    try {
      new BroadcastChannel(BD.CHANNEL).onmessage = () => updateStatus();
    } catch (e) { /* polling below */ }
    window.addEventListener("online", () => { updateStatus(); sendNow().then(route); });
    window.addEventListener("offline", updateStatus);
    document.addEventListener("visibilitychange", () => { if (!document.hidden) sendNow(); });
    document.getElementById("send-now").addEventListener("click", sendNow);
    window.addEventListener("hashchange", route);
    setInterval(sendNow, 30000); // items waiting for Retry-After or for an earlier lesson
    await updateStatus();
    route();
    sendNow(); // on app start
  }

  self.App = {
    h, api, identity, acceptToken, forgetLearner, courseState, markDone, reasonText, toast, updateStatus,
    sendNow, go, route, settings, saveSettings, claims, ME_CACHE,
  };
  start();
})();
