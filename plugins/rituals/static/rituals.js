/*
 * Hearthside rituals: the pages' behaviour. One function per page, picked by
 * <body data-page="rituals-...">. Every change goes through the JSON API
 * (Hearthside.api, with the CSRF header); live events keep the pages fresh.
 * Text from the API is always set with textContent, never parsed as HTML.
 * Check-in answers of others are only ever fetched from the reveal endpoint,
 * which checks the reveal and the consent each time.
 */
(function () {
  "use strict";

  var HS = window.Hearthside;
  var $ = HS.$;
  var $$ = HS.$$;
  var el = HS.el;
  var API = "/api/v1/rituals";
  var pages = {};

  function body() {
    return document.body;
  }

  function occurrencePath(ritualId, key) {
    return API + "/" + encodeURIComponent(ritualId) + "/occurrences/" + encodeURIComponent(key);
  }

  /** Reload the page a moment after a change, unless the member is typing. */
  var reloadTimer = null;
  function reloadSoon(force) {
    clearTimeout(reloadTimer);
    reloadTimer = setTimeout(function () {
      var active = document.activeElement;
      var typing = active && /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName) && active.closest("form");
      if (!force && (typing || document.querySelector("form[data-dirty]"))) return;
      window.location.reload();
    }, 300);
  }

  function onRitualEvents(handler) {
    HS.on("*", function (event) {
      if (event.type && event.type.indexOf("rituals.") === 0 && event.type !== "rituals.wall_refresh") handler(event);
    });
  }

  // -- lists: upcoming, week, month -----------------------------------------------------

  pages["rituals-list"] = pages["rituals-week"] = pages["rituals-month"] = function () {
    onRitualEvents(function (event) {
      if (event.visibility !== "private") reloadSoon();
    });
  };

  // -- one ritual -------------------------------------------------------------------------

  pages["rituals-ritual"] = function () {
    var ritualId = body().getAttribute("data-ritual-id");
    var error = $("[data-error]");

    $$("[data-set-status]").forEach(function (button) {
      button.addEventListener("click", function () {
        button.disabled = true;
        HS.api("PATCH", API + "/" + ritualId, { status: button.getAttribute("data-set-status") })
          .then(function () {
            reloadSoon(true);
          })
          .catch(function (failure) {
            button.disabled = false;
            HS.showError(error, failure);
          });
      });
    });

    var form = $("[data-reminders-form]");
    if (form) {
      form.addEventListener("change", function () {
        var offsets = $$("input[name=offset]", form)
          .filter(function (box) {
            return box.checked;
          })
          .map(function (box) {
            return parseInt(box.value, 10);
          });
        HS.api("PUT", API + "/" + ritualId + "/reminders", { offsets: offsets })
          .then(function () {
            HS.showError($("[data-reminders-error]"), null);
            HS.show($("[data-reminders-saved]"), true);
          })
          .catch(function (failure) {
            HS.showError($("[data-reminders-error]"), failure);
          });
      });
    }

    onRitualEvents(function (event) {
      var payload = event.payload || {};
      if (event.visibility !== "private" && String(payload.ritual_id) === ritualId) reloadSoon();
    });
  };

  // -- the editor ----------------------------------------------------------------------------

  var WEEKDAYS = ["SU", "MO", "TU", "WE", "TH", "FR", "SA"];
  var ORDINALS = { 1: "first", 2: "second", 3: "third", 4: "fourth", "-1": "last" };
  var DAY_NAMES = { MO: "Monday", TU: "Tuesday", WE: "Wednesday", TH: "Thursday", FR: "Friday", SA: "Saturday", SU: "Sunday" };

  function parseRule(rule) {
    var parts = {};
    (rule || "").split(";").forEach(function (chunk) {
      var pair = chunk.split("=");
      if (pair.length === 2) parts[pair[0]] = pair[1];
    });
    return parts;
  }

  /** The weekday of a date as "2SU" (second Sunday) or "-1SU" (last Sunday). */
  function nthWeekday(dateText) {
    var day = new Date(dateText + "T12:00:00");
    if (isNaN(day.getTime())) return null;
    var code = WEEKDAYS[day.getDay()];
    var monthDays = new Date(day.getFullYear(), day.getMonth() + 1, 0).getDate();
    var nth = day.getDate() + 7 > monthDays ? -1 : Math.floor((day.getDate() - 1) / 7) + 1;
    return { rule: nth + code, text: "On the " + ORDINALS[nth] + " " + DAY_NAMES[code] + " of every month." };
  }

  function repeatFromRule(rule) {
    if (!rule) return "none";
    var parts = parseRule(rule);
    var keys = Object.keys(parts).filter(function (k) {
      return k !== "FREQ" && k !== "INTERVAL" && k !== "BYDAY" && k !== "BYMONTHDAY";
    });
    if (keys.length) return "custom";
    if (parts.FREQ === "DAILY" && !parts.BYDAY && !parts.INTERVAL) return "daily";
    if (parts.FREQ === "WEEKLY" && !parts.BYMONTHDAY) return "weekly";
    if (parts.FREQ === "MONTHLY" && !parts.INTERVAL && /^-?\d[A-Z]{2}$/.test(parts.BYDAY || "")) return "monthly_weekday";
    if (parts.FREQ === "MONTHLY" && !parts.INTERVAL && !parts.BYDAY) return "monthly_date";
    if (parts.FREQ === "YEARLY" && Object.keys(parts).length === 1) return "yearly";
    return "custom";
  }

  pages["rituals-edit"] = function () {
    var form = $("[data-ritual-form]");
    var draft = JSON.parse($("#rit-draft").textContent);
    var ritualId = form.getAttribute("data-ritual-id");
    var error = $("[data-error]", form);
    var repeat = form.elements.repeat;
    var promptList = $("[data-prompts]");

    function addPrompt(prompt) {
      var node = $("#prompt-template").content.firstElementChild.cloneNode(true);
      $("[data-prompt-text]", node).value = prompt.text || "";
      $("[data-prompt-kind]", node).value = prompt.kind || "text";
      if (prompt.id) node.setAttribute("data-prompt-id", prompt.id);
      $("[data-remove-prompt]", node).addEventListener("click", function () {
        node.parentNode.removeChild(node);
      });
      promptList.appendChild(node);
      return node;
    }

    function updateRepeat() {
      var value = repeat.value;
      HS.show($("[data-repeat-weekly]"), value === "weekly");
      HS.show($("[data-repeat-custom]"), value === "custom");
      var weekdayText = $("[data-repeat-weekday-text]");
      var nth = nthWeekday(form.elements.date.value);
      weekdayText.textContent = nth ? nth.text : "";
      HS.show(weekdayText, value === "monthly_weekday" && !!nth);
    }

    function ruleFromForm() {
      var value = repeat.value;
      if (value === "none") return null;
      if (value === "daily") return "FREQ=DAILY";
      if (value === "yearly") return "FREQ=YEARLY";
      if (value === "monthly_date") return "FREQ=MONTHLY";
      if (value === "monthly_weekday") {
        var nth = nthWeekday(form.elements.date.value);
        return "FREQ=MONTHLY;BYDAY=" + (nth ? nth.rule : "1SU");
      }
      if (value === "weekly") {
        var days = $$("input[name=byday]", form)
          .filter(function (box) {
            return box.checked;
          })
          .map(function (box) {
            return box.value;
          });
        var interval = parseInt(form.elements.interval.value, 10) || 1;
        var rule = "FREQ=WEEKLY";
        if (interval > 1) rule += ";INTERVAL=" + interval;
        if (days.length) rule += ";BYDAY=" + days.join(",");
        return rule;
      }
      return form.elements.rrule.value.trim();
    }

    // Fill the controls from the draft.
    repeat.value = repeatFromRule(draft.rrule);
    var parts = parseRule(draft.rrule);
    form.elements.rrule.value = draft.rrule || "";
    form.elements.interval.value = parts.INTERVAL || "1";
    var days = (parts.BYDAY || "").split(",");
    $$("input[name=byday]", form).forEach(function (box) {
      box.checked = days.indexOf(box.value) >= 0;
    });
    if (promptList) {
      (draft.prompts || []).forEach(addPrompt);
      $("[data-add-prompt]").addEventListener("click", function () {
        $("[data-prompt-text]", addPrompt({ text: "", kind: "text" })).focus();
      });
    }
    /** A weekly ritual on one day follows the first date when it changes (a Tuesday start: Tuesdays). */
    function followDate() {
      var boxes = $$("input[name=byday]", form);
      var checked = boxes.filter(function (box) {
        return box.checked;
      });
      var day = new Date(form.elements.date.value + "T12:00:00");
      if (repeat.value === "weekly" && checked.length <= 1 && !isNaN(day.getTime())) {
        boxes.forEach(function (box) {
          box.checked = box.value === WEEKDAYS[day.getDay()];
        });
      }
      updateRepeat();
    }

    repeat.addEventListener("change", updateRepeat);
    form.elements.date.addEventListener("change", followDate);
    form.elements.date.addEventListener("input", followDate);
    updateRepeat();

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var data = {
        title: form.elements.title.value.trim(),
        description: form.elements.description.value.trim(),
        location: form.elements.location.value.trim(),
        start: form.elements.date.value + "T" + form.elements.time.value,
        duration_minutes: parseInt(form.elements.duration_minutes.value, 10),
        rrule: ruleFromForm(),
        participants: $$("input[name=participants]", form)
          .filter(function (box) {
            return box.checked;
          })
          .map(function (box) {
            return parseInt(box.value, 10);
          }),
      };
      if (!data.title) return HS.showError(error, { message: "Give the ritual a title." });
      if (!form.elements.date.value || !form.elements.time.value)
        return HS.showError(error, { message: "Choose the first date and a time." });
      if (!data.participants.length) return HS.showError(error, { message: "Choose who takes part." });
      if (promptList) {
        data.prompts = $$(".rit-prompt", promptList)
          .map(function (node) {
            var prompt = { text: $("[data-prompt-text]", node).value.trim(), kind: $("[data-prompt-kind]", node).value };
            if (node.getAttribute("data-prompt-id")) prompt.id = node.getAttribute("data-prompt-id");
            return prompt;
          })
          .filter(function (prompt) {
            return prompt.text;
          });
      }
      if (!ritualId) data.template = draft.kind;
      var button = $("button[type=submit]", form);
      button.disabled = true;
      var request = ritualId ? HS.api("PATCH", API + "/" + ritualId, data) : HS.api("POST", API, data);
      request
        .then(function (ritual) {
          window.location.href = "/rituals/" + encodeURIComponent(ritual.id);
        })
        .catch(function (failure) {
          button.disabled = false;
          HS.showError(error, failure);
        });
    });
  };

  // -- one occurrence: marking, moving, the check-in and homework ----------------------------------

  pages["rituals-occurrence"] = function () {
    var ritualId = body().getAttribute("data-ritual-id");
    var key = body().getAttribute("data-occurrence-key");
    var base = occurrencePath(ritualId, key);
    var markError = $("[data-error-mark]");

    $$("[data-mark]").forEach(function (button) {
      button.addEventListener("click", function () {
        button.disabled = true;
        HS.api("PUT", base + "/status", { status: button.getAttribute("data-mark") })
          .then(function () {
            reloadSoon(true);
          })
          .catch(function (failure) {
            button.disabled = false;
            HS.showError(markError, failure);
          });
      });
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
  };

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

  // -- my settings: quiet hours and the calendar feed ------------------------------------------------

  pages["rituals-settings"] = function () {
    var quiet = $("[data-quiet-form]");
    quiet.addEventListener("submit", function (event) {
      event.preventDefault();
      var value = quiet.elements.enabled.checked ? { start: quiet.elements.start.value, end: quiet.elements.end.value } : null;
      HS.api("PUT", API + "/settings", { quiet_hours: value })
        .then(function () {
          HS.showError($("[data-error]", quiet), null);
          HS.show($("[data-saved]", quiet), true);
        })
        .catch(function (failure) {
          HS.showError($("[data-error]", quiet), failure);
        });
    });

    var feedError = $("[data-feed-error]");
    var link = $("[data-feed-link]");
    var url = "";
    $("[data-feed-new]").addEventListener("click", function (event) {
      var button = event.target;
      button.disabled = true;
      HS.api("POST", API + "/feed")
        .then(function (data) {
          url = data.url;
          var anchor = $("[data-feed-url]");
          anchor.textContent = data.url;
          anchor.href = data.webcal_url;
          link.hidden = false;
          $("[data-feed-status]").textContent = "Your calendar link is on.";
          button.textContent = "Replace the link";
          HS.show($("[data-feed-off]"), true);
          HS.showError(feedError, null);
        })
        .catch(function (failure) {
          HS.showError(feedError, failure);
        })
        .then(function () {
          button.disabled = false;
        });
    });
    $("[data-feed-off]").addEventListener("click", function (event) {
      HS.api("DELETE", API + "/feed")
        .then(function () {
          link.hidden = true;
          $("[data-feed-status]").textContent = "Your calendar link is off.";
          $("[data-feed-new]").textContent = "Make a calendar link";
          HS.show(event.target, false);
        })
        .catch(function (failure) {
          HS.showError(feedError, failure);
        });
    });
    $("[data-feed-copy]").addEventListener("click", function () {
      var done = function () {
        HS.toast("Link copied.");
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(url).then(done, function () {
          HS.toast("Couldn't copy here; press and hold the link instead.");
        });
      } else {
        HS.toast("Press and hold the link to copy it.");
      }
    });
  };

  document.addEventListener("DOMContentLoaded", function () {
    var page = body().getAttribute("data-page");
    if (pages[page]) pages[page]();
  });
})();
