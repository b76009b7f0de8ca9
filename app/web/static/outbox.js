/* Storage and the durable outbox, shared by the page and the service worker (classic script: both
   load it, the page with <script>, the worker with importScripts). Needs the global `idb` (vendor/idb).

   IndexedDB "bdhvs":
     kv        settings and the identity token (the worker needs the token for background sync)
     outbox    what the learner did and the server has not yet acknowledged, keyed by its own id
     sent      what the server acknowledged or refused for good, with its reply (the app shows it)
     done      lessons completed on this device, "course/lesson" -> time
     forms     the last quiz form fetched for each "course/quiz" (kept for offline attempts)
     downloads courses saved for offline use
*/
(function (root) {
  "use strict";
  const API = "/api/v1";
  const CONTENT_CACHE = "bdhvs-content";
  const CHANNEL = "bdhvs-outbox";
  const WEAK_SIGNAL_MS = 3000; // a read with a copy on the phone: after this, open the copy
  const REQUEST_TIMEOUT_MS = 15000; // anything else: after this the request counts as not sent
  let dbPromise = null;

  /* fetch that gives up after `ms`: a weak signal can accept a connection and then send nothing. */
  async function fetchWithin(url, options, ms) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), ms);
    try {
      return await fetch(url, { ...(options || {}), signal: controller.signal });
    } finally {
      clearTimeout(timer);
    }
  }

  function db() {
    if (!dbPromise) {
      dbPromise = root.idb.openDB("bdhvs", 1, {
        upgrade(database) {
          database.createObjectStore("kv");
          database.createObjectStore("outbox", { keyPath: "id" }).createIndex("created", "created");
          database.createObjectStore("sent", { keyPath: "id" });
          database.createObjectStore("done");
          database.createObjectStore("forms");
          database.createObjectStore("downloads", { keyPath: "course" });
        },
      });
    }
    return dbPromise;
  }

  async function kvGet(key) { return (await db()).get("kv", key); }
  async function kvSet(key, value) { return (await db()).put("kv", value, key); }

  function uuid() {
    if (root.crypto && root.crypto.randomUUID) return root.crypto.randomUUID();
    const b = root.crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  function announce() {
    try { new BroadcastChannel(CHANNEL).postMessage("changed"); } catch (e) { /* old browser: polling covers it */ }
  }

  /* An item: {id, kind: "event"|"attempt"|"rating", course, lesson?, quiz?, body, created, notBefore, error?} */
  async function enqueue(item) {
    const full = { id: item.id || uuid(), created: Date.now(), notBefore: 0, error: null, ...item };
    await (await db()).put("outbox", full);
    announce();
    requestBackgroundSync();
    return full;
  }

  async function pending() { return (await db()).getAllFromIndex("outbox", "created"); }

  async function requestBackgroundSync() {
    try {
      const registration = root.registration || (root.navigator.serviceWorker && await root.navigator.serviceWorker.ready);
      if (registration && registration.sync) await registration.sync.register("bdhvs-outbox");
    } catch (e) { /* Background Sync is optional: reconnect and app start send the outbox too */ }
  }

  function retryAfterMs(response) {
    const value = response.headers.get("Retry-After");
    const seconds = Number(value);
    if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
    const date = Date.parse(value || "");
    return Number.isFinite(date) ? Math.max(0, date - Date.now()) : 30000;
  }

  async function errorOf(response) {
    try { return (await response.json()).error || { code: String(response.status), message: "" }; }
    catch (e) { return { code: String(response.status), message: "" }; }
  }

  async function settle(item, outcome, extra) {
    const database = await db();
    const tx = database.transaction(["outbox", "sent"], "readwrite");
    await tx.objectStore("sent").put({ ...item, outcome, sentAt: Date.now(), ...extra });
    await tx.objectStore("outbox").delete(item.id);
    await tx.done;
  }

  async function keep(item, changes) {
    await (await db()).put("outbox", { ...item, ...changes });
  }

  let flushing = null;
  /* Send everything due. Safe to run from several places at once: the server is idempotent by id, and
     a Web Lock (where available) keeps the page and the worker from sending the same batch together. */
  function flush() {
    if (flushing) return flushing;
    const run = async () => {
      const locks = root.navigator && root.navigator.locks;
      if (locks) return locks.request("bdhvs-outbox", () => flushOnce());
      return flushOnce();
    };
    flushing = run().finally(() => { flushing = null; announce(); });
    return flushing;
  }

  async function flushOnce() {
    const token = await kvGet("token");
    if (!token) return { sent: 0, reason: "signed_out" };
    const now = Date.now();
    const due = (await pending()).filter((item) => item.notBefore <= now);
    let sent = 0;
    const auth = { Authorization: `Bearer ${token}`, "Content-Type": "application/json" };
    const events = due.filter((item) => item.kind === "event");
    try {
      for (let i = 0; i < events.length; i += 50) sent += await sendEvents(events.slice(i, i + 50), auth);
      for (const item of due.filter((i) => i.kind !== "event")) sent += await sendOne(item, auth);
    } catch (e) {
      if (e && e.stop) return { sent, reason: e.stop };
      return { sent, reason: e && e.name === "AbortError" ? "slow" : "offline" };
    }
    return { sent, reason: null };
  }

  async function stopOn(response, items) {
    if (response.status === 401) {
      await kvSet("tokenProblem", (await errorOf(response)).code);
      throw { stop: "unauthorized" };
    }
    if (response.status === 429) {
      const error = await errorOf(response);
      const notBefore = Date.now() + retryAfterMs(response);
      for (const item of items) await keep(item, { notBefore, error });
      throw { stop: error.code || "rate_limited" };
    }
    if (response.status >= 500 || response.status === 413) {
      for (const item of items) await keep(item, { notBefore: Date.now() + 15000, error: { code: "server_error" } });
      throw { stop: "server_error" };
    }
  }

  async function sendEvents(items, headers) {
    const body = { events: items.map((i) => i.body) };
    const response = await fetchWithin(`${API}/progress/events`, { method: "POST", headers, body: JSON.stringify(body) }, REQUEST_TIMEOUT_MS);
    await stopOn(response, items);
    if (!response.ok) {
      const error = await errorOf(response);
      for (const item of items) await settle(item, "rejected", { reason: error.code });
      return 0;
    }
    const reply = await response.json();
    const rejected = new Map(reply.rejected.map((r) => [r.id, r.reason]));
    let settled = 0;
    for (const item of items) {
      const reason = rejected.get(item.id);
      if (!reason) { await settle(item, "accepted"); settled++; }
      else if (reason === "locked") {
        // Not final: an earlier lesson has not reached the server yet. Try again later.
        await keep(item, { notBefore: Date.now() + 60000, error: { code: "locked" } });
      } else await settle(item, "rejected", { reason });
    }
    return settled;
  }

  async function sendOne(item, headers) {
    const url = item.kind === "attempt"
      ? `${API}/courses/${item.course}/quizzes/${item.quiz}/attempts`
      : `${API}/courses/${item.course}/rating`;
    const method = item.kind === "attempt" ? "POST" : "PUT";
    const response = await fetchWithin(url, { method, headers, body: JSON.stringify(item.body) }, REQUEST_TIMEOUT_MS);
    await stopOn(response, [item]);
    if (response.ok) {
      await settle(item, "accepted", { reply: await response.json() });
      return 1;
    }
    const error = await errorOf(response);
    await settle(item, "rejected", { reason: error.code, message: error.message });
    return 0;
  }

  root.BD = {
    API, CONTENT_CACHE, CHANNEL, WEAK_SIGNAL_MS, REQUEST_TIMEOUT_MS, db, kvGet, kvSet, uuid, enqueue, pending, flush,
    requestBackgroundSync, fetchWithin,
  };
})(self);
