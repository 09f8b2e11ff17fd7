/*
 * Rituals: one occurrence - marking it, moving it, the check-in and homework.
 * Check-in answers of others are only ever fetched from the reveal endpoint.
 * Uses rituals.js's helpers (Hearthside.rituals).
 */
(function () {
  "use strict";

  var HS = window.Hearthside, $ = HS.$, $$ = HS.$$, el = HS.el, R = HS.rituals;
  var body = R.body, occurrencePath = R.occurrencePath, reloadSoon = R.reloadSoon, onRitualEvents = R.onRitualEvents;

  // -- one occurrence: marking, moving, the check-in and homework ----------------------------------

  HS.page("rituals-occurrence", function () {
    var ritualId = body().getAttribute("data-ritual-id");
    var key = body().getAttribute("data-occurrence-key");
    var base = occurrencePath(ritualId, key);
    var markError = $("[data-error-mark]");

    R.statusButtons("[data-mark]", markError, function (status) {
      return HS.api("PUT", base + "/status", { status: status });
    });

    var moveForm = $("[data-move-form]");
    moveForm.addEventListener("submit", function (event) {
      event.preventDefault();
      HS.api("PUT", base + "/move", { start: moveForm.elements.date.value + "T" + moveForm.elements.time.value })
        .then(function () {
          reloadSoon(true);
        })
        .catch(function (failure) {
          HS.showError(markError, failure);
        });
    });
    var unmove = $("[data-unmove]");
    if (unmove) {
      unmove.addEventListener("click", function () {
        HS.api("DELETE", base + "/move")
          .then(function () {
            reloadSoon(true);
          })
          .catch(function (failure) {
            HS.showError(markError, failure);
          });
      });
    }

    var checkinCard = $("[data-checkin]");
    if (checkinCard) checkinPage(base, checkinCard);
    var homeworkForm = $("[data-homework-form]");
    if (homeworkForm) homeworkPage(base, homeworkForm);

    onRitualEvents(function (event) {
      var payload = event.payload || {};
      if (String(payload.ritual_id) !== ritualId || payload.key !== key) return;
      if (event.type === "rituals.occurrence_updated" || event.type === "rituals.homework_changed") reloadSoon();
    });
  });

  function checkinPage(base, card) {
    var form = $("[data-checkin-form]");
    var prompts = JSON.parse(($("#rit-prompts") || { textContent: "[]" }).textContent);
    var revealBox = $("[data-reveal]");

    function setReady(participants) {
      (participants || []).forEach(function (person) {
        var row = $('[data-ready-member="' + person.id + '"]');
        if (!row) return;
        row.classList.toggle("is-ready", !!person.submitted);
        $("[data-ready-text]", row).textContent = person.submitted ? "ready" : "not yet";
      });
    }

    function renderReveal(data) {
      var list = $("[data-reveal-answers]");
      list.textContent = "";
      HS.show($("[data-reveal-consent]"), false);
      (data.prompts || prompts).forEach(function (prompt) {
        var block = el("div", "rit-answer");
        block.appendChild(el("h4", "rit-answer__prompt", prompt.text));
        (data.answers || []).forEach(function (entry) {
          var value = (entry.answers || {})[prompt.id];
          var line = el("p", "rit-answer__line");
          line.setAttribute("data-answer-of", String(entry.member_id));
          line.appendChild(el("strong", "", HS.nameOf(entry.member_id) + ": "));
          var text = value === undefined || value === null || value === "" ? "—" : prompt.kind === "rating" ? value + " of 5" : value;
          line.appendChild(el("span", "rit-answer__text", text));
          block.appendChild(line);
        });
        list.appendChild(block);
      });
    }

    function loadReveal() {
      HS.show(revealBox, true);
      if (form) form.hidden = true;
      card.setAttribute("data-revealed", "true");
      return HS.api("GET", base + "/checkin/reveal")
        .then(renderReveal)
        .catch(function (failure) {
          if (failure.code === "consent_required") {
            $("[data-reveal-answers]").textContent = "";
            HS.show($("[data-reveal-consent]"), true);
          } else if (failure.code === "not_revealed_yet") {
            HS.show(revealBox, false);
            if (form) form.hidden = false;
          }
        });
    }

    function refreshState() {
      return HS.api("GET", base + "/checkin").then(function (state) {
        setReady(state.participants);
        if (state.revealed) loadReveal();
        return state;
      });
    }

    if (card.getAttribute("data-revealed") === "true") loadReveal();

    if (form) {
      form.addEventListener("input", function () {
        form.setAttribute("data-dirty", "1");
      });
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var answers = {};
        prompts.forEach(function (prompt) {
          if (prompt.kind === "rating") {
            var chosen = form.querySelector('input[name="' + prompt.id + '"]:checked');
            answers[prompt.id] = chosen ? parseInt(chosen.value, 10) : null;
          } else {
            var box = form.elements[prompt.id];
            answers[prompt.id] = box ? box.value : "";
          }
        });
        var button = $("[data-submit]", form);
        button.disabled = true;
        HS.api("PUT", base + "/checkin", { answers: answers })
          .then(function (state) {
            form.removeAttribute("data-dirty");
            HS.showError($("[data-error]", form), null);
            var saved = $("[data-saved]", form);
            saved.textContent = state.revealed
              ? "Everyone has answered."
              : "Saved. Only you can read it until everyone has answered.";
            saved.hidden = false;
            button.textContent = "Update my answers";
            setReady(state.participants);
            if (state.revealed) loadReveal();
          })
          .catch(function (failure) {
            HS.showError($("[data-error]", form), failure);
          })
          .then(function () {
            button.disabled = false;
          });
      });
    }

    HS.on("rituals.checkin_submitted", function (event) {
      var payload = event.payload || {};
      if (base === occurrencePath(payload.ritual_id, payload.key)) refreshState().catch(function () {});
    });
    HS.on("rituals.checkin_revealed", function (event) {
      var payload = event.payload || {};
      if (base === occurrencePath(payload.ritual_id, payload.key)) loadReveal();
    });
    HS.on("consent.changed", function () {
      if (card.getAttribute("data-revealed") === "true") loadReveal();
    });
    HS.on("live.connected", function () {
      refreshState().catch(function () {});
    });
  }

  function homeworkPage(base, form) {
    var error = $("[data-homework-error]");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = form.elements.text.value.trim();
      if (!text) return HS.showError(error, { message: "Write the homework item first." });
      HS.api("POST", base + "/homework", { text: text })
        .then(function () {
          reloadSoon(true);
        })
        .catch(function (failure) {
          HS.showError(error, failure);
        });
    });
    $$("[data-homework-item]").forEach(function (row) {
      var id = row.getAttribute("data-homework-item");
      $("[data-homework-tick]", row).addEventListener("change", function (event) {
        HS.api("PUT", base + "/homework/" + id, { done: event.target.checked }).catch(function (failure) {
          event.target.checked = !event.target.checked;
          HS.showError(error, failure);
        });
      });
      $("[data-homework-remove]", row).addEventListener("click", function () {
        HS.api("DELETE", base + "/homework/" + id)
          .then(function () {
            row.parentNode.removeChild(row);
          })
          .catch(function (failure) {
            HS.showError(error, failure);
          });
      });
    });
  }
})();
