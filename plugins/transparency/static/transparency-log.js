/*
 * The transparency log page: write an entry, read the couple's record, reply, mark
 * read. Uses the plugin's helpers (transparency.js, Hearthside.transparency).
 */
(function () {
  "use strict";

  var HS = window.Hearthside, $ = HS.$, $$ = HS.$$, el = HS.el, T = HS.transparency;
  var API = T.API, ENTRY_KINDS = T.ENTRY_KINDS, LABELS = T.LABELS, HINTS = T.HINTS, isMe = T.isMe, partnerIds = T.partnerIds, partnerText = T.partnerText, listOf = T.listOf, showChain = T.showChain;

  // -- the log --------------------------------------------------------------------------

  HS.page("transparency-log", function () {
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

    /** A button the list's one click handler acts on: data-<action> holds the record's id. */
    function recordButton(label, style, action, id) {
      var button = el("button", "button " + style + " button--small", label);
      button.type = "button";
      button.setAttribute("data-" + action, String(id));
      return button;
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
          foot.appendChild(recordButton("Mark as read", "button--primary", "ack", record.id));
        }
      }
      var actions = el("div", "actions");
      if (record.kind === "question") {
        var link = el("a", "button button--quiet button--small", own ? "See on Questions" : "Answer");
        link.href = "/transparency/questions";
        actions.appendChild(link);
      } else {
        actions.appendChild(recordButton("Reply", "button--quiet", "reply", record.id));
      }
      if (own && ENTRY_KINDS.indexOf(record.kind) >= 0) {
        ["correction", "addendum"].forEach(function (relation) {
          var label = relation === "correction" ? "Correct" : "Add to";
          actions.appendChild(recordButton(label, "button--quiet", relation, record.id));
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
      HS.busy(form, true);
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
          HS.busy(form, false);
        });
    });

    function replyForm(id) {
      var node = nodes[id];
      var slot = node.querySelector(":scope > .tp-entry__slot");
      if (slot.firstChild) {
        slot.firstChild.querySelector("textarea").focus();
        return;
      }
      var actions = el("div", "actions");
      var send = el("button", "button button--primary button--small", "Send reply");
      send.type = "submit";
      var cancel = el("button", "button button--quiet button--small", "Cancel");
      cancel.type = "button";
      actions.appendChild(send);
      actions.appendChild(cancel);
      cancel.addEventListener("click", function () {
        slot.textContent = "";
      });
      var reply = T.textForm({
        id: "tp-reply-" + id, label: "Your reply", labelClass: "visually-hidden", rows: 2, what: "reply",
        buttons: [actions],
        send: function (text) {
          return HS.api("POST", API + "/entries/" + id + "/replies", { text: text }).then(function (record) {
            slot.textContent = "";
            return loadOne(record.id);
          });
        }
      });
      slot.appendChild(reply);
      reply.querySelector("textarea").focus();
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

    HS.on(["transparency.entry_added", "transparency.sharing_changed"], function (event) {
      var id = event.payload && event.payload.entry_id;
      if (id) loadOne(id);
      refreshStatus();
    });
    HS.on("transparency.acknowledged", function (event) {
      if (event.payload && event.payload.entry_id) loadOne(event.payload.entry_id);
      refreshStatus();
    });
    HS.on(["transparency.forgotten", "live.connected"], reloadAll);
    HS.on("consent.changed", function (event) {
      if (event.payload && event.payload.scope === "transparency.share") refreshStatus();
    });

    reloadAll();
  });
})();
