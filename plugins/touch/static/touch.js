/*
 * Closeness (the touch plugin): tonight's plan and the traffic light, the
 * ladder and its proposals, the path. Everything goes through
 * /api/v1/touch with Hearthside.api; text is always set with textContent.
 * Live events of type touch.* re-read the page's data, so both phones agree
 * within a moment; a partner's yellow light is shown straight from its event.
 */
(function () {
  "use strict";

  var HS = window.Hearthside, $ = HS.$, $$ = HS.$$, el = HS.el;
  var API = "/api/v1/touch";

  var LIGHT_TEXT = HS.pageData().lights; // {signal: words}, from the server's own list of signals

  function fillList(node, items) {
    node.textContent = "";
    (items || []).forEach(function (item) {
      node.appendChild(el("li", "", item));
    });
  }

  /** A planned time in the couple's own zone (the zone it was planned in): "Sat 23 Nov, 20:00". */
  function plannedTime(iso) {
    var when = new Date(iso);
    var node = $("[data-time-zone]");
    var options = { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" };
    if (node) options.timeZone = node.getAttribute("data-time-zone");
    try {
      return when.toLocaleString([], options);
    } catch (e) {
      delete options.timeZone;
      return when.toLocaleString([], options);
    }
  }

  // -- the path -----------------------------------------------------------------------------

  HS.page("touch-path", function () {
    function loadShared() {
      return HS.api("GET", API + "/reflections/shared")
        .then(function (answer) {
          fillList($("[data-shared-lines]"), answer.lines);
          HS.show($("[data-shared-off]"), false);
          HS.show($("[data-shared-empty]"), !answer.lines.length);
        })
        .catch(function (error) {
          fillList($("[data-shared-lines]"), []);
          HS.show($("[data-shared-empty]"), false);
          HS.show($("[data-shared-off]"), error.code === "consent_required");
        });
    }

    function loadMine() {
      return HS.api("GET", API + "/reflections").then(function (answer) {
        var list = $("[data-mine]");
        list.textContent = "";
        answer.reflections.forEach(function (r) {
          var item = el("li", "history__item");
          item.appendChild(
            el("span", "", HS.formatTime(r.created_at) + " · safe " + r.safe + " of 5 · comfortable " + r.comfortable + " of 5")
          );
          if (r.note) item.appendChild(el("p", "muted", r.note));
          list.appendChild(item);
        });
        HS.show($("[data-mine-empty]"), !answer.reflections.length);
      });
    }

    $$("[data-time]").forEach(function (node) {
      var text = HS.formatTime(node.getAttribute("data-time"));
      if (text) node.textContent = text;
    });
    HS.on("consent.changed", loadShared);
    HS.on("consent.revoked", loadShared);
    Promise.all([loadShared(), loadMine()]).then(function () {
      document.body.setAttribute("data-touch-ready", "1");
    });
  });

  HS.touch = {
    API: API,
    LIGHT_TEXT: LIGHT_TEXT,
    fillList: fillList,
    plannedTime: plannedTime
  };
})();
