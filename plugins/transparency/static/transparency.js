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

  var HS = window.Hearthside;
  if (!HS) return;
  var $ = HS.$;
  var el = HS.el;
  var API = "/api/v1/transparency";
  var ENTRY_KINDS = ["plan", "whereabouts", "contact", "disclosure", "breach", "note"];
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

  function formatDay(iso) {
    var parts = String(iso || "").split("-");
    if (parts.length !== 3) return iso || "";
    var when = new Date(Number(parts[0]), Number(parts[1]) - 1, Number(parts[2]));
    return when.toLocaleDateString([], { weekday: "short", day: "numeric", month: "long", year: "numeric" });
  }

  function lines(value) {
    return String(value || "")
      .split("\n")
      .map(function (line) {
        return line.trim();
      })
      .filter(Boolean);
  }

  function busy(form, on) {
    Array.prototype.forEach.call(form.querySelectorAll("button, textarea, input"), function (node) {
      node.disabled = on;
    });
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
    $("[data-chain-message]", box).textContent = chain.first_broken ? chain.first_broken.message : "";
  }

  function checkChain() {
    return HS.api("GET", API + "/verify")
      .then(showChain)
      .catch(function () {});
  }

  function onEvents(types, handler) {
    types.forEach(function (type) {
      HS.on(type, handler);
    });
  }

  var pages = {};

  // -- the log --------------------------------------------------------------------------

  pages["transparency-log"] = function () {
    var list = $("[data-log]");
    var form = $("[data-entry-form]");
    var error = $("[data-error]");
    var nodes = {};
    var records = {};
    var oldestSeq = null;
    var correcting = null;

    function kindLabel(record) {
      if (record.forgotten) return "Forgotten";
      return LABELS[record.kind] || record.kind;
    }

    function receipts(record) {
      var readers = (record.acknowledged_by || []).filter(function (ack) {
        return !isMe(ack.member_id);
      });
      if (!readers.length) return el("p", "tp-receipt tp-receipt--unread", "Shared with " + partnerText() + " · not read yet");
      var text = readers
        .map(function (ack) {
          return "Read by " + HS.nameOf(ack.member_id) + " · " + HS.formatTime(ack.at);
        })
        .join("; ");
      var node = el("p", "tp-receipt tp-receipt--read", text);
      node.setAttribute("data-receipt", "read");
      return node;
    }

    function renderBody(record) {
      var body = el("article", "tp-entry__body");
      var own = isMe(record.author_id);
      if (record.kind === "sharing") {
        body.className += " tp-entry__body--notice";
        var who = own ? "You" : HS.nameOf(record.author_id);
        body.appendChild(
          el(
            "p",
            "muted",
            record.text === "on"
              ? who + " turned sharing on."
              : who + " turned sharing off: nothing new is shared until it is on again. What was shared stays."
          )
        );
        body.appendChild(el("p", "tp-entry__meta", HS.formatTime(record.created_at) + " · #" + record.seq));
        return body;
      }
      var meta = el("p", "tp-entry__meta");
      meta.appendChild(el("span", "tp-badge tp-badge--" + (record.forgotten ? "forgotten" : record.kind), kindLabel(record)));
      meta.appendChild(el("span", "", own ? "You" : HS.nameOf(record.author_id)));
      if (record.occurred_at && ENTRY_KINDS.indexOf(record.kind) >= 0) {
        meta.appendChild(el("span", "", HS.formatTime(record.occurred_at)));
      } else {
        meta.appendChild(el("span", "", HS.formatTime(record.created_at)));
      }
      meta.appendChild(el("span", "tp-seq", "#" + record.seq));
      body.appendChild(meta);
      if (record.relation === "correction" || record.relation === "addendum") {
        var target = records[record.refers_to];
        body.appendChild(
          el(
            "p",
            "tp-relation",
            (record.relation === "correction" ? "Correction to " : "Addendum to ") + (target ? "#" + target.seq : "an earlier entry")
          )
        );
      }
      if (record.forgotten) {
        body.appendChild(
          el("p", "muted", "Forgotten at its author's request. Its seal stays in the log, so the log still checks out.")
        );
        return body;
      }
      body.appendChild(el("p", "tp-entry__text", record.text));
      if (record.tags && record.tags.length) body.appendChild(listOf(record.tags, "tp-tags"));
      var foot = el("div", "tp-entry__foot");
      if (own) {
        foot.appendChild(receipts(record));
      } else {
        var mine = (record.acknowledged_by || []).filter(function (ack) {
          return isMe(ack.member_id);
        })[0];
        if (mine) {
          var done = el("p", "tp-receipt tp-receipt--read", "You read this · " + HS.formatTime(mine.at));
          done.setAttribute("data-acknowledged", "");
          foot.appendChild(done);
        } else {
          var ack = el("button", "button button--primary button--small", "Mark as read");
          ack.type = "button";
          ack.setAttribute("data-ack", String(record.id));
          foot.appendChild(ack);
        }
      }
      var actions = el("div", "actions");
      if (record.kind === "question") {
        var link = el("a", "button button--quiet button--small", own ? "See on Questions" : "Answer");
        link.href = "/transparency/questions";
        actions.appendChild(link);
      } else {
        var reply = el("button", "button button--quiet button--small", "Reply");
        reply.type = "button";
        reply.setAttribute("data-reply", String(record.id));
        actions.appendChild(reply);
      }
      if (own && ENTRY_KINDS.indexOf(record.kind) >= 0) {
        ["correction", "addendum"].forEach(function (relation) {
          var button = el("button", "button button--quiet button--small", relation === "correction" ? "Correct" : "Add to");
          button.type = "button";
          button.setAttribute("data-" + relation, String(record.id));
          actions.appendChild(button);
        });
      }
      foot.appendChild(actions);
      body.appendChild(foot);
      return body;
    }

    function placeTopLevel(node, record) {
      var before = null;
      Array.prototype.some.call(list.children, function (child) {
        if (Number(child.getAttribute("data-seq")) < record.seq) {
          before = child;
          return true;
        }
        return false;
      });
      if (node.parentNode !== list || node.nextSibling !== before) list.insertBefore(node, before);
    }

    function upsert(record) {
      records[record.id] = record;
      var node = nodes[record.id];
      if (!node) {
        node = el("li", "tp-entry");
        node.setAttribute("data-entry-id", String(record.id));
        node.setAttribute("data-seq", String(record.seq));
        node.appendChild(el("div", "tp-entry__slot"));
        node.appendChild(el("ol", "tp-thread"));
        nodes[record.id] = node;
      }
      node.className = "tp-entry" + (record.kind === "sharing" ? " tp-entry--notice" : "");
      node.classList.toggle(
        "tp-entry--unread",
        !isMe(record.author_id) &&
          !record.forgotten &&
          record.kind !== "sharing" &&
          !(record.acknowledged_by || []).some(function (ack) {
            return isMe(ack.member_id);
          })
      );
      var old = node.querySelector(":scope > .tp-entry__body");
      var fresh = renderBody(record);
      if (old) node.replaceChild(fresh, old);
      else node.insertBefore(fresh, node.firstChild);
      var parent = record.refers_to ? nodes[record.refers_to] : null;
      if (parent) {
        var thread = parent.querySelector(":scope > .tp-thread");
        if (node.parentNode !== thread) thread.appendChild(node);
      } else {
        placeTopLevel(node, record);
      }
      if (oldestSeq === null || record.seq < oldestSeq) oldestSeq = record.seq;
      HS.show($("[data-log-empty]"), false);
    }

    function upsertAll(items) {
      items
        .slice()
        .sort(function (a, b) {
          return a.seq - b.seq;
        })
        .forEach(upsert);
    }

    function loadPage(before) {
      var path = API + "/entries?limit=50" + (before ? "&before_seq=" + before : "");
      return HS.api("GET", path).then(function (data) {
        HS.show($("[data-log-loading]"), false);
        HS.showError(error, null);
        upsertAll(data.entries || []);
        HS.show($("[data-older]"), (data.entries || []).length === 50);
        HS.show($("[data-log-empty]"), !Object.keys(records).length);
      });
    }

    function loadOne(id) {
      return HS.api("GET", API + "/entries/" + id)
        .then(function (data) {
          upsertAll((data.related || []).concat([data.entry]));
        })
        .catch(function () {});
    }

    function refreshStatus() {
      return HS.api("GET", API + "/status")
        .then(function (status) {
          var sharing = status.sharing || {};
          var on = !!sharing[HS.memberId];
          var partners = partnerIds();
          $("[data-sharing-you]").textContent = on
            ? "You are sharing what you write here with " + partnerText() + "."
            : "Your sharing is off: nothing new you write reaches " + partnerText() + ". What you shared before stays readable.";
          $("[data-sharing-partner]").textContent = partners.length
            ? partners
                .map(function (id) {
                  return sharing[id]
                    ? HS.nameOf(id) + " is sharing with you."
                    : HS.nameOf(id) + " is not sharing new entries right now. What was shared stays here.";
                })
                .join(" ")
            : "Invite your partner to share this log.";
          var toggle = $("[data-sharing-on]");
          toggle.hidden = false;
          toggle.textContent = on ? "Stop sharing" : "Turn on sharing";
          toggle.className = "button button--small " + (on ? "button--quiet" : "button--primary");
          toggle.setAttribute("data-granted", on ? "true" : "false");
          var badge = $("[data-unread]");
          badge.textContent = status.unread + " unread";
          badge.hidden = !status.unread;
          showChain(status.chain);
        })
        .catch(function (failure) {
          HS.showError(error, failure);
        });
    }

    function reloadAll() {
      Object.keys(nodes).forEach(function (id) {
        var node = nodes[id];
        if (node.parentNode) node.parentNode.removeChild(node);
      });
      nodes = {};
      records = {};
      oldestSeq = null;
      return Promise.all([loadPage(null), refreshStatus()]).catch(function (failure) {
        HS.show($("[data-log-loading]"), false);
        HS.showError(error, failure);
      });
    }

    // -- writing --

    function kindHint() {
      var checked = form.querySelector('input[name="kind"]:checked');
      $("[data-kind-hint]").textContent = checked ? HINTS[checked.value] || "" : "";
    }
    form.addEventListener("change", kindHint);
    kindHint();

    function setCorrecting(id, relation) {
      correcting = id ? { id: id, relation: relation } : null;
      var notice = $("[data-correcting]");
      notice.hidden = !correcting;
      if (correcting) {
        var target = records[id];
        $("[data-correcting-text]").textContent =
          (relation === "correction" ? "Correcting" : "Adding to") + " entry #" + (target ? target.seq : id) + ".";
        if (target && target.kind) {
          var radio = form.querySelector('input[name="kind"][value="' + target.kind + '"]');
          if (radio) radio.checked = true;
          kindHint();
        }
        form.elements.text.focus();
      }
    }
    $("[data-correcting-cancel]").addEventListener("click", function () {
      setCorrecting(null);
    });

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var formError = $("[data-entry-error]");
      var checked = form.querySelector('input[name="kind"]:checked');
      var body = {
        kind: checked ? checked.value : null,
        text: form.elements.text.value,
        tags: form.elements.tags.value
          .split(",")
          .map(function (tag) {
            return tag.trim();
          })
          .filter(Boolean),
      };
      if (form.elements.occurred_at.value) body.occurred_at = form.elements.occurred_at.value;
      if (correcting) {
        body.refers_to = correcting.id;
        body.relation = correcting.relation;
      }
      if (!body.text.trim()) {
        HS.showError(formError, { message: "Write something first." });
        return;
      }
      busy(form, true);
      HS.api("POST", API + "/entries", body)
        .then(function (record) {
          HS.showError(formError, null);
          form.elements.text.value = "";
          form.elements.tags.value = "";
          form.elements.occurred_at.value = "";
          setCorrecting(null);
          return loadOne(record.id);
        })
        .catch(function (failure) {
          HS.showError(formError, failure);
        })
        .then(function () {
          busy(form, false);
        });
    });

    function replyForm(id) {
      var node = nodes[id];
      var slot = node.querySelector(":scope > .tp-entry__slot");
      if (slot.firstChild) {
        slot.firstChild.querySelector("textarea").focus();
        return;
      }
      var reply = el("form", "form tp-reply");
      reply.setAttribute("novalidate", "");
      var label = el("label", "visually-hidden", "Your reply");
      var area = el("textarea");
      area.rows = 2;
      area.id = "tp-reply-" + id;
      label.htmlFor = area.id;
      var problem = el("p", "error");
      problem.hidden = true;
      problem.setAttribute("role", "alert");
      var actions = el("div", "actions");
      var send = el("button", "button button--primary button--small", "Send reply");
      send.type = "submit";
      var cancel = el("button", "button button--quiet button--small", "Cancel");
      cancel.type = "button";
      actions.appendChild(send);
      actions.appendChild(cancel);
      [label, area, problem, actions].forEach(function (child) {
        reply.appendChild(child);
      });
      cancel.addEventListener("click", function () {
        slot.textContent = "";
      });
      reply.addEventListener("submit", function (event) {
        event.preventDefault();
        if (!area.value.trim()) {
          HS.showError(problem, { message: "Write your reply first." });
          return;
        }
        busy(reply, true);
        HS.api("POST", API + "/entries/" + id + "/replies", { text: area.value })
          .then(function (record) {
            slot.textContent = "";
            return loadOne(record.id);
          })
          .catch(function (failure) {
            busy(reply, false);
            HS.showError(problem, failure);
          });
      });
      slot.appendChild(reply);
      area.focus();
    }

    list.addEventListener("click", function (event) {
      var button = event.target.closest ? event.target.closest("button") : null;
      if (!button) return;
      if (button.hasAttribute("data-ack")) {
        var id = button.getAttribute("data-ack");
        button.disabled = true;
        HS.api("POST", API + "/entries/" + id + "/acknowledge")
          .then(function () {
            return Promise.all([loadOne(id), refreshStatus()]);
          })
          .catch(function (failure) {
            button.disabled = false;
            HS.toast(failure.message);
          });
      } else if (button.hasAttribute("data-reply")) {
        replyForm(button.getAttribute("data-reply"));
      } else if (button.hasAttribute("data-correction")) {
        setCorrecting(Number(button.getAttribute("data-correction")), "correction");
      } else if (button.hasAttribute("data-addendum")) {
        setCorrecting(Number(button.getAttribute("data-addendum")), "addendum");
      }
    });

    $("[data-older]").addEventListener("click", function () {
      if (oldestSeq !== null) loadPage(oldestSeq).catch(function (failure) {
        HS.showError(error, failure);
      });
    });

    $("[data-sharing-on]").addEventListener("click", function (event) {
      var button = event.currentTarget;
      var granted = button.getAttribute("data-granted") !== "true";
      button.disabled = true;
      HS.api("PUT", "/api/v1/consents/transparency.share", { granted: granted })
        .then(refreshStatus)
        .catch(function (failure) {
          HS.toast(failure.message);
        })
        .then(function () {
          button.disabled = false;
        });
    });

    // -- live --

    onEvents(["transparency.entry_added", "transparency.sharing_changed"], function (event) {
      var id = event.payload && event.payload.entry_id;
      if (id) loadOne(id);
      refreshStatus();
    });
    HS.on("transparency.acknowledged", function (event) {
      if (event.payload && event.payload.entry_id) loadOne(event.payload.entry_id);
      refreshStatus();
    });
    onEvents(["transparency.forgotten", "live.connected"], reloadAll);
    HS.on("consent.changed", function (event) {
      if (event.payload && event.payload.scope === "transparency.share") refreshStatus();
    });

    reloadAll();
  };

  // -- questions ----------------------------------------------------------------------------

  pages["transparency-questions"] = function () {
    var openList = $("[data-open-questions]");
    var answeredList = $("[data-answered-questions]");
    var error = $("[data-error]");
    var openProposal = null;
    var loadedAt = Date.now();

    function answerForm(question) {
      var form = el("form", "form tp-reply");
      form.setAttribute("novalidate", "");
      var area = el("textarea");
      area.rows = 3;
      area.id = "tp-answer-" + question.id;
      var label = el("label", "", "Your answer");
      label.htmlFor = area.id;
      var problem = el("p", "error");
      problem.hidden = true;
      problem.setAttribute("role", "alert");
      var send = el("button", "button button--primary button--small", "Answer");
      send.type = "submit";
      [label, area, problem, send].forEach(function (child) {
        form.appendChild(child);
      });
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        if (!area.value.trim()) {
          HS.showError(problem, { message: "Write your answer first." });
          return;
        }
        busy(form, true);
        HS.api("POST", API + "/questions/" + question.id + "/answers", { text: area.value })
          .then(load)
          .catch(function (failure) {
            busy(form, false);
            HS.showError(problem, failure);
          });
      });
      return form;
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
      var approved = openProposal.approved_by.map(function (a) {
        return String(a.member_id);
      });
      var waiting = Object.keys(HS.members).filter(function (id) {
        return approved.indexOf(id) < 0;
      });
      $("[data-rules-open-status]").textContent =
        "Proposed by " + HS.nameOf(openProposal.proposed_by) + ". " +
        (waiting.length ? "Waiting for " + possessive(waiting) + " approval." : "");
      $("[data-rules-approve]").hidden = approved.indexOf(HS.memberId) >= 0;
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
      busy(form, true);
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
          busy(form, false);
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

    onEvents(
      ["transparency.entry_added", "transparency.rules_changed", "transparency.forgotten", "live.connected"],
      load
    );
    setInterval(tickAges, 60000);
    load();
    checkChain();
  };

  // -- the agreement -----------------------------------------------------------------------------

  pages["transparency-agreement"] = function () {
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
      box.appendChild(el("p", "hint", "Version " + version.version + " · review on " + formatDay(version.review_on) + ". " + signatures(version)));
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
        item.appendChild(el("p", "feed__meta", "Proposed by " + HS.nameOf(version.proposed_by) + " · " + HS.formatTime(version.created_at) + " · review on " + formatDay(version.review_on)));
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

    function act(path, body, errorNode) {
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
      busy(form, true);
      act("/agreements", { items: lines(form.elements.items.value), review_on: form.elements.review_on.value || null }, $("[data-agreement-error]")).then(function () {
        busy(form, false);
        if ($("[data-agreement-error]").hidden) form.reset();
      });
    });
    $("[data-renew-form]").addEventListener("submit", function (event) {
      event.preventDefault();
      if (state && state.current) act("/agreements/" + state.current.id + "/renew", { review_on: event.currentTarget.elements.review_on.value || null }, $("[data-current-error]"));
    });
    $("[data-end]").addEventListener("click", function () {
      if (state && state.current) act("/agreements/" + state.current.id + "/end", null, $("[data-current-error]"));
    });
    $("[data-sign]").addEventListener("click", function () {
      if (state && state.pending) act("/agreements/" + state.pending.id + "/sign", null, $("[data-pending-error]"));
    });
    $("[data-decline]").addEventListener("click", function () {
      if (state && state.pending) act("/agreements/" + state.pending.id + "/decline", null, $("[data-pending-error]"));
    });

    onEvents(["transparency.agreement_changed", "transparency.agreement_review_due", "live.connected"], load);
    load();
    checkChain();
  };

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

  pages["transparency-reviews"] = function () {
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
        var marked = open.marks.map(function (m) {
          return String(m.member_id);
        });
        var waiting = Object.keys(HS.members).filter(function (id) {
          return marked.indexOf(id) < 0;
        });
        $("[data-open-marks]").textContent =
          "Started " + HS.formatTime(open.started_at) + ". " +
          (waiting.length ? "Waiting for " + possessive(waiting) + " mark." : "");
        HS.show($("[data-mark-form]"), marked.indexOf(HS.memberId) < 0);
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
      busy(form, true);
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
          busy(form, false);
        });
    });

    onEvents(["transparency.review_changed", "transparency.entry_added", "live.connected"], load);
    load();
    checkChain();
  };

  pages["transparency-print"] = function () {
    var button = $("[data-print]");
    if (button)
      button.addEventListener("click", function () {
        window.print();
      });
  };

  document.addEventListener("DOMContentLoaded", function () {
    var page = document.body.getAttribute("data-page");
    if (pages[page]) pages[page]();
  });
})();
