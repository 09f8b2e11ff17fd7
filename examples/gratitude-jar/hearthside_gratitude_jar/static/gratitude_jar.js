/*
 * The gratitude jar page: write a note, see your own, see what was drawn.
 * Everything goes through /api/v1/gratitude_jar with Hearthside.api (the
 * session cookie and the CSRF header); text is set with textContent only.
 * Live events gratitude_jar.* and consent changes re-read the page's data.
 */
(function () {
  "use strict";

  var HS = window.Hearthside, $ = HS.$, el = HS.el;
  var API = "/api/v1/gratitude_jar";

  // The shared helpers (hearthside-kit.js): run on this page only; days as "Saturday, 23 November".
  HS.page("gratitude-jar", function () {
    function row(text, detail, action) {
      var item = el("li", "row");
      var main = el("div", "row__main");
      main.appendChild(el("p", "row__title gj-note", text));
      if (detail) main.appendChild(el("p", "row__detail", detail));
      item.appendChild(main);
      if (action) item.appendChild(action);
      return item;
    }

    function takeBackButton(note) {
      var button = el("button", "button button--quiet button--small", "Take back");
      button.type = "button";
      button.addEventListener("click", function () {
        HS.busy(button, true);
        HS.api("DELETE", API + "/notes/" + note.id)
          .then(function () {
            HS.toast("Taken back.");
            load();
          })
          .catch(function (error) {
            HS.busy(button, false);
            HS.showError($("[data-gj-mine-error]"), error);
          });
      });
      return button;
    }

    function showMine(data) {
      var list = $("[data-gj-mine]");
      list.textContent = "";
      data.notes.forEach(function (note) {
        var detail = note.drawn_on ? "Drawn on " + HS.formatDay(note.drawn_on) : "In the jar";
        list.appendChild(row(note.text, detail, takeBackButton(note)));
      });
      HS.show($("[data-gj-mine-empty]"), data.notes.length === 0);
      HS.show($("[data-gj-off]"), !data.drawing);
      var schedule = $("[data-gj-schedule]");
      schedule.textContent = "A note is drawn each evening from " + data.draw_hour + ":00.";
      HS.show(schedule, data.drawing);
    }

    function showDrawn(data) {
      var list = $("[data-gj-drawn]");
      list.textContent = "";
      (data ? data.drawn : []).forEach(function (note) {
        list.appendChild(row(note.text, HS.formatDay(note.drawn_on) + (note.mine ? " · yours" : " · from your partner")));
      });
      HS.show($("[data-gj-drawn-empty]"), !!data && data.drawn.length === 0);
    }

    function load() {
      HS.showError($("[data-gj-mine-error]"), null);
      HS.showError($("[data-gj-drawn-error]"), null);
      return HS.api("GET", API + "/notes")
        .then(function (data) {
          HS.show($("[data-gj-loading]"), false);
          showMine(data);
          if (!data.drawing) return showDrawn(null);
          return HS.api("GET", API + "/drawn").then(showDrawn);
        })
        .catch(function (error) {
          HS.show($("[data-gj-loading]"), false);
          if (error.code === "consent_required") return showDrawn(null);
          HS.showError($("[data-gj-mine-error]"), error);
        });
    }

    var form = $("[data-gj-form]");
    var textarea = form.elements.text;
    textarea.addEventListener("input", function () {
      $("[data-gj-count]").textContent = String(textarea.value.length);
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var errorNode = $("[data-gj-form-error]");
      if (!textarea.value.trim()) {
        HS.showError(errorNode, { message: "Write one thing you appreciate first." });
        textarea.focus();
        return;
      }
      var button = form.querySelector("button[type=submit]");
      HS.busy(button, true);
      HS.showError(errorNode, null);
      HS.api("POST", API + "/notes", { text: textarea.value })
        .then(function () {
          form.reset();
          $("[data-gj-count]").textContent = "0";
          HS.toast("In the jar. Only you can read it until it is drawn.");
          return load();
        })
        .catch(function (error) {
          HS.showError(errorNode, error);
        })
        .then(function () {
          HS.busy(button, false);
        });
    });

    HS.on("*", function (event) {
      if (/^gratitude_jar\./.test(event.type) || /^consent\./.test(event.type)) load();
    });
    load();
  });
})();
