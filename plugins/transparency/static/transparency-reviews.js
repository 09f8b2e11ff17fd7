/*
 * The reviews page: a period's summary, reviewed together.
 * Uses the plugin's helpers (transparency.js, Hearthside.transparency).
 */
(function () {
  "use strict";

  var HS = window.Hearthside, $ = HS.$, $$ = HS.$$, el = HS.el, T = HS.transparency;
  var API = T.API, ENTRY_KINDS = T.ENTRY_KINDS, LABELS = T.LABELS, possessive = T.possessive, checkChain = T.checkChain;

  // -- reviews -------------------------------------------------------------------------------------

  function renderSummary(summary) {
    var facts = el("dl", "tp-facts");
    function add(term, value) {
      facts.appendChild(el("dt", "", term));
      facts.appendChild(el("dd", "", value));
    }
    add("Entries", String(summary.entries));
    ENTRY_KINDS.forEach(function (kind) {
      if (summary.by_kind[kind]) add(LABELS[kind], String(summary.by_kind[kind]));
    });
    add("Questions", summary.questions_opened + " asked, " + summary.questions_answered + " answered, " + summary.questions_still_open + " still open");
    var ack = summary.acknowledged;
    add("Read", ack.of ? ack.count + " of " + ack.of + " (" + Math.round(ack.rate * 100) + "%)" : "nothing to read");
    add("With replies", String(summary.entries_with_replies));
    if (summary.sharing_changes) add("Sharing changes", String(summary.sharing_changes));
    return facts;
  }

  HS.page("transparency-reviews", function () {
    var data = null;
    var error = $("[data-error]");

    function render(state) {
      data = state;
      var open = state.open;
      HS.show($("[data-open-review]"), !!open);
      HS.show($("[data-since-card]"), !open);
      var since = $("[data-since]");
      since.textContent = "";
      since.appendChild(renderSummary(state.since_last));
      if (open) {
        var summary = $("[data-open-summary]");
        summary.textContent = "";
        summary.appendChild(renderSummary(open.summary));
        var waiting = T.waitingFor(open.marks);
        $("[data-open-marks]").textContent =
          "Started " + HS.formatTime(open.started_at) + ". " +
          (waiting.length ? "Waiting for " + possessive(waiting) + " mark." : "");
        HS.show($("[data-mark-form]"), waiting.indexOf(HS.memberId) >= 0);
      }
      var past = $("[data-past]");
      past.textContent = "";
      state.reviews
        .filter(function (review) {
          return review.completed;
        })
        .forEach(function (review) {
          var item = el("li", "history__item");
          item.appendChild(el("p", "", "Reviewed together " + HS.formatTime(review.completed_at)));
          item.appendChild(renderSummary(review.summary));
          review.marks.forEach(function (mark) {
            if (mark.note) item.appendChild(el("p", "tp-note", HS.nameOf(mark.member_id) + ": " + mark.note));
          });
          past.appendChild(item);
        });
      HS.show($("[data-past-empty]"), !past.children.length);
    }

    function load() {
      return HS.api("GET", API + "/reviews")
        .then(function (state) {
          HS.showError(error, null);
          render(state);
        })
        .catch(function (failure) {
          HS.showError(error, failure);
        });
    }

    $("[data-start]").addEventListener("click", function (event) {
      var button = event.currentTarget;
      button.disabled = true;
      HS.api("POST", API + "/reviews")
        .then(load)
        .catch(function (failure) {
          HS.showError($("[data-start-error]"), failure);
        })
        .then(function () {
          button.disabled = false;
        });
    });

    $("[data-mark-form]").addEventListener("submit", function (event) {
      event.preventDefault();
      var form = event.currentTarget;
      if (!data || !data.open) return;
      var note = form.elements.note.value.trim();
      HS.busy(form, true);
      HS.api("POST", API + "/reviews/" + data.open.id + "/mark", note ? { note: note } : {})
        .then(function () {
          form.reset();
          HS.showError($("[data-mark-error]"), null);
          return load();
        })
        .catch(function (failure) {
          HS.showError($("[data-mark-error]"), failure);
        })
        .then(function () {
          HS.busy(form, false);
        });
    });

    HS.on(["transparency.review_changed", "transparency.entry_added", "live.connected"], load);
    load();
    checkChain();
  });
})();
