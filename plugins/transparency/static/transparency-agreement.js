/*
 * The agreement page: the couple's transparency rules, proposed and approved by both.
 * Uses the plugin's helpers (transparency.js, Hearthside.transparency).
 */
(function () {
  "use strict";

  var HS = window.Hearthside, $ = HS.$, $$ = HS.$$, el = HS.el, T = HS.transparency;
  var API = T.API, isMe = T.isMe, dayWithYear = T.dayWithYear, lines = T.lines, listOf = T.listOf, checkChain = T.checkChain;

  // -- the agreement -----------------------------------------------------------------------------

  HS.page("transparency-agreement", function () {
    var state = null;

    function signatures(version) {
      var signed = version.signed_by.map(function (s) {
        return HS.nameOf(s.member_id);
      });
      return signed.length ? "Signed by " + signed.join(" and ") + "." : "Not signed yet.";
    }

    function renderVersion(version) {
      var box = el("div", "tp-version");
      box.appendChild(listOf(version.items));
      box.appendChild(el("p", "hint", "Version " + version.version + " · review on " + dayWithYear(version.review_on) + ". " + signatures(version)));
      return box;
    }

    function render(data) {
      state = data;
      var current = $("[data-current]");
      current.textContent = "";
      if (data.current) current.appendChild(renderVersion(data.current));
      HS.show($("[data-current-empty]"), !data.current);
      HS.show($("[data-review-due]"), !!(data.current && data.current.review_due));
      HS.show($("[data-end]"), !!data.current);
      var pending = $("[data-pending]");
      pending.textContent = "";
      HS.show($("[data-pending-card]"), !!data.pending);
      if (data.pending) {
        pending.appendChild(renderVersion(data.pending));
        var signedByMe = data.pending.signed_by.some(function (s) {
          return isMe(s.member_id);
        });
        HS.show($("[data-sign]"), !signedByMe);
        $("[data-decline]").textContent = isMe(data.pending.proposed_by) ? "Withdraw" : "Decline";
      }
      var versions = $("[data-versions]");
      versions.textContent = "";
      data.versions.forEach(function (version) {
        var item = el("li", "history__item");
        item.appendChild(el("p", "", "Version " + version.version + " · " + version.status + (version.review_due ? " · review due" : "")));
        item.appendChild(listOf(version.items));
        item.appendChild(el("p", "feed__meta", "Proposed by " + HS.nameOf(version.proposed_by) + " · " + HS.formatTime(version.created_at) + " · review on " + dayWithYear(version.review_on)));
        versions.appendChild(item);
      });
      HS.show($("[data-versions-empty]"), !data.versions.length);
    }

    function load() {
      return HS.api("GET", API + "/agreements")
        .then(render)
        .catch(function (failure) {
          HS.showError($("[data-current-error]"), failure);
        });
    }

    function post(path, body, errorNode) {
      return HS.api("POST", API + path, body)
        .then(function () {
          HS.showError(errorNode, null);
          return load();
        })
        .catch(function (failure) {
          HS.showError(errorNode, failure);
        });
    }

    $("[data-agreement-form]").addEventListener("submit", function (event) {
      event.preventDefault();
      var form = event.currentTarget;
      HS.busy(form, true);
      post("/agreements", { items: lines(form.elements.items.value), review_on: form.elements.review_on.value || null }, $("[data-agreement-error]")).then(function () {
        HS.busy(form, false);
        if ($("[data-agreement-error]").hidden) form.reset();
      });
    });
    $("[data-renew-form]").addEventListener("submit", function (event) {
      event.preventDefault();
      if (state && state.current) post("/agreements/" + state.current.id + "/renew", { review_on: event.currentTarget.elements.review_on.value || null }, $("[data-current-error]"));
    });
    $("[data-end]").addEventListener("click", function () {
      if (state && state.current) post("/agreements/" + state.current.id + "/end", null, $("[data-current-error]"));
    });
    $("[data-sign]").addEventListener("click", function () {
      if (state && state.pending) post("/agreements/" + state.pending.id + "/sign", null, $("[data-pending-error]"));
    });
    $("[data-decline]").addEventListener("click", function () {
      if (state && state.pending) post("/agreements/" + state.pending.id + "/decline", null, $("[data-pending-error]"));
    });

    HS.on(["transparency.agreement_changed", "transparency.agreement_review_due", "live.connected"], load);
    load();
    checkChain();
  });
})();
