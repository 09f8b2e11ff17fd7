/*
 * Rituals: the editor (new ritual, or change one), with the repeat rule in words.
 * Uses rituals.js's helpers (Hearthside.rituals).
 */
(function () {
  "use strict";

  var HS = window.Hearthside, $ = HS.$, $$ = HS.$$, el = HS.el, R = HS.rituals;
  var API = R.API;

  // -- the editor ----------------------------------------------------------------------------

  // The server's own names (recurrence.py), as page data: the codes Monday first, their names, the ordinals.
  var CODES = HS.pageData().weekday_codes;
  var DAY_NAMES = HS.pageData().weekdays;
  var ORDINALS = HS.pageData().ordinals;

  /** A date's weekday as the rule writes it ("MO"); getDay() counts from Sunday. */
  function weekdayCode(day) {
    return CODES[(day.getDay() + 6) % 7];
  }

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
    var code = weekdayCode(day);
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

  HS.page("rituals-edit", function () {
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
          box.checked = box.value === weekdayCode(day);
        });
      }
      updateRepeat();
    }

    repeat.addEventListener("change", updateRepeat);
    form.elements.date.addEventListener("change", followDate);
    form.elements.date.addEventListener("input", followDate);
    // A date typed before this script ran (a slow phone) missed the listeners: follow it now.
    if (form.elements.date.value !== form.elements.date.defaultValue) followDate();
    else updateRepeat();

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
  });
})();
