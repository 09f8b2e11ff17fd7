/*
 * Hearthside: the home page - today, and what's new in words for people.
 */
(function () {
  "use strict";

  var HS = window.Hearthside, $ = HS.$, $$ = HS.$$, el = HS.el;

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

  HS.page("home", function () {
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
  });
})();
