/* Hearthside's service worker: the app shell offline, and nothing private ever.
 *
 * SHELL_VERSION and SHELL are prepended by the server (web/app_shell.py).
 * What is stored: the SHELL list only - public styles, scripts, icons and the
 * offline page - fetched at install. Nothing is ever added at run time, so
 * pages and /api/ answers, which hold private text, never reach the cache.
 *
 * - /api/ and the live stream: not touched (the browser goes to the network).
 * - a page (navigation): the network only; when it cannot be reached, the
 *   offline page from the cache.
 * - a shell file: the network first (online, a page behaves as if there were
 *   no worker), the cached copy when offline.
 * - anything else: not touched.
 *
 * Notifications (docs/notifications.md): a "push" shows the title and body the
 * server sent (content-free - "Something is waiting in Hearthside" - unless
 * the member chose detailed ones) and stores nothing; a tap opens or focuses
 * the app at the message's path, on this server only.
 */
"use strict";

const CACHE = "hearthside-shell-" + SHELL_VERSION;
const OFFLINE = SHELL[0];

self.addEventListener("install", (event) => {
  // Fetched without cookies: what is stored is what anybody gets, never a page rendered for the member.
  const requests = SHELL.map((url) => new Request(url, { credentials: "omit" }));
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(requests)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((name) => name !== CACHE).map((name) => caches.delete(name))))
      .then(() => self.clients.claim())
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin || url.pathname.startsWith("/api/")) {
    return;
  }
  if (request.mode === "navigate") {
    event.respondWith(fetch(request).catch(() => caches.match(OFFLINE)));
    return;
  }
  // Shell files are asked for by their versioned URL (/static/app.js?v=<hash>), as SHELL lists them.
  const path = url.pathname + url.search;
  if (SHELL.includes(path)) {
    event.respondWith(fetch(request).catch(() => caches.match(path)));
  }
});

self.addEventListener("push", (event) => {
  let message = {};
  try {
    message = event.data ? event.data.json() : {};
  } catch (error) {
    message = {};
  }
  const title = typeof message.title === "string" ? message.title : "Hearthside";
  event.waitUntil(self.registration.showNotification(title, {
    body: typeof message.body === "string" ? message.body : "Something is waiting in Hearthside",
    tag: typeof message.tag === "string" ? message.tag : "hearthside",
    icon: "/static/icons/icon-192.png",
    data: { url: typeof message.url === "string" && message.url.startsWith("/") && !message.url.startsWith("//")
      ? message.url : "/" },
  }));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const target = new URL(event.notification.data && event.notification.data.url || "/", self.location.origin);
  event.waitUntil(self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((windows) => {
    const open = windows.find((client) => new URL(client.url).origin === target.origin);
    if (open) {  // navigate() works only on a page this worker controls: else a new window
      return open.focus().then((client) => client.navigate(target.href)).catch(() => self.clients.openWindow(target.href));
    }
    return self.clients.openWindow(target.href);
  }));
});
