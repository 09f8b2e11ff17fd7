/*
 * The matcher's answer page: item by item, by category, with a progress bar, skip and
 * back. Only the member's own answers are read or shown. Uses matcher.js's helpers.
 */
(function () {
  "use strict";

  var HS = window.Hearthside, $ = HS.$, $$ = HS.$$, el = HS.el, M = HS.matcher;
  var LABELS = M.LABELS, formatDay = M.formatDay, loadItems = M.loadItems;

  // -- answering ---------------------------------------------------------------------------

  HS.page("matcher-answer", function () {
    var state = { items: [], categories: [], answers: {}, notes: {}, waiting: {}, cooldown: 7, compared: false };
    var current = { category: null, index: 0 };
    var error = $("[data-error]");
    var qError = $("[data-q-error]");
    var overview = $("[data-overview]");
    var question = $("[data-question]");
    var done = $("[data-category-done]");

    function itemsOf(categoryId) {
      return state.items.filter(function (item) {
        return item.category === categoryId;
      });
    }

    function usedCategories() {
      return state.categories.filter(function (category) {
        return itemsOf(category.id).length > 0;
      });
    }

    function applyMine(mine) {
      state.answers = mine.answers || {};
      state.notes = mine.notes || {};
      state.waiting = mine.waiting || {};
      state.cooldown = mine.cooldown_days;
      state.compared = !!mine.compared;
    }

    function setBar(bar, done, total) {
      var percent = total ? Math.round((100 * done) / total) : 0;
      bar.style.width = percent + "%";
      return percent;
    }

    function renderOverview() {
      var answered = state.items.filter(function (item) {
        return state.answers[item.id];
      }).length;
      var percent = setBar($("[data-progress-bar]"), answered, state.items.length);
      $("[data-progress]").setAttribute("aria-valuenow", String(percent));
      $("[data-progress-text]").textContent =
        answered === 0
          ? "You haven't answered anything yet. Start with any category you like."
          : "You have answered " + answered + " of " + state.items.length + " items.";
      var list = $("[data-categories]");
      list.textContent = "";
      usedCategories().forEach(function (category) {
        var items = itemsOf(category.id);
        var count = items.filter(function (item) {
          return state.answers[item.id];
        }).length;
        var li = el("li");
        var button = el("button", "mt-category");
        button.type = "button";
        button.setAttribute("data-category", category.id);
        button.appendChild(el("span", "mt-category__title", category.title));
        button.appendChild(el("span", "mt-category__count", count + " of " + items.length));
        var bar = el("span", "mt-progress mt-progress--thin");
        var fill = el("span", "mt-progress__bar");
        bar.appendChild(fill);
        setBar(fill, count, items.length);
        button.appendChild(bar);
        if (category.description) button.appendChild(el("span", "mt-category__description", category.description));
        button.addEventListener("click", function () {
          open(category.id);
        });
        li.appendChild(button);
        list.appendChild(li);
      });
    }

    function open(categoryId) {
      var items = itemsOf(categoryId);
      var first = 0;
      for (var i = 0; i < items.length; i++) {
        if (!state.answers[items[i].id]) {
          first = i;
          break;
        }
      }
      current = { category: categoryId, index: first };
      overview.hidden = true;
      done.hidden = true;
      question.hidden = false;
      renderQuestion();
      question.scrollIntoView({ block: "start" });
    }

    function close() {
      question.hidden = true;
      done.hidden = true;
      overview.hidden = false;
      renderOverview();
    }

    function categoryTitle(id) {
      for (var i = 0; i < state.categories.length; i++) if (state.categories[i].id === id) return state.categories[i].title;
      return "";
    }

    function renderQuestion() {
      var items = itemsOf(current.category);
      if (current.index >= items.length) {
        question.hidden = true;
        done.hidden = false;
        var next = nextCategory();
        $("[data-next-category]").hidden = !next;
        $("[data-next-category]").focus();
        return;
      }
      if (current.index < 0) current.index = 0;
      var item = items[current.index];
      HS.showError(qError, null);
      $("[data-q-category]").textContent = categoryTitle(item.category);
      $("[data-q-count]").textContent = current.index + 1 + " of " + items.length;
      setBar($("[data-q-progress]"), current.index, items.length);
      $("[data-q-title]").textContent = item.title;
      var explanation = $("[data-q-explanation]");
      explanation.textContent = item.explanation || "";
      explanation.hidden = !item.explanation;
      var sameItem = question.getAttribute("data-item") === item.id;
      question.setAttribute("data-item", item.id);
      Array.prototype.forEach.call(question.querySelectorAll("[data-answer]"), function (button) {
        var chosen = state.answers[item.id] === button.getAttribute("data-answer");
        button.setAttribute("aria-pressed", chosen ? "true" : "false");
      });
      var waiting = state.waiting[item.id];
      var waitingNode = $("[data-q-waiting]");
      waitingNode.hidden = !waiting;
      if (waiting) {
        waitingNode.textContent =
          "Your “" + LABELS[state.answers[item.id]] + "” counts from " + formatDay(waiting.counts_from) +
          ". Until then “" + LABELS[waiting.counts_now] + "” counts, because you have already compared.";
      }
      if (!sameItem) {
        // A refresh of the same item (another device saved) keeps what is being typed.
        $("[data-q-note]").value = state.notes[item.id] || "";
        $("[data-q-note-box]").open = !!state.notes[item.id];
      }
      $("[data-back]").disabled = current.index === 0;
    }

    function nextCategory() {
      var used = usedCategories();
      for (var i = 0; i < used.length; i++) {
        if (used[i].id === current.category) return used[i + 1] ? used[i + 1].id : null;
      }
      return null;
    }

    function save(body) {
      return HS.api("PUT", "/api/v1/matcher/answers", body).then(function (mine) {
        applyMine(mine);
        return mine;
      });
    }

    question.addEventListener("click", function (event) {
      var button = event.target.closest ? event.target.closest("[data-answer]") : null;
      if (!button) return;
      var id = question.getAttribute("data-item");
      var value = button.getAttribute("data-answer");
      var body = { answers: {} };
      body.answers[id] = value;
      var note = $("[data-q-note]").value.trim();
      if (note !== (state.notes[id] || "")) {
        body.notes = {};
        body.notes[id] = note || null;
      }
      button.disabled = true;
      save(body)
        .then(function (mine) {
          if (mine.waiting && mine.waiting[id]) {
            HS.toast("Saved. It counts from " + formatDay(mine.waiting[id].counts_from) + ".");
          }
          current.index += 1;
          renderQuestion();
        })
        .catch(function (failure) {
          HS.showError(qError, failure);
        })
        .then(function () {
          button.disabled = false;
        });
    });

    $("[data-save-note]").addEventListener("click", function () {
      var id = question.getAttribute("data-item");
      var body = { answers: {}, notes: {} };
      body.notes[id] = $("[data-q-note]").value.trim() || null;
      save(body)
        .then(function () {
          HS.toast("Note saved. Only you can see it.");
        })
        .catch(function (failure) {
          HS.showError(qError, failure);
        });
    });

    $("[data-skip]").addEventListener("click", function () {
      current.index += 1;
      renderQuestion();
    });
    $("[data-back]").addEventListener("click", function () {
      current.index = Math.max(0, current.index - 1);
      renderQuestion();
    });
    Array.prototype.forEach.call(document.querySelectorAll("[data-close]"), function (button) {
      button.addEventListener("click", close);
    });
    $("[data-next-category]").addEventListener("click", function () {
      var next = nextCategory();
      if (next) open(next);
      else close();
    });

    function load() {
      return Promise.all([loadItems(), HS.api("GET", "/api/v1/matcher/answers")])
        .then(function (results) {
          state.items = results[0].items || [];
          state.categories = results[0].categories || [];
          applyMine(results[1]);
          HS.showError(error, null);
          if (question.hidden) renderOverview();
          else renderQuestion();
        })
        .catch(function (failure) {
          HS.showError(error, failure);
        });
    }

    load();
    // My own other devices saved something, or the list changed: fetch again.
    HS.on(["matcher.answers.saved", "matcher.items.changed", "live.connected"], load);
  });
})();
