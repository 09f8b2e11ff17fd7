/*
 * The yes / no / maybe pages: answer privately, compare, manage the list.
 *
 * Everything goes through /api/v1/matcher with Hearthside.api (session
 * cookie + CSRF header). Text from the API is set with textContent only.
 * Live events only ever say "something changed": the page asks the API
 * again, and the API checks consent again. When the reveal is switched off,
 * the results are dropped from the page before anything else happens.
 */
(function () {
  "use strict";

  var HS = window.Hearthside, $ = HS.$, el = HS.el;
  // From the server (pages.py: store.ANSWERS, store.REVEAL_SCOPE), so they cannot drift from it.
  var SCOPE = HS.pageData().reveal_scope;
  var LABELS = HS.pageData().answers;
  var formatDay = HS.formatDay;

  function loadItems() {
    return HS.api("GET", "/api/v1/matcher/items");
  }

  // -- comparing ------------------------------------------------------------------------------

  HS.page("matcher-compare", function () {
    var toggle = $("[data-ready]");
    var stateText = $("[data-reveal-state]");
    var error = $("[data-error]");
    var results = $("[data-results]");
    var off = $("[data-results-off]");
    var titles = {};
    var generation = 0; // answers that arrive after a revocation are ignored

    function dropResults() {
      generation += 1;
      $("[data-both-yes]").textContent = "";
      $("[data-worth]").textContent = "";
      results.hidden = true;
      off.hidden = false;
    }

    function renderTier(list, empty, ids) {
      list.textContent = "";
      ids.forEach(function (id) {
        var li = el("li", "mt-result", titles[id] || id);
        li.setAttribute("data-item", id);
        list.appendChild(li);
      });
      empty.hidden = ids.length > 0;
    }

    function loadMatches() {
      var mine = generation;
      return HS.api("GET", "/api/v1/matcher/matches")
        .then(function (data) {
          if (mine !== generation) return;
          renderTier($("[data-both-yes]"), $("[data-both-yes-empty]"), data.both_yes || []);
          renderTier($("[data-worth]"), $("[data-worth-empty]"), data.worth_discussing || []);
          results.hidden = false;
          off.hidden = true;
        })
        .catch(function (failure) {
          dropResults();
          var closed = ["consent_required", "confirmation_required", "waiting_for_confirmation"];
          if (closed.indexOf(failure.code) < 0) HS.showError(error, failure);
        });
    }

    function loadTitles() {
      return loadItems().then(function (data) {
        titles = {};
        (data.items || []).forEach(function (item) {
          titles[item.id] = item.title;
        });
      });
    }

    // A partner's live change refreshes the page while this member's own tick may
    // be on its way: only the newest refresh may set the switch, and none while saving.
    var saving = false;
    var newest = 0;

    function refresh() {
      var mine = ++newest;
      return HS.api("GET", "/api/v1/consents")
        .then(function (data) {
          if (mine !== newest) return null;
          var scope = (data.scopes || []).filter(function (s) {
            return s.scope === SCOPE;
          })[0];
          if (!scope) throw new HS.ApiError(404, "unknown_scope", "Comparing is not available on this server.");
          var mineOn = !!(scope.members || {})[String(HS.memberId)];
          if (!saving) {
            toggle.checked = mineOn;
            toggle.disabled = false;
          }
          if (scope.active) stateText.textContent = "On for both of you.";
          else if (mineOn) stateText.textContent = "You're ready. Results show once both of you are ready.";
          else stateText.textContent = "Off for you. Turn it on whenever you feel ready; there is no hurry.";
          HS.showError(error, null);
          return HS.api("GET", "/api/v1/matcher/reveal").then(function (reveal) {
            showBroad(reveal, mineOn);
            if (!scope.active || !reveal.results_visible) {
              dropResults();
              return null;
            }
            return loadTitles().then(loadMatches);
          });
        })
        .catch(function (failure) {
          dropResults();
          HS.showError(error, failure);
        });
    }

    // An answer set open to almost everything is announced before any result shows (docs/security.md).
    function showBroad(reveal, mineOn) {
      var share = reveal.broad_percent + "% of the list";
      var text = "";
      if (reveal.to_confirm) {
        text = "Your partner answered yes or maybe to at least " + share + ". Results show what you are " +
          "open to among those, so they could show almost all of your list. They appear only once you " +
          "confirm. You can also change your answers, or turn “ready to compare” off, first.";
      } else if (reveal.waiting_for_partner) {
        text = "Your answers are yes or maybe for at least " + share + ", so your partner has been told " +
          "that. Results appear once they confirm they still want to compare.";
      } else if (reveal.you_broad && !mineOn) {
        text = "Your answers are yes or maybe for at least " + share + ". When you turn on “ready to " +
          "compare”, your partner is told that (never which items), and results wait for their OK.";
      }
      $("[data-broad-text]").textContent = text;
      $("[data-broad-confirm]").hidden = !reveal.to_confirm;
      $("[data-broad]").hidden = !text;
    }

    $("[data-broad-confirm]").addEventListener("click", function () {
      HS.showError($("[data-broad-error]"), null);
      HS.api("POST", "/api/v1/matcher/reveal/confirmations", { confirm: true })
        .catch(function (failure) {
          HS.showError($("[data-broad-error]"), failure);
        })
        .then(refresh);
    });

    toggle.addEventListener("change", function () {
      var granted = toggle.checked;
      toggle.disabled = true;
      saving = true;
      if (!granted) dropResults(); // stepping back shows at once, before the server answers
      HS.api("PUT", "/api/v1/consents/" + encodeURIComponent(SCOPE), { granted: granted })
        .catch(function (failure) {
          HS.showError(error, failure);
        })
        .then(function () {
          saving = false;
          return refresh();
        });
    });

    function onConsent(event) {
      var payload = event.payload || {};
      if (payload.scope !== SCOPE) return;
      if (event.type === "consent.revoked" || !payload.active) dropResults();
      refresh();
    }

    HS.on("consent.changed", onConsent);
    HS.on("consent.revoked", onConsent);
    HS.on(["matcher.matches.changed", "matcher.items.changed", "live.connected"], refresh);
    refresh();
  });

  // -- managing the list ------------------------------------------------------------------------

  HS.page("matcher-list", function () {
    var form = $("[data-add-form]");
    var formError = $("[data-error]", form);
    var proposalsError = $("[data-proposals-error]");
    var select = $("[data-category-select]");

    function callThenReload(method, path, body) {
      HS.showError(proposalsError, null);
      return HS.api(method, path, body)
        .then(load)
        .catch(function (failure) {
          HS.showError(proposalsError, failure);
        });
    }

    function propose(item, action) {
      return callThenReload("POST", "/api/v1/matcher/proposals", { item_id: item.id, action: action });
    }

    function decline(item) {
      return callThenReload("DELETE", "/api/v1/matcher/proposals?item_id=" + encodeURIComponent(item.id));
    }

    function button(label, onClick, primary) {
      var node = el("button", "button button--small " + (primary ? "button--primary" : "button--quiet"), label);
      node.type = "button";
      node.addEventListener("click", function () {
        node.disabled = true;
        onClick();
      });
      return node;
    }

    function proposalRow(item) {
      var proposal = item.proposal;
      var row = el("li", "row mt-proposal");
      var main = el("div", "row__main");
      var verb = proposal.action === "hide" ? "hiding" : "showing again";
      main.appendChild(el("p", "row__title", item.title));
      main.appendChild(
        el(
          "p",
          "row__detail",
          proposal.you_agreed
            ? "You suggested " + verb + ". It happens once both of you agree."
            : "One of you suggested " + verb + "."
        )
      );
      row.appendChild(main);
      var actions = el("div", "actions");
      if (!proposal.you_agreed) actions.appendChild(button("Agree", function () { propose(item, proposal.action); }, true));
      actions.appendChild(button(proposal.you_agreed ? "Withdraw" : "Decline", function () { decline(item); }));
      row.appendChild(actions);
      row.setAttribute("data-item", item.id);
      return row;
    }

    function render(listing, hidden) {
      var items = listing.items || [];
      var categories = listing.categories || [];
      if (!select.options.length) {
        categories.forEach(function (category) {
          var option = el("option", null, category.title);
          option.value = category.id;
          select.appendChild(option);
        });
        select.value = "ours";
      }
      var open = items.concat(hidden.items || []).filter(function (item) {
        return item.proposal;
      });
      var proposals = $("[data-proposals]");
      proposals.textContent = "";
      open.forEach(function (item) {
        proposals.appendChild(proposalRow(item));
      });
      $("[data-proposals-empty]").hidden = open.length > 0;

      var all = $("[data-all-items]");
      var wasOpen = {};
      Array.prototype.forEach.call(all.querySelectorAll("details[open]"), function (node) {
        wasOpen[node.getAttribute("data-category")] = true;
      });
      all.textContent = "";
      categories.forEach(function (category) {
        var inCategory = items.filter(function (item) {
          return item.category === category.id;
        });
        if (!inCategory.length) return;
        var details = el("details", "mt-group");
        details.setAttribute("data-category", category.id);
        details.open = !!wasOpen[category.id];
        details.appendChild(el("summary", null, category.title + " (" + inCategory.length + ")"));
        var list = el("ul", "rows");
        inCategory.forEach(function (item) {
          var row = el("li", "row");
          row.setAttribute("data-item", item.id);
          var main = el("div", "row__main");
          main.appendChild(el("p", "row__title", item.title));
          if (item.explanation) main.appendChild(el("p", "row__detail", item.explanation));
          row.appendChild(main);
          if (!item.proposal) row.appendChild(button("Suggest hiding", function () { propose(item, "hide"); }));
          else row.appendChild(el("span", "hint", "Suggestion waiting"));
          list.appendChild(row);
        });
        details.appendChild(list);
        all.appendChild(details);
      });

      var hiddenList = $("[data-hidden]");
      hiddenList.textContent = "";
      (hidden.items || []).forEach(function (item) {
        var row = el("li", "row");
        row.setAttribute("data-item", item.id);
        var main = el("div", "row__main");
        main.appendChild(el("p", "row__title", item.title));
        row.appendChild(main);
        if (!item.proposal) row.appendChild(button("Suggest showing again", function () { propose(item, "show"); }));
        hiddenList.appendChild(row);
      });
      $("[data-hidden-empty]").hidden = (hidden.items || []).length > 0;
    }

    function load() {
      return Promise.all([loadItems(), HS.api("GET", "/api/v1/matcher/hidden")])
        .then(function (results) {
          render(results[0], results[1]);
        })
        .catch(function (failure) {
          HS.showError(proposalsError, failure);
        });
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var title = form.elements.title.value.trim();
      if (!title) {
        HS.showError(formError, { message: "What is it? Please write a few words." });
        form.elements.title.focus();
        return;
      }
      var body = { title: title, category: select.value };
      var explanation = form.elements.explanation.value.trim();
      if (explanation) body.explanation = explanation;
      HS.showError(formError, null);
      HS.api("POST", "/api/v1/matcher/items", body)
        .then(function () {
          form.reset();
          select.value = "ours";
          HS.toast("Added to both of your lists.");
          return load();
        })
        .catch(function (failure) {
          HS.showError(formError, failure);
        });
    });

    load();
    HS.on(["matcher.items.changed", "live.connected"], load);
  });

  HS.matcher = {
    SCOPE: SCOPE,
    LABELS: LABELS,
    formatDay: formatDay,
    loadItems: loadItems
  };
})();
