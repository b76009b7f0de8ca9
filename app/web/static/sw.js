/* The service worker: keeps the app shell for offline starts, answers catalogue reads from the
   network first and from the offline copy when there is no connection, and sends the outbox on
   Background Sync. Hand-written (see docs/app.md for why not Workbox). The server fills in the
   version and the file list from the hashes of the files, so any change installs a new worker. */
"use strict";
importScripts("/web/vendor/idb/umd.js", "/web/outbox.js");

const VERSION = "__SHELL_VERSION__";
const SHELL_CACHE = `bdhvs-shell-${VERSION}`;
const SHELL_FILES = __SHELL_FILES__;

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELL_CACHE).then((cache) => cache.addAll(SHELL_FILES)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith("bdhvs-shell-") && name !== SHELL_CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

/* The network when it answers; the offline copy when it fails, or, on a weak signal that connects and then
   sends nothing, once WEAK_SIGNAL_MS have passed (the network's answer still refreshes the copy later). */
async function networkFirst(request, cacheName) {
  const cached = await caches.match(request.url, { ignoreVary: true });
  const network = fetch(request).then((response) => {
    if (response.ok && cacheName) {
      const copy = response.clone();
      caches.open(cacheName).then((cache) => cache.put(request.url, copy));
    }
    return response;
  });
  if (!cached) return network;
  let timer;
  const patience = new Promise((resolve) => { timer = setTimeout(() => resolve(cached), self.BD.WEAK_SIGNAL_MS); });
  try {
    return await Promise.race([network, patience]);
  } catch (error) {
    return cached;
  } finally {
    clearTimeout(timer);
  }
}

async function cacheFirst(request, cacheName) {
  const cached = await caches.match(request.url, { ignoreVary: true });
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok) (await caches.open(cacheName)).put(request.url, response.clone());
  return response;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    event.respondWith(fetch(request).catch(() => caches.match("/", { cacheName: SHELL_CACHE })));
  } else if (url.pathname.startsWith("/web/") || url.pathname === "/manifest.webmanifest") {
    event.respondWith(caches.match(url.pathname, { cacheName: SHELL_CACHE }).then((hit) => hit || fetch(request)));
  } else if (url.pathname.startsWith("/api/v1/assets/")) {
    event.respondWith(cacheFirst(request, self.BD.CONTENT_CACHE)); // content-hashed, immutable
  } else if (url.pathname.startsWith("/api/v1/courses") && !url.pathname.includes("/quizzes/")) {
    // Catalogue reads are public: refresh the offline copy whenever the network answers.
    event.respondWith(networkFirst(request, self.BD.CONTENT_CACHE));
  } else if (url.pathname.startsWith("/api/v1/certificates/") || url.pathname.startsWith("/api/v1/localities")) {
    event.respondWith(networkFirst(request, self.BD.CONTENT_CACHE));
  }
  // Learner reads (/me/...) and quiz forms are handled by the page, which stores them itself.
});

self.addEventListener("sync", (event) => {
  // Rejecting asks the browser to try again later (with its own back-off) while still offline.
  if (event.tag !== "bdhvs-outbox") return;
  event.waitUntil(self.BD.flush().then((result) => {
    if (result.reason === "offline" || result.reason === "server_error") throw new Error("outbox not sent yet");
  }));
});

self.addEventListener("message", (event) => {
  if (event.data === "flush") event.waitUntil(self.BD.flush());
});
