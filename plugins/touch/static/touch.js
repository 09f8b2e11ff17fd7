/*
 * Closeness (the touch plugin): tonight's plan and the traffic light, the
 * ladder and its proposals, the path. Everything goes through
 * /api/v1/touch with Hearthside.api; text is always set with textContent.
 * Live events of type touch.* re-read the page's data, so both phones agree
 * within a moment; a partner's yellow light is shown straight from its event.
 */
(function () {
  "use strict";

  var HS = window.Hearthside;
  var $ = HS.$;
  var $$ = HS.$$;
  var el = HS.el;
  var API = "/api/v1/touch";

  var LIGHT_TEXT = {
    green: "Green: all good",
    yellow: "Yellow: slowing down",
    red: "Red: stopping",
  };

  function fillList(node, items) {
    node.textContent = "";
    (items || []).forEach(function (item) {
      node.appendChild(el("li", "", item));
    });
  }

  /** A planned time in the couple's own zone (the zone it was planned in): "Sat 23 Nov, 20:00". */
  function plannedTime(iso) {
    var when = new Date(iso);
    var node = $("[data-time-zone]");
    var options = { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" };
    if (node) options.timeZone = node.getAttribute("data-time-zone");
    try {
      return when.toLocaleString([], options);
    } catch (e) {
      delete options.timeZone;
      return when.toLocaleString([], options);
    }
  }

  function debounce(fn, ms) {
    var timer = null;
    return function () {
      clearTimeout(timer);
      timer = setTimeout(fn, ms);
    };
  }

  function busy(button, on) {
    if (button) button.disabled = on;
  }

  function act(button, errorNode, promise) {
    busy(button, true);
    HS.showError(errorNode, null);
    return promise
      .catch(function (error) {
        HS.showError(errorNode, error);
        throw error;
      })
      .then(
        function (value) {
          busy(button, false);
          return value;
        },
        function () {
          busy(button, false);
        }
      );
  }

  // -- tonight and the session ------------------------------------------------------

  function touchPage() {
    var data = null;
    var reload = debounce(load, 150);

    function phaseByKey(key) {
      return (data.ladder.phases || []).filter(function (p) {
        return p.key === key;
      })[0];
    }

    function renderSession(current) {
      var session = current.session;
      var box = $("[data-session]");
      HS.show(box, !!session);
      HS.show($("[data-calm]"), !session);
      document.body.classList.toggle("touch-in-session", !!session);
      if (!session) return;
      var phase = (session.phase && phaseByKey(session.phase.key)) || data.plan;
      $("[data-session-phase]").textContent = session.phase ? session.phase.name : phase.name;
      fillList($("[data-session-in]"), phase["in"]);
      fillList($("[data-session-out]"), phase.out);
      var lights = current.signals || {};
      var mine = lights[HS.memberId] || "green";
      var slowing = Object.keys(lights).filter(function (id) {
        return id !== String(HS.memberId) && lights[id] === "yellow";
      });
      // The big light is the session's: yellow on both phones as soon as anyone asks to slow down.
      var shown = mine === "green" && slowing.length ? "yellow" : mine;
      var lamp = $("[data-my-light]");
      lamp.setAttribute("data-my-light", shown);
      $("[data-my-light-label]").textContent =
        mine === "yellow" ? "Yellow: you asked to slow down" : slowing.length ? "Yellow: slowing down" : LIGHT_TEXT[mine] || mine;
      $$("[data-signal]").forEach(function (button) {
        button.setAttribute("aria-pressed", button.getAttribute("data-signal") === mine ? "true" : "false");
      });
      var partner = $("[data-partner-light]");
      partner.textContent = slowing.length
        ? slowing.map(HS.nameOf).join(" and ") + " asked to slow down (yellow). The session goes on, gently."
        : "";
      partner.setAttribute("data-light", slowing.length ? "yellow" : "green");
      HS.show(partner, slowing.length > 0);
    }

    function renderPlan() {
      var plan = data.plan;
      $("[data-plan-name]").textContent = plan.name;
      fillList($("[data-plan-in]"), plan["in"]);
      fillList($("[data-plan-out]"), plan.out);
      $("[data-plan-practice]").textContent = plan.practice || "";
      HS.show($("[data-tonight]"), true);
    }

    function renderCeiling() {
      var select = $("[data-ceiling-select]");
      if (document.activeElement !== select) {
        select.textContent = "";
        data.ladder.phases.forEach(function (phase) {
          var option = el("option", "", phase.level + " · " + phase.name);
          option.value = phase.key;
          select.appendChild(option);
        });
        select.value = data.ceiling.key;
      }
      HS.show($("[data-ceiling-unset]"), !data.ceiling.set);
      HS.show($("[data-ceiling-card]"), true);
    }

    function renderSteps() {
      var r = data.readiness;
      $("[data-unlocked-name]").textContent = data.unlocked.level + " · " + data.unlocked.name;
      var line = "";
      if (!r.next_phase) line = "This is the last phase of your ladder. There is nothing further to unlock.";
      else if (r.practised < r.needed)
        line =
          r.practised + " of " + r.needed + " practice sessions at this phase. After " + r.needed +
          ", each of you can say when you feel ready for " + r.next_phase.name + ".";
      else
        line =
          r.practised + " practice sessions at this phase. Whenever you feel ready for " + r.next_phase.name +
          ", say so here - there is no hurry.";
      $("[data-practice-line]").textContent = line;
      HS.show($("[data-ready]"), r.can_say_ready && !r.i_am_ready);
      HS.show($("[data-ready-undo]"), r.i_am_ready);
      $("[data-ready-hint]").textContent = r.i_am_ready
        ? "You have said you are ready. Only you can see that; the next phase opens when you have both said it."
        : r.next_phase
        ? "Only you see your \"ready\". Nobody is told who said it, or when."
        : "";
      var back = $("[data-step-back]");
      back.disabled = !r.can_step_back;
      $("[data-step-back-hint]").textContent = r.can_step_back
        ? "Either of you can step back, any time, with no reason. It happens at once, and every session you have practised still counts."
        : "You are at the first phase. Being here is enough.";
      HS.show($("[data-steps]"), true);
    }

    function renderUpcoming() {
      var list = $("[data-upcoming]");
      list.textContent = "";
      data.upcoming.forEach(function (session) {
        var row = el("li", "row");
        row.setAttribute("data-planned-session", session.id);
        var main = el("div", "row__main");
        main.appendChild(el("p", "row__title", plannedTime(session.planned_for)));
        main.appendChild(
          el(
            "p",
            "row__detail",
            session.duration_minutes + " minutes" + (session.on_calendar ? " · on your rituals calendar" : "")
          )
        );
        row.appendChild(main);
        var start = el("button", "button button--small", "Start");
        start.type = "button";
        start.setAttribute("data-start-planned", session.id);
        var cancel = el("button", "button button--small button--ghost", "Cancel");
        cancel.type = "button";
        cancel.setAttribute("data-cancel-planned", session.id);
        row.appendChild(start);
        row.appendChild(cancel);
        list.appendChild(row);
      });
      HS.show($("[data-upcoming-empty]"), !data.upcoming.length);
      HS.show($("[data-planned]"), true);
    }

    var reflectLater = null; // the session the member said "not now" to, on this page only

    function renderReflect() {
      var due = data.reflection_due;
      var card = $("[data-reflect]");
      HS.show(card, !!due && due.id !== reflectLater);
      if (due) card.setAttribute("data-session-id", due.id);
    }

    function render() {
      HS.show($("[data-loading]"), false);
      renderSession(data.current);
      renderPlan();
      renderCeiling();
      renderSteps();
      renderUpcoming();
      renderReflect();
      document.body.setAttribute("data-touch-ready", "1");
    }

    function load() {
      return HS.api("GET", API)
        .then(function (answer) {
          data = answer;
          HS.showError($("[data-error]"), null);
          render();
        })
        .catch(function (error) {
          HS.show($("[data-loading]"), false);
          HS.showError($("[data-error]"), error);
        });
    }

    // A partner's light shows at once, from the event itself; the rest follows with the reload.
    HS.on("touch.signal", function (event) {
      var p = event.payload || {};
      if (data && data.current && data.current.session && data.current.session.id === p.session_id) {
        data.current.signals[String(p.member_id)] = p.signal;
        renderSession(data.current);
      }
      reload();
    });
    HS.on("*", function (event) {
      if (/^touch\./.test(event.type) && event.type !== "touch.signal") reload();
    });
    HS.on("live.connected", reload);

    document.addEventListener("click", function (event) {
      var button = event.target.closest ? event.target.closest("button") : null;
      if (!button) return;
      if (button.hasAttribute("data-signal")) {
        var light = button.getAttribute("data-signal");
        act(button, $("[data-session-error]"), HS.api("POST", API + "/session/signal", { signal: light })).then(
          function (answer) {
            if (!answer) return;
            if (answer.pause && answer.pause.active) HS.applyPause(answer.pause);
            data.current = { session: answer.session, signals: answer.signals };
            renderSession(data.current);
            reload();
          }
        );
      } else if (button.hasAttribute("data-session-start")) {
        act(button, $("[data-start-error]"), HS.api("POST", API + "/session", {})).then(load);
      } else if (button.hasAttribute("data-start-planned")) {
        var id = parseInt(button.getAttribute("data-start-planned"), 10);
        act(button, $("[data-plan-error]"), HS.api("POST", API + "/session", { session_id: id })).then(load);
      } else if (button.hasAttribute("data-cancel-planned")) {
        var cancelId = parseInt(button.getAttribute("data-cancel-planned"), 10);
        act(button, $("[data-plan-error]"), HS.api("POST", API + "/sessions/cancel", { session_id: cancelId })).then(
          load
        );
      } else if (button.hasAttribute("data-session-end")) {
        act(button, $("[data-session-error]"), HS.api("DELETE", API + "/session")).then(load);
      } else if (button.hasAttribute("data-reflect-later")) {
        reflectLater = data.reflection_due ? data.reflection_due.id : null;
        renderReflect();
      } else if (button.hasAttribute("data-ready")) {
        act(button, $("[data-steps-error]"), HS.api("PUT", API + "/ready")).then(function (answer) {
          if (answer && answer.unlocked_now) HS.toast("You were both ready: " + answer.unlocked.name + " is open.");
          load();
        });
      } else if (button.hasAttribute("data-ready-undo")) {
        act(button, $("[data-steps-error]"), HS.api("DELETE", API + "/ready")).then(load);
      } else if (button.hasAttribute("data-step-back")) {
        act(button, $("[data-steps-error]"), HS.api("POST", API + "/step-back")).then(function (answer) {
          if (answer) HS.toast("Stepped back to " + answer.unlocked.name + ". Take all the time you need.");
          load();
        });
      }
    });

    $("[data-ceiling-form]").addEventListener("submit", function (event) {
      event.preventDefault();
      var form = event.target;
      HS.show($("[data-ceiling-saved]"), false);
      act(
        form.querySelector("button"),
        $("[data-ceiling-error]"),
        HS.api("PUT", API + "/ceiling", { phase: $("[data-ceiling-select]").value })
      ).then(function (answer) {
        if (!answer) return;
        HS.show($("[data-ceiling-saved]"), true);
        load();
      });
    });

    $("[data-plan-form]").addEventListener("submit", function (event) {
      event.preventDefault();
      var form = event.target;
      var body = {
        planned_for: form.elements.planned_for.value,
        duration_minutes: parseInt(form.elements.duration_minutes.value, 10),
      };
      act(form.querySelector("button[type=submit]"), $("[data-plan-error]"), HS.api("POST", API + "/sessions", body)).then(
        function (answer) {
          if (!answer) return;
          form.reset();
          load();
        }
      );
    });

    $("[data-reflect-form]").addEventListener("submit", function (event) {
      event.preventDefault();
      var form = event.target;
      var checked = function (name) {
        var node = form.querySelector("input[name=" + name + "]:checked");
        return node ? parseInt(node.value, 10) : null;
      };
      var body = {
        session_id: parseInt($("[data-reflect]").getAttribute("data-session-id"), 10),
        safe: checked("safe"),
        comfortable: checked("comfortable"),
        note: form.elements.note.value,
      };
      act(form.querySelector("button[type=submit]"), $("[data-reflect-error]"), HS.api("PUT", API + "/reflections", body)).then(
        function (answer) {
          if (!answer) return;
          form.reset();
          HS.toast("Kept. Only you can see it.");
          load();
        }
      );
    });

    load();
  }

  // -- the ladder -------------------------------------------------------------------------

  function renderPhase(template, phase) {
    var node = template.content.firstElementChild.cloneNode(true);
    node.setAttribute("data-phase", phase.key);
    $("[data-level]", node).textContent = "Phase " + phase.level;
    HS.show($("[data-unlocked]", node), !!phase.unlocked);
    $("[data-name]", node).textContent = phase.name;
    fillList($("[data-in]", node), phase["in"]);
    fillList($("[data-out]", node), phase.out);
    $("[data-practice]", node).textContent = phase.practice || "";
    return node;
  }

  var CHANGE_TEXT = {
    added: function (c) {
      return "Adds \"" + c.name + "\" as phase " + c.level;
    },
    removed: function (c) {
      return "Removes \"" + c.name + "\"";
    },
    renamed: function (c) {
      return "Renames \"" + c.from + "\" to \"" + c.name + "\"";
    },
    edited: function (c) {
      return "Changes what is in, out or suggested for \"" + c.name + "\"";
    },
    moved: function (c) {
      return "Moves \"" + c.name + "\" from phase " + c.from + " to " + c.to;
    },
  };

  function ladderPage() {
    var ladder = null;
    var proposal = null;
    var reload = debounce(load, 150);
    var template = $("#phase-template");
    var editorTemplate = $("#editor-template");

    function render() {
      HS.show($("[data-loading]"), false);
      var list = $("[data-phases]");
      list.textContent = "";
      ladder.phases.forEach(function (phase) {
        list.appendChild(renderPhase(template, phase));
      });
      var box = $("[data-proposal]");
      HS.show(box, !!proposal);
      HS.show($("[data-edit-card]"), !proposal);
      if (proposal) {
        box.setAttribute("data-proposal-id", proposal.id);
        $("[data-proposal-by]").textContent =
          (proposal.proposed_by ? HS.nameOf(proposal.proposed_by) : "Someone") + " suggested this on " +
          HS.formatTime(proposal.created_at) + ".";
        var note = $("[data-proposal-note]");
        note.textContent = proposal.note || "";
        HS.show(note, !!proposal.note);
        fillList(
          $("[data-proposal-changes]"),
          proposal.changes.map(function (c) {
            return (CHANGE_TEXT[c.kind] || function () {
              return c.kind;
            })(c);
          })
        );
        $("[data-proposal-unlocked]").textContent =
          "After this change you would be unlocked up to " + proposal.unlocked_after.name + " (phase " +
          proposal.unlocked_after.level + "). Your comfort levels stay where they are, or move down if their phase is removed.";
        var phases = $("[data-proposal-phases]");
        phases.textContent = "";
        proposal.phases.forEach(function (phase) {
          phases.appendChild(renderPhase(template, phase));
        });
        HS.show($("[data-proposal-accept]"), !proposal.accepted_by_me);
        HS.show($("[data-proposal-waiting]"), proposal.accepted_by_me);
        $("[data-proposal-decline]").textContent = proposal.accepted_by_me ? "Withdraw" : "Decline";
      }
    }

    function renderVersions(versions) {
      var list = $("[data-versions]");
      list.textContent = "";
      versions
        .slice()
        .reverse()
        .forEach(function (version) {
          var text =
            "Version " + version.version + (version.created_at ? " · " + HS.formatTime(version.created_at) : " · the default ladder") +
            " · " + version.phases.map(function (p) {
              return p.name;
            }).join(", ");
          list.appendChild(el("li", "history__item", text));
        });
    }

    function load() {
      return Promise.all([
        HS.api("GET", API + "/ladder"),
        HS.api("GET", API + "/proposal"),
        HS.api("GET", API + "/ladder/versions"),
      ])
        .then(function (answers) {
          ladder = answers[0];
          proposal = answers[1].proposal;
          render();
          renderVersions(answers[2].versions);
          document.body.setAttribute("data-touch-ready", "1");
        })
        .catch(function (error) {
          HS.show($("[data-loading]"), false);
          HS.showError($("[data-error]"), error);
        });
    }

    // -- the editor --
    function lines(text) {
      return text
        .split("\n")
        .map(function (line) {
          return line.trim();
        })
        .filter(Boolean);
    }

    function numberEditor() {
      $$(".touch-editor__phase", $("[data-editor]")).forEach(function (node, i) {
        $("[data-legend]", node).textContent = "Phase " + (i + 1);
      });
    }

    function addEditorPhase(phase) {
      var node = editorTemplate.content.firstElementChild.cloneNode(true);
      if (phase && phase.key) node.setAttribute("data-key", phase.key);
      $("[data-field=name]", node).value = phase ? phase.name : "";
      $("[data-field=in]", node).value = phase ? phase["in"].join("\n") : "";
      $("[data-field=out]", node).value = phase ? phase.out.join("\n") : "";
      $("[data-field=practice]", node).value = phase ? phase.practice : "";
      $("[data-editor]").appendChild(node);
      numberEditor();
      return node;
    }

    $("[data-edit-open]").addEventListener("click", function () {
      $("[data-editor]").textContent = "";
      ladder.phases.forEach(addEditorPhase);
      HS.show($("[data-edit-form]"), true);
      HS.show($("[data-edit-open]"), false);
    });
    $("[data-edit-cancel]").addEventListener("click", function () {
      HS.show($("[data-edit-form]"), false);
      HS.show($("[data-edit-open]"), true);
    });
    $("[data-edit-add]").addEventListener("click", function () {
      $("[data-field=name]", addEditorPhase(null)).focus();
    });
    $("[data-editor]").addEventListener("click", function (event) {
      var button = event.target.closest("button");
      if (!button) return;
      var item = button.closest(".touch-editor__phase");
      if (button.hasAttribute("data-remove")) {
        item.parentNode.removeChild(item);
      } else if (button.hasAttribute("data-move")) {
        if (button.getAttribute("data-move") === "-1" && item.previousElementSibling)
          item.parentNode.insertBefore(item, item.previousElementSibling);
        else if (button.getAttribute("data-move") === "1" && item.nextElementSibling)
          item.parentNode.insertBefore(item.nextElementSibling, item);
      }
      numberEditor();
    });
    $("[data-edit-form]").addEventListener("submit", function (event) {
      event.preventDefault();
      var form = event.target;
      var phases = $$(".touch-editor__phase", $("[data-editor]")).map(function (node) {
        var phase = {
          name: $("[data-field=name]", node).value,
          in: lines($("[data-field=in]", node).value),
          out: lines($("[data-field=out]", node).value),
          practice: $("[data-field=practice]", node).value,
        };
        if (node.getAttribute("data-key")) phase.key = node.getAttribute("data-key");
        return phase;
      });
      act(
        form.querySelector("button[type=submit]"),
        $("[data-edit-error]"),
        HS.api("POST", API + "/proposal", { phases: phases, note: form.elements.note.value })
      ).then(function (answer) {
        if (!answer) return;
        HS.show($("[data-edit-form]"), false);
        HS.show($("[data-edit-open]"), true);
        load();
      });
    });

    document.addEventListener("click", function (event) {
      var button = event.target.closest ? event.target.closest("button") : null;
      if (!button || !proposal) return;
      var body = { proposal_id: proposal.id };
      if (button.hasAttribute("data-proposal-accept")) {
        act(button, $("[data-proposal-error]"), HS.api("POST", API + "/proposal/accept", body)).then(load);
      } else if (button.hasAttribute("data-proposal-decline")) {
        act(button, $("[data-proposal-error]"), HS.api("POST", API + "/proposal/decline", body)).then(load);
      }
    });

    HS.on("*", function (event) {
      if (/^touch\.(proposal|ladder|unlocked|stepped_back)/.test(event.type)) reload();
    });
    HS.on("live.connected", reload);
    load();
  }

  // -- the path -----------------------------------------------------------------------------

  function pathPage() {
    function loadShared() {
      return HS.api("GET", API + "/reflections/shared")
        .then(function (answer) {
          fillList($("[data-shared-lines]"), answer.lines);
          HS.show($("[data-shared-off]"), false);
          HS.show($("[data-shared-empty]"), !answer.lines.length);
        })
        .catch(function (error) {
          fillList($("[data-shared-lines]"), []);
          HS.show($("[data-shared-empty]"), false);
          HS.show($("[data-shared-off]"), error.code === "consent_required");
        });
    }

    function loadMine() {
      return HS.api("GET", API + "/reflections").then(function (answer) {
        var list = $("[data-mine]");
        list.textContent = "";
        answer.reflections.forEach(function (r) {
          var item = el("li", "history__item");
          item.appendChild(
            el("span", "", HS.formatTime(r.created_at) + " · safe " + r.safe + " of 5 · comfortable " + r.comfortable + " of 5")
          );
          if (r.note) item.appendChild(el("p", "muted", r.note));
          list.appendChild(item);
        });
        HS.show($("[data-mine-empty]"), !answer.reflections.length);
      });
    }

    $$("[data-time]").forEach(function (node) {
      var text = HS.formatTime(node.getAttribute("data-time"));
      if (text) node.textContent = text;
    });
    HS.on("consent.changed", loadShared);
    HS.on("consent.revoked", loadShared);
    Promise.all([loadShared(), loadMine()]).then(function () {
      document.body.setAttribute("data-touch-ready", "1");
    });
  }

  var pages = { touch: touchPage, "touch-ladder": ladderPage, "touch-path": pathPage };
  document.addEventListener("DOMContentLoaded", function () {
    var page = pages[document.body.getAttribute("data-page")];
    if (page) page();
  });
})();
