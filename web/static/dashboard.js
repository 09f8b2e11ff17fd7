/*
 * Hearthside: the wall screen (/dashboard).
 *
 * The tablet pairs itself once: a pairing code typed here (or arriving via
 * the QR link /dashboard/pair?code=...) is exchanged for a device token,
 * kept in this browser's localStorage. The token can read only what both
 * partners agreed to show on the wall. Then the screen shows the cards from
 * /api/v1/dashboard, follows the live stream (re-reading the cards when a
 * consent changes, dropping a revoked card at once), takes the pause
 * full-screen, keeps itself awake where the browser allows and dims when
 * nobody is around.
 */
(function () {
  "use strict";

  var HS = window.Hearthside;
  var $ = HS.$;
  var el = HS.el;
  var TOKEN_KEY = "hearthside.deviceToken";
  var IDLE_MS = 5 * 60 * 1000; // dim after five quiet minutes
  // Re-read the cards now and then, for cards that change with the time of day
  // (a scope turned on or off is told at once: consent.activated / consent.revoked).
  var REFRESH_MS = 30 * 1000;

  var token = null;
  var socket = null;
  var cardsLoaded = false;
  var refreshTimer = null;
  var reloadSoon = null;

  function readToken() {
    try {
      return window.localStorage.getItem(TOKEN_KEY);
    } catch (e) {
      return null;
    }
  }

  function storeToken(value) {
    try {
      if (value) window.localStorage.setItem(TOKEN_KEY, value);
      else window.localStorage.removeItem(TOKEN_KEY);
    } catch (e) {
      /* private mode: the screen pairs again after a reload */
    }
  }

  function status(text) {
    $("[data-status]").textContent = text || "";
  }

  // -- the clock ------------------------------------------------------------------

  function clock() {
    var now = new Date();
    $("[data-clock-time]").textContent = now.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    $("[data-clock-date]").textContent = now.toLocaleDateString([], { weekday: "long", day: "numeric", month: "long" });
  }

  // -- pairing ----------------------------------------------------------------------

  function showPairing(message) {
    HS.show($("[data-pair]"), true);
    HS.show($("[data-wake-hint]"), !("wakeLock" in navigator));
    HS.show($("[data-cards-section]"), false);
    HS.showError($("[data-error]", $("[data-pair]")), message ? { message: message } : null);
    var input = $("#pairing-code");
    if (input.value) $("[data-pair-form] button").focus();
    else input.focus();
  }

  function pair(event) {
    event.preventDefault();
    var form = event.target;
    var input = form.elements.pairing_code;
    var error = $("[data-error]", $("[data-pair]"));
    var code = input.value.trim();
    if (!code) {
      HS.showError(error, { message: "Type the code shown on your phone." });
      input.focus();
      return;
    }
    form.querySelector("button").disabled = true;
    HS.api("POST", "/api/v1/devices/claim", { pairing_code: code }, { anonymous: true })
      .then(function (data) {
        storeToken(data.token);
        input.value = "";
        HS.showError(error, null);
        if (window.location.pathname !== "/dashboard") window.history.replaceState(null, "", "/dashboard");
        start();
      })
      .catch(function (failure) {
        HS.showError(error, failure);
      })
      .then(function () {
        form.querySelector("button").disabled = false;
      });
  }

  function unpair(message) {
    storeToken(null);
    token = null;
    if (socket) {
      socket.stopped = true; // stop hearthside.js from retrying with the old token
      socket.disconnect();
      socket = null;
    }
    clearInterval(refreshTimer);
    $("[data-cards]").textContent = ""; // nothing of the couple's stays on an unpaired screen
    HS.pauseEnded();
    HS.closeReturnPrompt();
    showPairing(message);
  }

  // -- cards ------------------------------------------------------------------------

  function scalar(value) {
    return value === null || ["string", "number", "boolean"].indexOf(typeof value) >= 0;
  }

  /** A card body is a small dict from a plugin; show it as text, never as HTML. */
  function renderBody(body) {
    var wrap = el("div", "card__body");
    if (typeof body === "string") {
      wrap.appendChild(el("p", "", body));
      return wrap;
    }
    if (!body || typeof body !== "object") return wrap;
    if (typeof body.text === "string") wrap.appendChild(el("p", "card__text", body.text));
    if (scalar(body.value) && body.value !== null) wrap.appendChild(el("p", "card__value", body.value));
    if (Array.isArray(body.items)) {
      var list = el("ul", "card__items");
      body.items.slice(0, 12).forEach(function (item) {
        if (scalar(item)) list.appendChild(el("li", "", item));
        else if (item && typeof item === "object") {
          var li = el("li");
          li.appendChild(el("span", "card__label", item.label || item.title || ""));
          if (scalar(item.value) && item.value !== null) li.appendChild(el("span", "card__item-value", item.value));
          list.appendChild(li);
        }
      });
      wrap.appendChild(list);
    }
    var rest = Object.keys(body).filter(function (key) {
      return ["text", "value", "items"].indexOf(key) < 0 && scalar(body[key]) && body[key] !== null;
    });
    if (rest.length) {
      var dl = el("dl", "card__facts");
      rest.forEach(function (key) {
        dl.appendChild(el("dt", "", key.replace(/_/g, " ")));
        dl.appendChild(el("dd", "", body[key]));
      });
      wrap.appendChild(dl);
    }
    return wrap;
  }

  function renderCards(cards) {
    var list = $("[data-cards]");
    list.textContent = "";
    cards.forEach(function (card) {
      var item = el("li", "card card--wall");
      item.setAttribute("data-card", (card.plugin || "") + ":" + card.id);
      item.setAttribute("data-plugin", card.plugin || "");
      item.appendChild(el("h2", "card__title", card.title || ""));
      item.appendChild(renderBody(card.body));
      list.appendChild(item);
    });
    HS.show($("[data-cards-empty]"), !cards.length);
    list.classList.toggle("cards--few", cards.length <= 2);
  }

  /** Drop every card of a plugin at once (its consent was just revoked). */
  function dropPlugin(plugin) {
    Array.prototype.slice.call(document.querySelectorAll("[data-card]")).forEach(function (node) {
      if (node.getAttribute("data-plugin") === plugin) node.parentNode.removeChild(node);
    });
    HS.show($("[data-cards-empty]"), !document.querySelector("[data-card]"));
  }

  function load() {
    if (!token) return Promise.resolve(null);
    var heard = HS.pause.heard;
    return HS.api("GET", "/api/v1/dashboard", null, { token: token })
      .then(function (data) {
        cardsLoaded = true;
        HS.show($("[data-pair]"), false);
        HS.show($("[data-cards-section]"), true);
        renderCards(data.cards || []);
        HS.applyPauseRead(data.pause, heard);
        return data.pause;
      })
      .catch(function (failure) {
        if (failure.status === 401) {
          unpair("This screen was removed or its pairing ended. Pair it again from a phone.");
        } else if (!cardsLoaded) {
          status(failure.message);
        }
        throw failure;
      });
  }

  function loadSoon() {
    clearTimeout(reloadSoon);
    reloadSoon = setTimeout(function () {
      load().catch(function () {});
    }, 150);
  }

  // -- live ---------------------------------------------------------------------------

  HS.on("consent.revoked", function (event) {
    var scope = (event.payload && event.payload.scope) || "";
    if (scope.indexOf("dashboard.") === 0) dropPlugin(scope.slice("dashboard.".length));
    load().catch(function () {});
  });
  HS.on("consent.activated", function () {
    load().catch(function () {}); // both agreed just now: show the plugin's cards at once
  });
  HS.on("*", function (event) {
    wake();
    if (!/^(pause|consent)\./.test(event.type)) loadSoon(); // a plugin's card may have changed
  });

  function connect() {
    var offlineTimer = null;
    socket = HS.live({
      token: token,
      onConnect: function () {
        clearTimeout(offlineTimer);
        status("");
        load().catch(function () {}); // catch up on anything missed while away
      },
      onDisconnect: function () {
        clearTimeout(offlineTimer);
        offlineTimer = setTimeout(function () {
          status("Reconnecting…");
        }, 5000);
      },
      onFull: function (text) {
        clearTimeout(offlineTimer); // not "Reconnecting…": the server is full, and it retries by itself
        status(text);
      },
      onRefused: function () {
        // Revoked devices are told so by /api/v1/dashboard (401 -> pair again).
        load().catch(function () {});
      },
    });
  }

  // -- awake, and dim when idle -----------------------------------------------------

  var wakeLock = null;

  function keepAwake() {
    if (!("wakeLock" in navigator) || document.visibilityState !== "visible" || wakeLock) return;
    navigator.wakeLock
      .request("screen")
      .then(function (lock) {
        wakeLock = lock;
        lock.addEventListener("release", function () {
          wakeLock = null;
        });
      })
      .catch(function () {
        /* not allowed here (plain http, battery saver): the tablet's own settings decide */
      });
  }

  var idleTimer = null;

  function wake() {
    document.body.classList.remove("is-dim");
    clearTimeout(idleTimer);
    idleTimer = setTimeout(function () {
      if (!HS.pause.active) document.body.classList.add("is-dim");
    }, IDLE_MS);
  }

  ["pointerdown", "keydown", "touchstart"].forEach(function (type) {
    document.addEventListener(type, wake, { passive: true });
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") {
      keepAwake();
      wake();
      if (token) load().catch(function () {});
    }
  });
  HS.pause.onChange.push(wake);

  // -- start ----------------------------------------------------------------------------

  function start() {
    token = readToken();
    if (!token) {
      showPairing();
      return;
    }
    HS.pause.refresh = load;
    load().catch(function () {});
    if (!socket) connect();
    clearInterval(refreshTimer);
    refreshTimer = setInterval(function () {
      load().catch(function () {});
    }, REFRESH_MS);
    keepAwake();
    wake();
  }

  document.addEventListener("DOMContentLoaded", function () {
    clock();
    setInterval(clock, 1000);
    $("[data-pair-form]").addEventListener("submit", pair);
    var code = document.body.getAttribute("data-pairing-code");
    if (code && readToken()) {
      // A paired screen scanning a new code: pair again with the new one.
      storeToken(null);
    }
    start();
  });
})();
