/*
 * Hearthside: the consent page - every scope, who said yes, and the switch.
 */
(function () {
  "use strict";

  var HS = window.Hearthside, $ = HS.$, $$ = HS.$$, el = HS.el;

  // -- consent --------------------------------------------------------------------------

  HS.page("consent", function () {
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
      return HS.loadList("scopes", "/api/v1/consents", function (data) {
        return data.scopes || [];
      }, renderScope, error);
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
  });
})();
