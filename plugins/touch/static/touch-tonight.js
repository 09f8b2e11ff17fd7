/*
 * Closeness: tonight's plan and the traffic light during a session (page /touch).
 * Uses touch.js's helpers (Hearthside.touch).
 */
(function () {
  "use strict";

  var HS = window.Hearthside, $ = HS.$, $$ = HS.$$, el = HS.el, T = HS.touch;
  var API = T.API, LIGHT_TEXT = T.LIGHT_TEXT, fillList = T.fillList, plannedTime = T.plannedTime;

  // -- tonight and the session ------------------------------------------------------

  HS.page("touch", function () {
    var data = null;
    var reload = HS.debounce(load, 150);

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
        HS.act(button, $("[data-session-error]"), HS.api("POST", API + "/session/signal", { signal: light })).then(
          function (answer) {
            if (!answer) return;
            if (answer.pause && answer.pause.active) HS.applyPause(answer.pause);
            data.current = { session: answer.session, signals: answer.signals };
            renderSession(data.current);
            reload();
          }
        );
      } else if (button.hasAttribute("data-session-start")) {
        HS.act(button, $("[data-start-error]"), HS.api("POST", API + "/session", {})).then(load);
      } else if (button.hasAttribute("data-start-planned")) {
        var id = parseInt(button.getAttribute("data-start-planned"), 10);
        HS.act(button, $("[data-plan-error]"), HS.api("POST", API + "/session", { session_id: id })).then(load);
      } else if (button.hasAttribute("data-cancel-planned")) {
        var cancelId = parseInt(button.getAttribute("data-cancel-planned"), 10);
        HS.act(button, $("[data-plan-error]"), HS.api("POST", API + "/sessions/cancel", { session_id: cancelId })).then(
          load
        );
      } else if (button.hasAttribute("data-session-end")) {
        HS.act(button, $("[data-session-error]"), HS.api("DELETE", API + "/session")).then(load);
      } else if (button.hasAttribute("data-reflect-later")) {
        reflectLater = data.reflection_due ? data.reflection_due.id : null;
        renderReflect();
      } else if (button.hasAttribute("data-ready")) {
        HS.act(button, $("[data-steps-error]"), HS.api("PUT", API + "/ready")).then(function (answer) {
          if (answer && answer.unlocked_now) HS.toast("You were both ready: " + answer.unlocked.name + " is open.");
          load();
        });
      } else if (button.hasAttribute("data-ready-undo")) {
        HS.act(button, $("[data-steps-error]"), HS.api("DELETE", API + "/ready")).then(load);
      } else if (button.hasAttribute("data-step-back")) {
        HS.act(button, $("[data-steps-error]"), HS.api("POST", API + "/step-back")).then(function (answer) {
          if (answer) HS.toast("Stepped back to " + answer.unlocked.name + ". Take all the time you need.");
          load();
        });
      }
    });

    $("[data-ceiling-form]").addEventListener("submit", function (event) {
      event.preventDefault();
      var form = event.target;
      HS.show($("[data-ceiling-saved]"), false);
      HS.act(
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
      HS.act(form.querySelector("button[type=submit]"), $("[data-plan-error]"), HS.api("POST", API + "/sessions", body)).then(
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
      HS.act(form.querySelector("button[type=submit]"), $("[data-reflect-error]"), HS.api("PUT", API + "/reflections", body)).then(
        function (answer) {
          if (!answer) return;
          form.reset();
          HS.toast("Kept. Only you can see it.");
          load();
        }
      );
    });

    load();
  });
})();
