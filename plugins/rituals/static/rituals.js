/*
 * Hearthside rituals: the pages' behaviour. One function per page, picked by
 * <body data-page="rituals-...">. Every change goes through the JSON API
 * (Hearthside.api, with the CSRF header); live events keep the pages fresh.
 * Text from the API is always set with textContent, never parsed as HTML.
 * Check-in answers of others are only ever fetched from the reveal endpoint,
 * which checks the reveal and the consent each time.
 */
(function () {
  "use strict";

  var HS = window.Hearthside, $ = HS.$, $$ = HS.$$, el = HS.el;
  var API = "/api/v1/rituals";

  function body() {
    return document.body;
  }

  function occurrencePath(ritualId, key) {
    return API + "/" + encodeURIComponent(ritualId) + "/occurrences/" + encodeURIComponent(key);
  }

  /** Reload the page a moment after a change, unless the member is typing. */
  var reloadTimer = null;
  function reloadSoon(force) {
    clearTimeout(reloadTimer);
    reloadTimer = setTimeout(function () {
      var active = document.activeElement;
      var typing = active && /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName) && active.closest("form");
      if (!force && (typing || document.querySelector("form[data-dirty]"))) return;
      window.location.reload();
    }, 300);
  }

  function onRitualEvents(handler) {
    HS.on("*", function (event) {
      if (event.type && event.type.indexOf("rituals.") === 0 && event.type !== "rituals.wall_refresh") handler(event);
    });
  }

  // -- lists: upcoming, week, month -----------------------------------------------------

  ["rituals-list", "rituals-week", "rituals-month"].forEach(function (name) {
    HS.page(name, function () {
      onRitualEvents(function (event) {
        if (event.visibility !== "private") reloadSoon();
      });
    });
  });

  /**
   * Buttons that each set a status (their selector's attribute holds it) through send(status);
   * the page reloads once the server took it, and a failure is shown in errorNode.
   */
  function statusButtons(selector, errorNode, send) {
    var attribute = selector.slice(1, -1);
    $$(selector).forEach(function (button) {
      button.addEventListener("click", function () {
        HS.act(button, errorNode, send(button.getAttribute(attribute))).then(function (answer) {
          if (answer !== undefined) reloadSoon(true);
        });
      });
    });
  }

  // -- one ritual -------------------------------------------------------------------------

  HS.page("rituals-ritual", function () {
    var ritualId = body().getAttribute("data-ritual-id");
    var error = $("[data-error]");

    statusButtons("[data-set-status]", error, function (status) {
      return HS.api("PATCH", API + "/" + ritualId, { status: status });
    });

    var form = $("[data-reminders-form]");
    if (form) {
      form.addEventListener("change", function () {
        var offsets = $$("input[name=offset]", form)
          .filter(function (box) {
            return box.checked;
          })
          .map(function (box) {
            return parseInt(box.value, 10);
          });
        HS.api("PUT", API + "/" + ritualId + "/reminders", { offsets: offsets })
          .then(function () {
            HS.showError($("[data-reminders-error]"), null);
            HS.show($("[data-reminders-saved]"), true);
          })
          .catch(function (failure) {
            HS.showError($("[data-reminders-error]"), failure);
          });
      });
    }

    onRitualEvents(function (event) {
      var payload = event.payload || {};
      if (event.visibility !== "private" && String(payload.ritual_id) === ritualId) reloadSoon();
    });
  });

  // -- my settings: quiet hours and the calendar feed ------------------------------------------------

  HS.page("rituals-settings", function () {
    var quiet = $("[data-quiet-form]");
    quiet.addEventListener("submit", function (event) {
      event.preventDefault();
      var value = quiet.elements.enabled.checked ? { start: quiet.elements.start.value, end: quiet.elements.end.value } : null;
      HS.api("PUT", API + "/settings", { quiet_hours: value })
        .then(function () {
          HS.showError($("[data-error]", quiet), null);
          HS.show($("[data-saved]", quiet), true);
        })
        .catch(function (failure) {
          HS.showError($("[data-error]", quiet), failure);
        });
    });

    var feedError = $("[data-feed-error]");
    var link = $("[data-feed-link]");
    var url = "";
    $("[data-feed-new]").addEventListener("click", function (event) {
      var button = event.target;
      button.disabled = true;
      HS.api("POST", API + "/feed")
        .then(function (data) {
          url = data.url;
          var anchor = $("[data-feed-url]");
          anchor.textContent = data.url;
          anchor.href = data.webcal_url;
          link.hidden = false;
          $("[data-feed-status]").textContent = "Your calendar link is on.";
          button.textContent = "Replace the link";
          HS.show($("[data-feed-off]"), true);
          HS.showError(feedError, null);
        })
        .catch(function (failure) {
          HS.showError(feedError, failure);
        })
        .then(function () {
          button.disabled = false;
        });
    });
    $("[data-feed-off]").addEventListener("click", function (event) {
      HS.api("DELETE", API + "/feed")
        .then(function () {
          link.hidden = true;
          $("[data-feed-status]").textContent = "Your calendar link is off.";
          $("[data-feed-new]").textContent = "Make a calendar link";
          HS.show(event.target, false);
        })
        .catch(function (failure) {
          HS.showError(feedError, failure);
        });
    });
    $("[data-feed-copy]").addEventListener("click", function () {
      var done = function () {
        HS.toast("Link copied.");
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(url).then(done, function () {
          HS.toast("Couldn't copy here; press and hold the link instead.");
        });
      } else {
        HS.toast("Press and hold the link to copy it.");
      }
    });
  });

  HS.rituals = {
    API: API,
    body: body,
    occurrencePath: occurrencePath,
    reloadSoon: reloadSoon,
    statusButtons: statusButtons,
    onRitualEvents: onRitualEvents
  };
})();
