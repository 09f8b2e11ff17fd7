/*
 * Hearthside: what every page shares.
 *
 *  - Hearthside.api(): fetch the JSON API with the session cookie and the
 *    X-CSRF-Token header (or a device's bearer token on the wall screen);
 *  - Hearthside.live(): the Socket.IO connection (the official client,
 *    served from /static/vendor), reconnecting by itself;
 *  - the pause overlay ("Taking a breath", time left, then "Ready to come
 *    back?"), shown on phones and on the wall the moment a pause starts.
 *
 * Nothing here talks to any other server. Text from the API is always set
 * with textContent, never parsed as HTML.
 */
(function () {
  "use strict";

  var HS = (window.Hearthside = window.Hearthside || {});
  var meta = document.querySelector('meta[name="csrf-token"]');
  HS.csrf = meta ? meta.getAttribute("content") : null;
  HS.listeners = {};

  // -- small DOM helpers ---------------------------------------------------

  HS.$ = function (selector, root) {
    return (root || document).querySelector(selector);
  };
  HS.$$ = function (selector, root) {
    return Array.prototype.slice.call((root || document).querySelectorAll(selector));
  };
  HS.el = function (tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  };
  HS.show = function (node, visible) {
    if (node) node.hidden = !visible;
  };
  HS.showError = function (node, error) {
    if (!node) return;
    node.textContent = error ? (error.message || String(error)) : "";
    node.hidden = !error;
  };
  HS.toast = function (message) {
    var node = HS.$("[data-toast]");
    if (!node) return;
    node.textContent = message;
    node.hidden = false;
    clearTimeout(HS._toastTimer);
    HS._toastTimer = setTimeout(function () {
      node.hidden = true;
    }, 4000);
  };

  // -- the JSON API ----------------------------------------------------------

  function ApiError(status, code, message) {
    this.status = status;
    this.code = code;
    this.message = message;
  }
  HS.ApiError = ApiError;

  HS.refreshCsrf = function () {
    return fetch("/api/v1/auth/csrf", { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (data) {
        if (data && data.csrf_token) HS.csrf = data.csrf_token;
        return HS.csrf;
      })
      .catch(function () {
        return HS.csrf;
      });
  };

  /**
   * Call the API. Resolves with the JSON answer; rejects with an ApiError
   * whose message is written for people. options.token sends a bearer token
   * (the wall screen) instead of the cookie; options.anonymous sends neither.
   */
  HS.api = function (method, path, body, options) {
    options = options || {};
    var headers = { Accept: "application/json" };
    if (body !== undefined && body !== null) headers["Content-Type"] = "application/json";
    if (options.token) headers.Authorization = "Bearer " + options.token;
    else if (HS.csrf && method !== "GET" && !options.anonymous) headers["X-CSRF-Token"] = HS.csrf;
    return fetch(path, {
      method: method,
      headers: headers,
      credentials: options.token || options.anonymous ? "omit" : "same-origin",
      cache: "no-store",
      body: body !== undefined && body !== null ? JSON.stringify(body) : undefined,
    })
      .catch(function () {
        throw new ApiError(0, "offline", "Can't reach Hearthside right now. Check the Wi-Fi and try again.");
      })
      .then(function (response) {
        return response
          .json()
          .catch(function () {
            return null;
          })
          .then(function (data) {
            if (response.ok) return data || {};
            var error = (data && data.error) || {};
            var failure = new ApiError(
              response.status,
              error.code || "error",
              error.message || "Something went wrong (" + response.status + "). Please try again."
            );
            if (failure.code === "csrf_failed" && !options.retried && !options.token && !options.anonymous) {
              // The session changed (signed in, or a long-open page): fetch a fresh token once.
              return HS.refreshCsrf().then(function () {
                return HS.api(method, path, body, Object.assign({}, options, { retried: true }));
              });
            }
            throw failure;
          });
      });
  };

  // -- formatting --------------------------------------------------------------

  HS.members = (function () {
    var node = document.getElementById("hs-members");
    var byId = {};
    if (node) {
      try {
        JSON.parse(node.textContent).forEach(function (m) {
          byId[String(m.id)] = m;
        });
      } catch (e) {
        /* no names: fall back to "someone" */
      }
    }
    return byId;
  })();
  HS.memberId = document.body.getAttribute("data-member-id");
  HS.nameOf = function (id) {
    if (id === null || id === undefined) return "Hearthside";
    if (String(id) === HS.memberId) return "You";
    var member = HS.members[String(id)];
    return member ? member.display_name : "Someone";
  };

  HS.formatTime = function (iso) {
    var when = new Date(iso);
    if (isNaN(when.getTime())) return "";
    var now = new Date();
    var time = when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    var startOfToday = new Date(now.getFullYear(), now.getMonth(), now.getDate()).getTime();
    if (when.getTime() >= startOfToday) return "Today " + time;
    if (when.getTime() >= startOfToday - 86400000) return "Yesterday " + time;
    return when.toLocaleDateString([], { weekday: "short", day: "numeric", month: "short" }) + " " + time;
  };

  HS.formatLeft = function (seconds) {
    seconds = Math.max(0, Math.ceil(seconds));
    var h = Math.floor(seconds / 3600);
    var m = Math.floor((seconds % 3600) / 60);
    var s = seconds % 60;
    var two = function (n) {
      return (n < 10 ? "0" : "") + n;
    };
    return h > 0 ? h + ":" + two(m) + ":" + two(s) : two(m) + ":" + two(s);
  };

  // -- events on the page ----------------------------------------------------------

  /** Listen to live events by type ("pause.started"), by a list of types, or "*" for all. */
  HS.on = function (types, handler) {
    [].concat(types).forEach(function (type) {
      (HS.listeners[type] = HS.listeners[type] || []).push(handler);
    });
  };
  HS.dispatch = function (event) {
    (HS.listeners[event.type] || []).concat(HS.listeners["*"] || []).forEach(function (handler) {
      try {
        handler(event);
      } catch (e) {
        if (window.console) console.error(e);
      }
    });
  };

  // -- the live stream ---------------------------------------------------------------

  // The server turns a screen away when it holds server.live_connections already (core/live.py,
  // FULL_MESSAGE). Nothing is wrong with this screen: say so calmly while it keeps retrying.
  var SERVER_FULL = /as many live screens as it can/;
  HS.LIVE_FULL = "Live updates paused: too many screens connected; retrying";

  /** Show (or, with no text, hide) a line about the live stream in the page's [data-live-status]. */
  HS.liveStatus = function (text) {
    HS.$$("[data-live-status]").forEach(function (line) {
      line.textContent = text || "";
      line.hidden = !text;
    });
  };

  /**
   * Connect to Socket.IO. options: token (the wall) or nothing (the session
   * cookie); onConnect(); onDisconnect(); onRefused(error) when the server
   * turns the connection down (signed out, device revoked); onFull(text) when
   * it holds as many screens as it may (the page's [data-live-status] says so too).
   * The client reconnects by itself after network trouble or a restart.
   */
  HS.live = function (options) {
    options = options || {};
    if (typeof window.io !== "function") return null;
    // With no auth at all the server uses the session cookie; an empty auth would be refused.
    var settings = {
      reconnection: true,
      reconnectionDelay: 1000,
      reconnectionDelayMax: 5000,
      timeout: 10000,
    };
    if (options.token) settings.auth = { token: options.token };
    var socket = window.io(settings);
    socket.on("event", function (event) {
      if (event && event.type) HS.dispatch(event);
    });
    socket.on("connect", function () {
      HS.liveStatus("");
      if (options.onConnect) options.onConnect();
    });
    socket.on("disconnect", function (reason) {
      if (options.onDisconnect) options.onDisconnect(reason);
      if (reason === "io server disconnect") {
        // The server closed it on purpose (a revoked token): ask the page what to do.
        if (options.onRefused) options.onRefused(reason);
      }
    });
    socket.on("connect_error", function (error) {
      if (options.onDisconnect) options.onDisconnect("connect_error");
      if (error && SERVER_FULL.test(error.message || "")) {
        HS.liveStatus(HS.LIVE_FULL);
        if (options.onFull) options.onFull(HS.LIVE_FULL);
      }
      if (!socket.active) {
        // Refused by the server, so no automatic retry: let the page check why,
        // then try again calmly in a while (a server restarting also lands here).
        if (options.onRefused) options.onRefused(error);
        setTimeout(function () {
          if (!socket.connected && !socket.stopped) socket.connect();
        }, 10000);
      }
    });
    HS.socket = socket;
    return socket;
  };

  // -- the pause overlay ---------------------------------------------------------------

  var pause = (HS.pause = {
    active: false,
    endsAt: 0, // local clock, ms
    timer: null,
    onChange: [], // callbacks(active) for pages (the home page's status line)
    refresh: null, // function returning a promise of the current state (set by the page)
    heard: 0, // live pause events so far: a read sent before the latest one is stale
  });

  function pauseNodes() {
    return { overlay: HS.$("#pause-overlay"), back: HS.$("#pause-return") };
  }

  function setInert(inert) {
    var main = HS.$("main");
    if (main) {
      if (inert) main.setAttribute("inert", "");
      else main.removeAttribute("inert");
    }
  }

  function tick() {
    var nodes = pauseNodes();
    var left = (pause.endsAt - Date.now()) / 1000;
    var out = nodes.overlay && HS.$("[data-pause-left]", nodes.overlay);
    if (out) out.textContent = HS.formatLeft(left);
    if (left <= 0) {
      // Time is up. The server closes the pause when next asked; ask, then say "ready?".
      HS.pauseEnded();
      if (pause.refresh) pause.refresh().catch(function () {});
    }
  }

  /** Apply a pause state from the API or a pause.started event. */
  HS.applyPause = function (state) {
    if (!state || !state.active) {
      if (pause.active) HS.pauseEnded();
      return;
    }
    var nodes = pauseNodes();
    if (!nodes.overlay) return;
    var seconds = typeof state.seconds_left === "number" ? state.seconds_left : null;
    if (seconds === null && state.ends_at) seconds = (new Date(state.ends_at).getTime() - Date.now()) / 1000;
    if (seconds === null || seconds <= 0) return;
    pause.endsAt = Date.now() + seconds * 1000;
    var wasActive = pause.active;
    pause.active = true;
    if (nodes.back) nodes.back.hidden = true;
    var note = HS.$("[data-pause-note]", nodes.overlay);
    if (note) {
      var until = new Date(pause.endsAt).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
      note.textContent = "Nothing is lost. You can come back to it at " + until + ".";
    }
    nodes.overlay.hidden = false;
    document.documentElement.classList.add("is-paused");
    setInert(true);
    clearInterval(pause.timer);
    pause.timer = setInterval(tick, 250);
    tick();
    if (!wasActive) {
      nodes.overlay.setAttribute("tabindex", "-1");
      nodes.overlay.focus({ preventScroll: true });
      pause.onChange.forEach(function (cb) {
        cb(true);
      });
    }
  };

  /**
   * Apply the pause state a read (GET) returned, unless a live pause event was
   * heard since the read was sent (``heardBefore`` = ``HS.pause.heard`` then):
   * that event is newer, and a slow answer must not lift a pause just started.
   */
  HS.applyPauseRead = function (state, heardBefore) {
    if (pause.heard !== heardBefore) return;
    if (state && state.active) HS.applyPause(state);
    else if (pause.active) HS.pauseEnded();
  };

  /** The pause is over (ended by someone, or the time is up): a gentle prompt. */
  HS.pauseEnded = function () {
    var nodes = pauseNodes();
    var wasActive = pause.active;
    pause.active = false;
    clearInterval(pause.timer);
    pause.timer = null;
    if (nodes.overlay) nodes.overlay.hidden = true;
    document.documentElement.classList.remove("is-paused");
    if (wasActive && nodes.back) {
      nodes.back.hidden = false;
      nodes.back.setAttribute("tabindex", "-1");
      nodes.back.focus({ preventScroll: true });
      clearTimeout(pause.backTimer);
      // On the wall nobody may be there to tap: let the prompt fade after a while.
      pause.backTimer = setTimeout(HS.closeReturnPrompt, 10 * 60 * 1000);
    } else {
      setInert(false);
    }
    if (wasActive) {
      pause.onChange.forEach(function (cb) {
        cb(false);
      });
    }
  };

  HS.closeReturnPrompt = function () {
    var nodes = pauseNodes();
    if (nodes.back) nodes.back.hidden = true;
    if (!pause.active) setInert(false);
  };

  HS.on("pause.started", function (event) {
    pause.heard += 1;
    HS.applyPause(event.payload || {});
  });
  HS.on("pause.ended", function () {
    pause.heard += 1;
    HS.pauseEnded();
  });

  document.addEventListener("click", function (event) {
    var target = event.target.closest ? event.target.closest("button") : null;
    if (!target) return;
    if (target.hasAttribute("data-pause-start")) {
      target.disabled = true;
      HS.api("POST", "/api/v1/pause", {})
        .then(HS.applyPause)
        .catch(function (error) {
          HS.toast(error.message);
        })
        .then(function () {
          target.disabled = false;
        });
    } else if (target.hasAttribute("data-pause-end")) {
      target.disabled = true;
      HS.api("DELETE", "/api/v1/pause")
        .then(function () {
          HS.pauseEnded();
        })
        .catch(function (error) {
          HS.toast(error.message);
        })
        .then(function () {
          target.disabled = false;
        });
    } else if (target.hasAttribute("data-pause-more")) {
      HS.api("POST", "/api/v1/pause", { minutes: 10 })
        .then(HS.applyPause)
        .catch(function (error) {
          HS.toast(error.message);
        });
    } else if (target.hasAttribute("data-return-ready")) {
      HS.closeReturnPrompt();
    }
  });

  // -- member pages: the pause follows the couple everywhere ------------------------------

  HS.startMemberLive = function () {
    pause.refresh = function () {
      var heard = pause.heard;
      return HS.api("GET", "/api/v1/pause").then(function (state) {
        HS.applyPauseRead(state, heard);
        return state;
      });
    };
    pause.refresh().catch(function () {});
    HS.live({
      onConnect: function () {
        // Caught up after a reconnect: the pause may have started or ended meanwhile.
        pause.refresh().catch(function () {});
        HS.dispatch({ type: "live.connected", payload: {} });
      },
      onRefused: function () {
        // Signed out elsewhere (or the password changed): back to sign-in.
        HS.api("GET", "/api/v1/me").catch(function (error) {
          if (error.status === 401) window.location.href = "/signin";
        });
      },
    });
  };

  document.addEventListener("DOMContentLoaded", function () {
    if (document.body.getAttribute("data-live") === "session") HS.startMemberLive();
  });
})();
