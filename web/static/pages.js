/*
 * Hearthside: the member pages (phones and tablets). One small function per
 * page, picked by <body data-page="...">. Everything goes through the JSON
 * API (Hearthside.api); nothing here reaches any other server.
 */
(function () {
  "use strict";

  var HS = window.Hearthside;
  var $ = HS.$;
  var $$ = HS.$$;
  var el = HS.el;

  function field(form, name) {
    var input = form.elements[name];
    return input ? input.value.trim() : "";
  }

  function busy(form, on) {
    $$("button, input, select", form).forEach(function (node) {
      node.disabled = on;
    });
  }

  /** Check the fields the browser can check, with our own calm words. */
  function validate(form) {
    var invalid = $$("input, select", form).filter(function (node) {
      return !node.hidden && !node.checkValidity();
    })[0];
    if (!invalid) return null;
    var label = form.querySelector('label[for="' + invalid.id + '"]');
    var name = label ? label.textContent.replace(/\s*\(.*\)\s*$/, "") : invalid.name;
    invalid.focus();
    if (invalid.validity.valueMissing) return { message: name + ": please fill this in." };
    if (invalid.validity.tooShort) return { message: name + ": at least " + invalid.minLength + " characters, please." };
    if (invalid.validity.patternMismatch) return { message: name + ": letters, digits, '.', '_' and '-' only." };
    return { message: name + ": " + invalid.validationMessage };
  }

  function pickBrowserTimeZone(select) {
    if (!select) return;
    var zone = "";
    try {
      zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    } catch (e) {
      zone = "";
    }
    if (zone && select.querySelector('option[value="' + zone.replace(/"/g, "") + '"]')) select.value = zone;
  }

  function signIn(username, password) {
    return HS.api("POST", "/api/v1/auth/session", { username: username, password: password }).then(function (data) {
      if (data && data.csrf_token) HS.csrf = data.csrf_token;
      else return HS.refreshCsrf();
    });
  }

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    // Plain http on the home network has no clipboard API: select a hidden field instead.
    var area = el("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "visually-hidden";
    document.body.appendChild(area);
    area.select();
    var ok = false;
    try {
      ok = document.execCommand("copy");
    } catch (e) {
      ok = false;
    }
    document.body.removeChild(area);
    return ok ? Promise.resolve() : Promise.reject(new Error("copy"));
  }

  /** Fetch one of our QR codes (inline SVG made by the server) into a frame. */
  function loadQr(frame, path) {
    frame.textContent = "";
    return fetch(path, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (!response.ok) throw new Error("qr");
        return response.text();
      })
      .then(function (svg) {
        // Our own server's segno output, not user text. DOMParser never runs
        // scripts; only the <svg> element is taken over.
        var node = new DOMParser().parseFromString(svg, "text/html").querySelector("svg");
        if (!node) throw new Error("qr");
        frame.appendChild(document.importNode(node, true));
      })
      .catch(function () {
        frame.appendChild(el("p", "hint", "The QR code could not be shown; the code and link work just as well."));
      });
  }

  var pages = {};

  // -- welcome: the first member ------------------------------------------------

  pages.welcome = function () {
    var form = $("[data-welcome-form]");
    var error = $("[data-error]", form);
    pickBrowserTimeZone($("[data-time-zone]", form));
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var problem = validate(form);
      HS.showError(error, problem);
      if (problem) return;
      var username = field(form, "username");
      var password = form.elements.password.value;
      busy(form, true);
      HS.api("POST", "/api/v1/onboarding", {
        couple: { name: field(form, "couple_name"), time_zone: form.elements.time_zone.value },
        member: { username: username, password: password, display_name: field(form, "display_name") },
      })
        .then(function () {
          return signIn(username, password).then(
            function () {
              window.location.href = "/invite?welcome=1";
            },
            function () {
              window.location.href = "/signin";
            }
          );
        })
        .catch(function (failure) {
          if (failure.code === "already_onboarded") {
            window.location.href = "/signin";
            return;
          }
          HS.showError(error, failure);
          busy(form, false);
        });
    });
  };

  // -- join: the partner (or a new couple) through an invite ------------------------

  pages.join = function () {
    var form = $("[data-join-form]");
    if (!form) return;
    var error = $("[data-error]", form);
    pickBrowserTimeZone($("[data-time-zone]", form));
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var problem = validate(form);
      HS.showError(error, problem);
      if (problem) return;
      var username = field(form, "username");
      var password = form.elements.password.value;
      var body = { username: username, password: password, display_name: field(form, "display_name") };
      if (form.elements.time_zone) {
        body.couple = { time_zone: form.elements.time_zone.value };
        if (field(form, "couple_name")) body.couple.name = field(form, "couple_name");
      }
      busy(form, true);
      var code = encodeURIComponent(form.getAttribute("data-code"));
      HS.api("POST", "/api/v1/invites/" + code + "/accept", body)
        .then(function () {
          return signIn(username, password).then(
            function () {
              window.location.href = "/";
            },
            function () {
              window.location.href = "/signin";
            }
          );
        })
        .catch(function (failure) {
          HS.showError(error, failure);
          busy(form, false);
        });
    });
  };

  // -- sign in ------------------------------------------------------------------------

  pages.signin = function () {
    var form = $("[data-signin-form]");
    var error = $("[data-error]", form);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var problem = validate(form);
      HS.showError(error, problem);
      if (problem) return;
      busy(form, true);
      signIn(field(form, "username"), form.elements.password.value)
        .then(function () {
          var next = form.getAttribute("data-next") || "/";
          window.location.href = next.charAt(0) === "/" && next.charAt(1) !== "/" ? next : "/";
        })
        .catch(function (failure) {
          HS.showError(error, failure);
          busy(form, false);
          form.elements.password.focus();
        });
    });
  };

  // -- home: today and what's new ------------------------------------------------------

  var EVENT_TEXT = {
    "member.joined": function (e) {
      var name = e.payload && e.payload.member ? e.payload.member.display_name : HS.nameOf(e.actor_id);
      return name + " joined Hearthside.";
    },
    "pause.started": function (e) {
      return HS.nameOf(e.actor_id) + " started a pause.";
    },
    "pause.ended": function (e) {
      return e.payload && e.payload.reason === "time_up" ? "The pause ended." : HS.nameOf(e.actor_id) + " ended the pause.";
    },
    "consent.changed": function (e) {
      var payload = e.payload || {};
      var text = HS.nameOf(e.actor_id) + " changed the consent setting “" + scopeName(payload.scope) + "”.";
      return payload.active && scopeRules[payload.scope] === "all" ? text + " It is on for both of you now." : text;
    },
    "consent.revoked": function (e) {
      return "“" + scopeName((e.payload || {}).scope) + "” is off now.";
    },
    "device.created": function (e) {
      return HS.nameOf(e.actor_id) + " added a wall screen.";
    },
    "device.paired": function () {
      return "A wall screen was paired.";
    },
    "device.revoked": function () {
      return "A wall screen was removed.";
    },
    "backup.downloaded": function (e) {
      var sealed = e.payload && e.payload.encrypted ? " (sealed with a passphrase)" : "";
      return HS.nameOf(e.actor_id) + " downloaded a full backup of this server" + sealed + ".";
    },
    "backup.failed": function (e) {
      return "The scheduled backup failed: " + ((e.payload && e.payload.problem) || "see the Admin page") + ".";
    },
  };
  // Consent settings by their plain-language description (filled in by the home page).
  var scopeDescriptions = {};
  var scopeRules = {};

  function scopeName(scope) {
    if (!scope) return "a setting";
    return (scopeDescriptions[scope] || scope).replace(/\.$/, "");
  }

  // Bookkeeping events that say nothing to a person.
  // consent.activated repeats what consent.changed already said ("on for both of you now").
  var QUIET_EVENTS = { "tokens.revoked": true, "consent.activated": true };

  function describeEvent(event) {
    var text = EVENT_TEXT[event.type];
    if (text) return text(event);
    if (event.payload && typeof event.payload.summary === "string") return event.payload.summary;
    var words = event.type.replace(/[._]/g, " ");
    return words.charAt(0).toUpperCase() + words.slice(1) + ".";
  }

  pages.home = function () {
    var feed = $("[data-feed]");
    var empty = $("[data-feed-empty]");
    var loading = $("[data-feed-loading]");
    var error = $("[data-error]");
    var seenKey = "hearthside.seen." + HS.memberId;
    var lastSeen = parseInt(localStorage.getItem(seenKey) || "0", 10) || 0;
    var lastId = 0;
    var shown = 0;

    function add(event, prepend) {
      if (QUIET_EVENTS[event.type] || /\.wall_refresh$/.test(event.type)) return; // see docs/hooks.md
      var item = el("li", "feed__item" + (event.id > lastSeen ? " feed__item--new" : ""));
      item.appendChild(el("p", "feed__text", describeEvent(event)));
      var meta = el("p", "feed__meta", HS.formatTime(event.created_at));
      if (event.visibility === "private") meta.textContent += " · only you see this";
      item.appendChild(meta);
      if (prepend && feed.firstChild) feed.insertBefore(item, feed.firstChild);
      else feed.appendChild(item);
      shown += 1;
      while (feed.children.length > 30) feed.removeChild(feed.lastChild);
      HS.show(empty, false);
    }

    function load() {
      return fetchAll(lastId).then(function (events) {
        HS.show(loading, false);
        HS.showError(error, null);
        events
          .slice(-30)
          .reverse()
          .forEach(function (event) {
            if (event.id > lastId) {
              add(event, lastId > 0);
            }
          });
        events.forEach(function (event) {
          lastId = Math.max(lastId, event.id);
        });
        HS.show(empty, shown === 0);
        if (lastId > lastSeen) localStorage.setItem(seenKey, String(lastId));
      });
    }

    // The API pages forward from after=<id>; follow it to the newest, within reason.
    var PAGE = 500;
    function fetchAll(after, collected, rounds) {
      collected = collected || [];
      rounds = rounds || 0;
      return HS.api("GET", "/api/v1/events?limit=" + PAGE + "&after=" + after).then(function (data) {
        var events = (data && data.events) || [];
        collected = collected.concat(events).slice(-200);
        if (events.length >= PAGE && rounds < 50) {
          return fetchAll(events[events.length - 1].id, collected, rounds + 1);
        }
        return collected;
      });
    }

    HS.api("GET", "/api/v1/consents")
      .then(function (data) {
        (data.scopes || []).forEach(function (scope) {
          scopeDescriptions[scope.scope] = scope.description;
          scopeRules[scope.scope] = scope.who || "all";
        });
      })
      .catch(function () {
        /* the scope names will do */
      })
      .then(load)
      .catch(function (failure) {
        HS.show(loading, false);
        HS.showError(error, failure);
      });
    HS.on("*", function (event) {
      if (event.type === "live.connected") {
        if (lastId) load().catch(function () {});
        return;
      }
      if (event.id > lastId) {
        lastId = event.id;
        add(event, true);
        localStorage.setItem(seenKey, String(lastId));
      }
    });

    var idle = $("[data-pause-idle]");
    var running = $("[data-pause-running]");
    HS.pause.onChange.push(function (active) {
      HS.show(idle, !active);
      HS.show(running, active);
    });
  };

  // -- invites (the partner, or a new couple from the admin page) ----------------------

  function inviteWidget(root) {
    var box = $("[data-invite-box]", root);
    var error = $("[data-error]", root);
    var button = $("[data-invite-create]", root);
    var link = "";

    function create() {
      button.disabled = true;
      HS.api("POST", root.getAttribute("data-endpoint"))
        .then(function (data) {
          HS.showError(error, null);
          link = window.location.origin + "/join/" + encodeURIComponent(data.code);
          $("[data-invite-code]", box).textContent = data.code;
          var anchor = $("[data-invite-link]", box);
          anchor.textContent = link;
          anchor.href = link;
          if (data.expires_in_hours) {
            var days = Math.round(data.expires_in_hours / 24);
            $("[data-invite-expiry]", box).textContent =
              "The code works once and expires in " +
              (data.expires_in_hours < 48 ? data.expires_in_hours + " hours." : days + " days.");
          }
          box.hidden = false;
          button.textContent = "Make a new code";
          root.dispatchEvent(new CustomEvent("hearthside:invite-created"));
          return loadQr($("[data-invite-qr]", box), "/qr/join/" + encodeURIComponent(data.code) + ".svg");
        })
        .catch(function (failure) {
          HS.showError(error, failure);
        })
        .then(function () {
          button.disabled = false;
        });
    }

    button.addEventListener("click", create);
    $("[data-copy-link]", box).addEventListener("click", function () {
      copyText(link).then(
        function () {
          HS.toast("Link copied.");
        },
        function () {
          HS.toast("Couldn't copy here; press and hold the link instead.");
        }
      );
    });
    if (root.getAttribute("data-auto") === "1") create();
  }

  /** The couple's invite codes not used yet, each with a Revoke button (codes are never shown again). */
  function pendingInvites(root, onRevoked) {
    var list = $("[data-pending-list]", root);
    var error = $("[data-pending-error]", root);

    function row(invite) {
      var item = el("li", "row");
      item.setAttribute("data-pending-invite", String(invite.id));
      var main = el("div", "row__main");
      main.appendChild(el("p", "row__title", invite.created_at ? "Invite code made " + HS.formatTime(invite.created_at) : "Invite code"));
      // HS.formatTime reads "Today" for anything after midnight, the future too: spell the date out.
      var until = new Date(invite.expires_at).toLocaleString([], {
        weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit"
      });
      main.appendChild(el("p", "row__detail", "Works until " + until));
      item.appendChild(main);
      var revoke = el("button", "button button--quiet button--small", "Revoke");
      revoke.type = "button";
      revoke.addEventListener("click", function () {
        revoke.disabled = true;
        HS.api("DELETE", "/api/v1/invites/" + encodeURIComponent(invite.id))
          .then(function () {
            HS.toast("Invite code revoked.");
            onRevoked(invite.id);
            return load();
          })
          .catch(function (failure) {
            revoke.disabled = false;
            HS.showError(error, failure);
          });
      });
      item.appendChild(revoke);
      return item;
    }

    function load() {
      return HS.api("GET", "/api/v1/invites")
        .then(function (data) {
          var invites = data.invites || [];
          list.textContent = "";
          invites.forEach(function (invite) {
            list.appendChild(row(invite));
          });
          HS.show($("[data-pending-empty]", root), !invites.length);
          HS.showError(error, null);
          return invites;
        })
        .catch(function (failure) {
          HS.showError(error, failure);
          return [];
        });
    }

    return load;
  }

  pages.invite = function () {
    var pending = $("[data-pending-invites]");
    if (!pending) return; // the couple is complete: nothing to invite, nothing pending
    var widget = $("[data-invite]");
    var shownId = null; // the invite whose code the box shows: the newest after a create
    var load = pendingInvites(pending, function (revokedId) {
      if (revokedId === shownId) $("[data-invite-box]", widget).hidden = true;
    });
    widget.addEventListener("hearthside:invite-created", function () {
      load().then(function (invites) {
        shownId = invites.length ? invites[invites.length - 1].id : null;
      });
    });
    inviteWidget(widget);
    load();
    HS.on("member.joined", function () {
      window.location.reload(); // the partner is here: the page now says the couple is complete
    });
  };

  // -- consent --------------------------------------------------------------------------

  pages.consent = function () {
    var list = $("[data-scopes]");
    var template = $("#scope-template");
    var error = $("[data-error]");
    var historyList = $("[data-history]");
    var descriptions = {};

    function whoText(scope) {
      var ids = Object.keys(scope.members || {});
      var on = ids.filter(function (id) {
        return scope.members[id];
      });
      if (!ids.length) return "";
      var names = on.map(HS.nameOf);
      if (scope.who === "author") {
        // Each member decides for what they write themselves; nobody waits on anybody.
        return "Each of you decides this for what you write yourself." +
          (on.length ? " Sharing now: " + names.join(", ") + "." : " Nobody shares this way right now.");
      }
      var status = scope.active ? "On for both of you." : "Off.";
      if (!scope.active && on.length) status = "Off until everyone has turned it on.";
      return status + (on.length ? " Turned on by: " + names.join(", ") + "." : " Nobody has turned it on.");
    }

    function renderScope(scope) {
      var node = template.content.firstElementChild.cloneNode(true);
      node.setAttribute("data-scope", scope.scope);
      descriptions[scope.scope] = scope.description;
      $("[data-description]", node).textContent = scope.description;
      $("[data-name]", node).textContent = scope.scope;
      $("[data-who]", node).textContent = whoText(scope);
      HS.show($("[data-asked-again]", node), !!scope.asked_again);
      var toggle = $("[data-toggle]", node);
      toggle.checked = !!(scope.members || {})[HS.memberId];
      toggle.setAttribute("aria-describedby", "");
      $("[data-toggle-label]", node).textContent = scope.description;
      node.classList.toggle("scope--active", !!scope.active);
      toggle.addEventListener("change", function () {
        toggle.disabled = true;
        HS.api("PUT", "/api/v1/consents/" + encodeURIComponent(scope.scope), { granted: toggle.checked })
          .then(function (updated) {
            HS.showError(error, null);
            list.replaceChild(renderScope(updated), node);
            loadHistory();
          })
          .catch(function (failure) {
            toggle.checked = !toggle.checked;
            toggle.disabled = false;
            HS.showError(error, failure);
          });
      });
      return node;
    }

    function load() {
      return HS.api("GET", "/api/v1/consents")
        .then(function (data) {
          HS.show($("[data-scopes-loading]"), false);
          list.textContent = "";
          (data.scopes || []).forEach(function (scope) {
            list.appendChild(renderScope(scope));
          });
          HS.show($("[data-scopes-empty]"), !(data.scopes || []).length);
        })
        .catch(function (failure) {
          HS.show($("[data-scopes-loading]"), false);
          HS.showError(error, failure);
        });
    }

    function loadHistory() {
      return HS.api("GET", "/api/v1/consents/history")
        .then(function (data) {
          var rows = (data.history || data.entries || []).slice().reverse();
          historyList.textContent = "";
          rows.forEach(function (row) {
            var item = el("li", "history__item");
            var what = descriptions[row.scope] || row.scope;
            var line = row.reason === "terms_changed"
              ? "Turned off for " + HS.nameOf(row.member_id) + " because what it shows changed: " + what
              : HS.nameOf(row.member_id) + (row.granted ? " turned on: " : " turned off: ") + what;
            item.appendChild(el("p", "", line));
            item.appendChild(el("p", "feed__meta", HS.formatTime(row.created_at)));
            historyList.appendChild(item);
          });
          HS.show($("[data-history-empty]"), !rows.length);
        })
        .catch(function () {
          HS.show($("[data-history-empty]"), true);
        });
    }

    load().then(loadHistory);
    HS.on("consent.changed", function () {
      load().then(loadHistory);
    });
    HS.on("live.connected", function () {
      load().then(loadHistory);
    });
  };

  // -- devices (wall screens) ------------------------------------------------------------

  pages.devices = function () {
    var form = $("[data-device-form]");
    var error = $("[data-error]");
    var list = $("[data-devices]");
    var pairing = $("[data-pairing]");

    function load() {
      return HS.api("GET", "/api/v1/devices")
        .then(function (data) {
          HS.show($("[data-devices-loading]"), false);
          var devices = (data.devices || []).filter(function (d) {
            return !d.revoked;
          });
          list.textContent = "";
          devices.forEach(function (device) {
            var row = el("li", "row");
            var main = el("div", "row__main");
            main.appendChild(el("p", "row__title", device.name));
            var detail = device.claimed_at
              ? "Paired " + HS.formatTime(device.claimed_at)
              : "Waiting to be paired";
            if (device.last_used_at) detail += " · last seen " + HS.formatTime(device.last_used_at);
            main.appendChild(el("p", "row__detail", detail));
            row.appendChild(main);
            var remove = el("button", "button button--quiet button--small", "Remove");
            remove.type = "button";
            remove.addEventListener("click", function () {
              if (!window.confirm("Remove “" + device.name + "”? It stops showing anything at once.")) return;
              remove.disabled = true;
              HS.api("DELETE", "/api/v1/devices/" + encodeURIComponent(device.id))
                .then(load)
                .catch(function (failure) {
                  remove.disabled = false;
                  HS.showError(error, failure);
                });
            });
            row.appendChild(remove);
            list.appendChild(row);
          });
          HS.show($("[data-devices-empty]"), !devices.length);
        })
        .catch(function (failure) {
          HS.show($("[data-devices-loading]"), false);
          HS.showError(error, failure);
        });
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var problem = validate(form);
      HS.showError(error, problem);
      if (problem) return;
      busy(form, true);
      HS.api("POST", "/api/v1/devices", { name: field(form, "name") })
        .then(function (data) {
          $("[data-pairing-code]", pairing).textContent = data.pairing_code;
          $("[data-dashboard-url]", pairing).textContent = window.location.origin + "/dashboard";
          pairing.hidden = false;
          load();
          return loadQr($("[data-pairing-qr]", pairing), "/qr/pair/" + encodeURIComponent(data.pairing_code) + ".svg");
        })
        .catch(function (failure) {
          HS.showError(error, failure);
        })
        .then(function () {
          busy(form, false);
        });
    });

    load();
    HS.on("*", function (event) {
      if (/^devices?\./.test(event.type)) load();
    });
  };

  // -- account ----------------------------------------------------------------------------

  pages.account = function () {
    var list = $("[data-tokens]");
    var tokensError = $("[data-tokens-error]");

    function load() {
      return HS.api("GET", "/api/v1/tokens")
        .then(function (data) {
          HS.show($("[data-tokens-loading]"), false);
          var tokens = data.tokens || [];
          list.textContent = "";
          tokens.forEach(function (token) {
            var row = el("li", "row");
            var main = el("div", "row__main");
            var title = token.name + (token.current ? " (this browser)" : "");
            main.appendChild(el("p", "row__title", title));
            var kind = token.kind === "session" ? "Browser" : "App or script";
            var detail = kind + " · since " + HS.formatTime(token.created_at);
            if (token.last_used_at) detail += " · last used " + HS.formatTime(token.last_used_at);
            main.appendChild(el("p", "row__detail", detail));
            row.appendChild(main);
            if (!token.current) {
              var revoke = el("button", "button button--quiet button--small", "Sign out");
              revoke.type = "button";
              revoke.addEventListener("click", function () {
                revoke.disabled = true;
                HS.api("DELETE", "/api/v1/tokens/" + encodeURIComponent(token.id))
                  .then(load)
                  .catch(function (failure) {
                    revoke.disabled = false;
                    HS.showError(tokensError, failure);
                  });
              });
              row.appendChild(revoke);
            }
            list.appendChild(row);
          });
          HS.show($("[data-tokens-empty]"), !tokens.length);
        })
        .catch(function (failure) {
          HS.show($("[data-tokens-loading]"), false);
          HS.showError(tokensError, failure);
        });
    }

    var form = $("[data-password-form]");
    var error = $("[data-error]", form);
    var success = $("[data-success]", form);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var problem = validate(form);
      HS.showError(error, problem);
      success.hidden = true;
      if (problem) return;
      busy(form, true);
      HS.api("PUT", "/api/v1/me/password", {
        current_password: form.elements.current_password.value,
        new_password: form.elements.new_password.value,
      })
        .then(function () {
          form.reset();
          success.textContent = "Your password is changed. Other browsers and apps have been signed out.";
          success.hidden = false;
          load();
        })
        .catch(function (failure) {
          HS.showError(error, failure);
        })
        .then(function () {
          busy(form, false);
        });
    });

    $("[data-signout]").addEventListener("click", function () {
      HS.api("DELETE", "/api/v1/auth/session")
        .catch(function () {})
        .then(function () {
          window.location.href = "/signin";
        });
    });

    load();
    forgetMe($("[data-forget]"));
  };

  /**
   * "Forget me" in three steps, so nothing is deleted by one slip: open the
   * form, type the phrase and the password (checked here, with our words),
   * then "Yes, forget my data" calls POST /api/v1/me/forget. The typed phrase
   * is compared without regard to case (phones capitalise the first letter);
   * the API gets it as it expects it. Errors stay next to the form.
   */
  function forgetMe(root) {
    if (!root) return;
    var start = $("[data-forget-start]", root);
    var form = $("[data-forget-form]", root);
    var error = $("[data-error]", form);
    var next = $("[data-forget-next]", form);
    var final = $("[data-forget-final]", form);
    var done = $("[data-forget-done]", root);
    var phrase = form.getAttribute("data-phrase");

    function step(confirming) {
      HS.show(next, !confirming);
      HS.show(final, confirming);
      if (confirming) $("[data-forget-confirm]", form).focus();
    }

    function close() {
      form.reset();
      HS.showError(error, null);
      step(false);
      form.hidden = true;
      start.hidden = false;
      start.setAttribute("aria-expanded", "false");
      start.focus();
    }

    start.addEventListener("click", function () {
      form.hidden = false;
      done.hidden = true;
      start.hidden = true;
      start.setAttribute("aria-expanded", "true");
      form.elements.confirm.focus();
    });
    $$("[data-forget-cancel]", form).forEach(function (button) {
      button.addEventListener("click", close);
    });

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var problem = validate(form);
      if (!problem && field(form, "confirm").toLowerCase() !== phrase) {
        problem = { message: "Type “" + phrase + "” exactly, so we know you mean it. Nothing was deleted." };
        form.elements.confirm.focus();
      }
      HS.showError(error, problem);
      if (!problem) step(true);
    });

    $("[data-forget-confirm]", form).addEventListener("click", function () {
      busy(form, true);
      HS.api("POST", "/api/v1/me/forget", { confirm: phrase, password: form.elements.password.value })
        .then(function (answer) {
          close();
          showForgotten(done, answer.plugins || [], root);
        })
        .catch(function (failure) {
          step(false);
          HS.showError(error, failure);
          if (failure.code === "wrong_password") {
            form.elements.password.value = "";
            form.elements.password.focus();
          }
        })
        .then(function () {
          busy(form, false);
        });
    });
  }

  /** The file name the server gave an attachment, or a plain default. */
  function attachmentName(response) {
    var match = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "");
    return match ? match[1] : "hearthside-backup.hsb";
  }

  /** POST for a file: the bundle arrives as a blob and is saved through a temporary link. */
  function downloadBackup(passphrase, retried) {
    return fetch("/api/v1/admin/backups", {
      method: "POST",
      credentials: "same-origin",
      cache: "no-store",
      headers: { Accept: "application/json", "Content-Type": "application/json", "X-CSRF-Token": HS.csrf || "" },
      body: JSON.stringify(passphrase ? { passphrase: passphrase } : {}),
    }).then(function (response) {
      if (response.ok) {
        return response.blob().then(function (blob) {
          var link = el("a");
          link.href = URL.createObjectURL(blob);
          link.download = attachmentName(response);
          document.body.appendChild(link);
          link.click();
          document.body.removeChild(link);
          setTimeout(function () {
            URL.revokeObjectURL(link.href);
          }, 60000);
          return link.download;
        });
      }
      return response.json().catch(function () {
        return null;
      }).then(function (data) {
        var error = (data && data.error) || {};
        if (error.code === "csrf_failed" && !retried) {
          return HS.refreshCsrf().then(function () {
            return downloadBackup(passphrase, true);
          });
        }
        throw new Error(error.message || "The backup could not be made (" + response.status + "). Please try again.");
      });
    });
  }

  function backupForm(form) {
    var error = $("[data-error]", form);
    var success = $("[data-success]", form);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var problem = validate(form);
      HS.showError(error, problem);
      HS.show(success, false);
      if (problem) return;
      var field = $("#backup-passphrase", form);
      busy(form, true);
      downloadBackup(field.value)
        .then(function (name) {
          field.value = "";
          success.textContent = "Saved " + name + ". Keep it where only the two of you can reach it.";
          HS.show(success, true);
        })
        .catch(function (failure) {
          HS.showError(error, failure);
        })
        .then(function () {
          busy(form, false);
        });
    });
  }

  /** What was cleared, by the titles the page listed for the parts the API says took part. */
  function showForgotten(node, plugins, root) {
    node.textContent = "";
    node.appendChild(el("p", "", "Done. Hearthside forgot what you wrote that was yours alone:"));
    var list = el("ul", "plain-list");
    plugins.forEach(function (name) {
      var part = root.querySelector('[data-forget-part="' + String(name).replace(/["\\]/g, "") + '"]');
      list.appendChild(el("li", "", part ? part.getAttribute("data-title") : name));
    });
    list.appendChild(el("li", "", "The notices only you could see"));
    node.appendChild(list);
    node.appendChild(el("p", "", "Your account stays: you are still signed in and can keep using Hearthside."));
    node.hidden = false;
    node.focus();
  }

  pages.admin = function () {
    $$("[data-invite]").forEach(inviteWidget);
    var form = $("[data-backup-download]");
    if (form && !$("button", form).disabled) backupForm(form);
  };

  document.addEventListener("DOMContentLoaded", function () {
    var page = document.body.getAttribute("data-page");
    if (pages[page]) pages[page]();
  });
})();
