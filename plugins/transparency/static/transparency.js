/*
 * The transparency log's pages: the log, questions, the agreement, reviews.
 *
 * Everything goes through the JSON API under /api/v1/transparency with
 * Hearthside.api() (session cookie + CSRF header), and the pages follow the
 * live stream: transparency events carry ids only, so the page fetches what
 * changed. Text from the API is always set with textContent, never as HTML.
 * There is no edit or delete anywhere: the log is append-only.
 */
(function () {
  "use strict";

  var HS = window.Hearthside, $ = HS.$, el = HS.el;
  var API = "/api/v1/transparency";
  var ENTRY_KINDS = HS.pageData().entry_kinds; // the server's own list (log.ENTRY_KINDS)
  var LABELS = {
    plan: "Plan",
    whereabouts: "Whereabouts",
    contact: "Contact",
    disclosure: "Disclosure",
    breach: "Breach",
    note: "Note",
    reply: "Reply",
    question: "Question",
    answer: "Answer",
    sharing: "Sharing",
  };
  var HINTS = {
    plan: "Where you will be and with whom, ahead of time.",
    whereabouts: "Where you are or were, as you agreed to share.",
    contact: "Any contact you agreed to report, for example with the affair partner.",
    disclosure: "Something you share of your own accord, before being asked.",
    breach: "A boundary you crossed. Saying it yourself is what rebuilds trust.",
    note: "Anything else you want on the record.",
  };

  // -- small helpers ------------------------------------------------------------------

  function isMe(id) {
    return String(id) === HS.memberId;
  }

  function partnerIds() {
    return Object.keys(HS.members).filter(function (id) {
      return id !== HS.memberId;
    });
  }

  function partnerText() {
    var names = partnerIds().map(HS.nameOf);
    return names.length ? names.join(" and ") : "your partner";
  }

  /** "your", "Bob's", "your and Bob's" - for "Waiting for ... approval". */
  function possessive(ids) {
    return ids
      .map(function (id) {
        return isMe(id) ? "your" : HS.nameOf(id) + "'s";
      })
      .join(" and ");
  }

  /** Who has not done it yet: the members missing from done (a list of {member_id}, e.g. approved_by). */
  function waitingFor(done) {
    var ids = done.map(function (d) {
      return String(d.member_id);
    });
    return Object.keys(HS.members).filter(function (id) {
      return ids.indexOf(id) < 0;
    });
  }

  function plural(count, word) {
    return count + " " + word + (count === 1 ? "" : "s");
  }

  function age(seconds) {
    var units = [
      ["day", 86400],
      ["hour", 3600],
      ["minute", 60],
    ];
    for (var i = 0; i < units.length; i++) {
      if (seconds >= units[i][1]) return plural(Math.floor(seconds / units[i][1]), units[i][0]);
    }
    return "less than a minute";
  }

  /**
   * A reply or an answer: a form of one text field (id, its label, rows) with the given
   * buttons. Empty text is refused with "Write your <what> first."; else the form is busy
   * while send(text) runs, and a failure frees it and is shown under the field.
   */
  function textForm(options) {
    var form = HS.el("form", "form tp-reply");
    form.setAttribute("novalidate", "");
    var label = HS.el("label", options.labelClass || "", options.label);
    var area = HS.el("textarea");
    area.rows = options.rows;
    area.id = options.id;
    label.htmlFor = area.id;
    var problem = HS.el("p", "error");
    problem.hidden = true;
    problem.setAttribute("role", "alert");
    [label, area, problem].concat(options.buttons).forEach(function (child) {
      form.appendChild(child);
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!area.value.trim()) {
        HS.showError(problem, { message: "Write your " + options.what + " first." });
        return;
      }
      HS.busy(form, true);
      options.send(area.value).catch(function (failure) {
        HS.busy(form, false);
        HS.showError(problem, failure);
      });
    });
    return form;
  }

  function dayWithYear(iso) {
    return HS.formatDay(iso, { weekday: "short", day: "numeric", month: "long", year: "numeric" });
  }

  function lines(value) {
    return String(value || "")
      .split("\n")
      .map(function (line) {
        return line.trim();
      })
      .filter(Boolean);
  }

  function listOf(items, className) {
    var list = el("ul", className || "tp-items");
    items.forEach(function (item) {
      list.appendChild(el("li", "", item));
    });
    return list;
  }

  function showChain(chain) {
    var box = $("[data-chain-warning]");
    if (!box || !chain) return;
    box.hidden = !!chain.intact;
    // "lost": the database lost writes (a damaged file), which nobody did on purpose.
    var lost = chain.first_broken && chain.first_broken.reason === "lost";
    $("[data-chain-title]", box).textContent = lost ? "This log lost entries" : "This log may have been tampered with";
    $("[data-chain-message]", box).textContent = chain.first_broken ? chain.first_broken.message : "";
  }

  function checkChain() {
    return HS.api("GET", API + "/verify")
      .then(showChain)
      .catch(function () {});
  }

  HS.page("transparency-print", function () {
    var button = $("[data-print]");
    if (button)
      button.addEventListener("click", function () {
        window.print();
      });
  });

  HS.transparency = {
    API: API,
    ENTRY_KINDS: ENTRY_KINDS,
    LABELS: LABELS,
    HINTS: HINTS,
    isMe: isMe,
    partnerIds: partnerIds,
    partnerText: partnerText,
    possessive: possessive,
    waitingFor: waitingFor,
    plural: plural,
    textForm: textForm,
    age: age,
    dayWithYear: dayWithYear,
    lines: lines,
    listOf: listOf,
    showChain: showChain,
    checkChain: checkChain
  };
})();
