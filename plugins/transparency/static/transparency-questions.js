/*
 * The questions page: ask, answer honestly, see what is still open.
 * Uses the plugin's helpers (transparency.js, Hearthside.transparency).
 */
(function () {
  "use strict";

  var HS = window.Hearthside, $ = HS.$, $$ = HS.$$, el = HS.el, T = HS.transparency;
  var API = T.API, isMe = T.isMe, partnerText = T.partnerText, possessive = T.possessive, age = T.age, lines = T.lines, checkChain = T.checkChain;

  // -- questions ----------------------------------------------------------------------------

  HS.page("transparency-questions", function () {
    var openList = $("[data-open-questions]");
    var answeredList = $("[data-answered-questions]");
    var error = $("[data-error]");
    var openProposal = null;
    var loadedAt = Date.now();

    function answerForm(question) {
      var send = el("button", "button button--primary button--small", "Answer");
      send.type = "submit";
      return T.textForm({
        id: "tp-answer-" + question.id, label: "Your answer", rows: 3, what: "answer", buttons: [send],
        send: function (text) {
          return HS.api("POST", API + "/questions/" + question.id + "/answers", { text: text }).then(load);
        }
      });
    }

    function renderQuestion(question, answers) {
      var item = el("li", "tp-question tp-question--" + question.status);
      item.setAttribute("data-question-id", String(question.id));
      var own = isMe(question.author_id);
      item.appendChild(
        el("p", "tp-entry__text", question.forgotten ? "This question was forgotten at its author's request." : question.text)
      );
      var meta = el("p", "tp-entry__meta");
      meta.appendChild(el("span", "", (own ? "You asked" : HS.nameOf(question.author_id) + " asked") + " · #" + question.seq));
      var ageNode = el("span", "tp-age");
      ageNode.setAttribute("data-age", String(question.age_seconds));
      ageNode.textContent = question.status === "open" ? "open for " + age(question.age_seconds) : "answered after " + age(question.age_seconds);
      meta.appendChild(ageNode);
      item.appendChild(meta);
      answers.forEach(function (answer) {
        var block = el("div", "tp-answer");
        block.appendChild(el("p", "tp-entry__meta", (isMe(answer.author_id) ? "Your answer" : HS.nameOf(answer.author_id) + " answered") + " · " + HS.formatTime(answer.created_at)));
        block.appendChild(el("p", "tp-entry__text", answer.forgotten ? "This answer was forgotten at its author's request." : answer.text));
        item.appendChild(block);
      });
      if (question.status === "open" && !question.forgotten) {
        item.appendChild(own ? el("p", "hint", "Waiting for " + partnerText() + " to answer.") : answerForm(question));
      }
      return item;
    }

    function tickAges() {
      var extra = Math.floor((Date.now() - loadedAt) / 1000);
      Array.prototype.forEach.call(openList.querySelectorAll("[data-age]"), function (node) {
        node.textContent = "open for " + age(Number(node.getAttribute("data-age")) + extra);
      });
    }

    function renderRules(state) {
      var current = state.current;
      var rulesList = $("[data-rules]");
      rulesList.textContent = "";
      (current ? current.rules : []).forEach(function (rule) {
        rulesList.appendChild(el("li", "", rule));
      });
      HS.show($("[data-rules-empty]"), !current);
      openProposal = state.open;
      var box = $("[data-rules-open]");
      box.hidden = !openProposal;
      if (!openProposal) return;
      var proposed = $("[data-rules-open-list]");
      proposed.textContent = "";
      openProposal.rules.forEach(function (rule) {
        proposed.appendChild(el("li", "", rule));
      });
      var waiting = T.waitingFor(openProposal.approved_by);
      $("[data-rules-open-status]").textContent =
        "Proposed by " + HS.nameOf(openProposal.proposed_by) + ". " +
        (waiting.length ? "Waiting for " + possessive(waiting) + " approval." : "");
      $("[data-rules-approve]").hidden = waiting.indexOf(HS.memberId) < 0;
      $("[data-rules-decline]").textContent = isMe(openProposal.proposed_by) ? "Withdraw" : "Decline";
    }

    function load() {
      return Promise.all([HS.api("GET", API + "/questions"), HS.api("GET", API + "/rules")])
        .then(function (results) {
          var questions = results[0].questions || [];
          loadedAt = Date.now();
          HS.show($("[data-questions-loading]"), false);
          HS.showError(error, null);
          openList.textContent = "";
          answeredList.textContent = "";
          questions.forEach(function (q) {
            (q.status === "open" ? openList : answeredList).appendChild(renderQuestion(q, q.answer_entries || []));
          });
          HS.show($("[data-open-empty]"), !openList.children.length);
          HS.show($("[data-answered-empty]"), !answeredList.children.length);
          renderRules(results[1]);
        })
        .catch(function (failure) {
          HS.show($("[data-questions-loading]"), false);
          HS.showError(error, failure);
        });
    }

    // Send one of this page's forms; on success empty its field and show the new state.
    function post(form, problem, path, body, field) {
      HS.busy(form, true);
      HS.api("POST", API + path, body)
        .then(function () {
          field.value = "";
          HS.showError(problem, null);
          return load();
        })
        .catch(function (failure) {
          HS.showError(problem, failure);
        })
        .then(function () {
          HS.busy(form, false);
        });
    }

    $("[data-ask-form]").addEventListener("submit", function (event) {
      event.preventDefault();
      var form = event.currentTarget;
      var problem = $("[data-ask-error]");
      if (!form.elements.text.value.trim()) {
        HS.showError(problem, { message: "Write your question first." });
        return;
      }
      post(form, problem, "/questions", { text: form.elements.text.value }, form.elements.text);
    });

    $("[data-rules-form]").addEventListener("submit", function (event) {
      event.preventDefault();
      var form = event.currentTarget;
      post(form, $("[data-rules-error]"), "/rules/proposals", { rules: lines(form.elements.rules.value) },
           form.elements.rules);
    });

    ["approve", "decline"].forEach(function (action) {
      $("[data-rules-" + action + "]").addEventListener("click", function () {
        if (!openProposal) return;
        HS.api("POST", API + "/rules/proposals/" + openProposal.id + "/" + action)
          .then(load)
          .catch(function (failure) {
            HS.toast(failure.message);
          });
      });
    });

    HS.on(
      ["transparency.entry_added", "transparency.rules_changed", "transparency.forgotten", "live.connected"],
      load
    );
    setInterval(tickAges, 60000);
    load();
    checkChain();
  });
})();
