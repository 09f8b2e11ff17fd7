/* The installable app: registers the service worker (web/static/sw.js) on every page.
 * Service workers need a secure origin: HTTPS, or localhost while developing;
 * over plain http on the home network this does nothing and pages work as before. */
"use strict";

if ("serviceWorker" in navigator && window.isSecureContext) {
  window.addEventListener("load", () => {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => {
      /* no worker: every page still works online, only the offline page is missing */
    });
  });
}
