/*
 * Hearthside: the small helpers every page uses, the core's and every plugin's.
 * Loaded by base.html right after hearthside.js (which gives Hearthside.api,
 * .live, .on, .$, .el, ...) and before any page's own script, so a plugin's
 * script uses these instead of keeping its own copy:
 *
 *  - Hearthside.page(name, fn): run fn on the page whose <body data-page> is name;
 *  - Hearthside.pageData(): the JSON the server put in the page (#hs-page-data),
 *    e.g. the values of a Python enum, so the script never keeps its own copy;
 *  - Hearthside.field(form, name), .busy(node, on), .validate(form),
 *    .onValidSubmit(form, errorNode, fn), .sendForm(form, errorNode, send, done),
 *    .act(button, errorNode, promise): forms and buttons;
 *  - Hearthside.loadList(name, path, items, render, errorNode): a list_card's list
 *    (macros/lists.html) from the API;
 *  - Hearthside.formatDay(value, options), .debounce(fn, ms);
 *  - Hearthside.copyText(text), .loadQr(frame, path).
 *
 * Nothing here talks to any other server; text is set with textContent only.
 */
(function () {
  "use strict";

  var HS = window.Hearthside;
  var pages = {};

  /** Register what a page does; it runs once the document is ready, on that page only. */
  HS.page = function (name, fn) {
    pages[name] = fn;
  };

  document.addEventListener("DOMContentLoaded", function () {
    var page = pages[document.body.getAttribute("data-page")];
    if (!page) return;
    page();
    document.body.setAttribute("data-page-script", "ran"); // for tests: the page's own script got this far
  });

  var pageData = null;
  /** What the server handed this page: render_member_page(..., page_data={...}). Never private to anyone else. */
  HS.pageData = function () {
    if (pageData === null) {
      var node = document.getElementById("hs-page-data");
      pageData = node ? JSON.parse(node.textContent) : {};
    }
    return pageData;
  };

  // -- forms -----------------------------------------------------------------------------

  /** A form field's trimmed value, "" when the form has no such field. */
  HS.field = function (form, name) {
    var input = form.elements[name];
    return input ? input.value.trim() : "";
  };

  /** Disable a button (or every control of a form) while a request runs; enable it again after. */
  HS.busy = function (node, on) {
    if (!node) return;
    var controls = /^(BUTTON|INPUT|SELECT|TEXTAREA)$/.test(node.tagName)
      ? [node]
      : HS.$$("button, input, select, textarea", node);
    controls.forEach(function (control) {
      control.disabled = on;
    });
  };

  /**
   * Run an API call from a button: the button is busy meanwhile, a failure is shown in
   * errorNode, and the button is free again either way. Resolves with the answer, or
   * with undefined after a failure (already shown): a following .then(load) re-reads.
   */
  HS.act = function (button, errorNode, promise) {
    HS.busy(button, true);
    HS.showError(errorNode, null);
    return promise
      .catch(function (error) {
        HS.showError(errorNode, error);
        throw error;
      })
      .then(
        function (value) {
          HS.busy(button, false);
          return value;
        },
        function () {
          HS.busy(button, false);
        }
      );
  };

  /** Check the fields the browser can check, with our own calm words; null when all is well. */
  HS.validate = function (form) {
    var invalid = HS.$$("input, select", form).filter(function (node) {
      return !node.hidden && !node.checkValidity();
    })[0];
    if (!invalid) return null;
    var label = form.querySelector('label[for="' + invalid.id + '"]');
    var name = label ? label.textContent.replace(/\s*\(.*\)\s*$/, "") : invalid.name;
    invalid.focus();
    if (invalid.validity.valueMissing) return { message: name + ": please fill this in." };
    if (invalid.validity.tooShort) return { message: name + ": at least " + invalid.minLength + " characters, please." };
    if (invalid.validity.patternMismatch) return { message: name + ": letters, digits, '.', '_' and '-' only." };
    return { message: name + ": " + invalid.validationMessage };
  };

  /** On sending the form: fn(event) when HS.validate finds nothing wrong, else the problem shown in errorNode. */
  HS.onValidSubmit = function (form, errorNode, fn) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var problem = HS.validate(form);
      HS.showError(errorNode, problem);
      if (!problem) fn(event);
    });
  };

  /**
   * A form that sends one request. On submit its [data-success] note hides and the fields
   * are checked (a problem is shown in errorNode); when all is well the form is busy while
   * send() runs, then done(answer) tidies up and returns the words for the success note, or
   * the failure is shown in errorNode. The form is free again either way.
   */
  HS.sendForm = function (form, errorNode, send, done) {
    var note = HS.$("[data-success]", form);
    form.addEventListener("submit", function () {
      HS.show(note, false); // before the check below: an old success note never stands beside a new problem
    });
    HS.onValidSubmit(form, errorNode, function () {
      HS.busy(form, true);
      send()
        .then(function (answer) {
          var words = done(answer);
          if (note && words) {
            note.textContent = words;
            HS.show(note, true);
          }
        })
        .catch(function (failure) {
          HS.showError(errorNode, failure);
        })
        .then(function () {
          HS.busy(form, false);
        });
    });
  };

  // -- lists -----------------------------------------------------------------------------

  /**
   * Load the list of the list_card named name (macros/lists.html): GET path, then show
   * items(answer) one node each from render(item), and its empty line when there are none.
   * Its loading line ([data-<name>-loading], if the page has one) goes either way; a failure
   * is shown in errorNode. Resolves when done, a failure included (it is shown already).
   */
  HS.loadList = function (name, path, items, render, errorNode) {
    var list = HS.$("[data-" + name + "]");
    var loading = HS.$("[data-" + name + "-loading]");
    return HS.api("GET", path)
      .then(function (answer) {
        var shown = items(answer);
        HS.show(loading, false);
        list.textContent = "";
        shown.forEach(function (item) {
          list.appendChild(render(item));
        });
        HS.show(HS.$("[data-" + name + "-empty]"), !shown.length);
      })
      .catch(function (failure) {
        HS.show(loading, false);
        HS.showError(errorNode, failure);
      });
  };

  // -- time ------------------------------------------------------------------------------

  var DAY_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;

  /**
   * A day for people: "Saturday, 23 November" by default (options as for
   * toLocaleDateString). "YYYY-MM-DD" is that day wherever the browser is;
   * a full timestamp is its day in the browser's zone. Anything else comes back as given.
   */
  HS.formatDay = function (value, options) {
    var parts = DAY_ONLY.exec(String(value || ""));
    var when = parts ? new Date(Number(parts[1]), Number(parts[2]) - 1, Number(parts[3])) : new Date(value);
    if (isNaN(when.getTime())) return value || "";
    return when.toLocaleDateString([], options || { weekday: "long", day: "numeric", month: "long" });
  };

  /** fn once calls have stopped for ms milliseconds (e.g. re-reading after a burst of live events). */
  HS.debounce = function (fn, ms) {
    var timer = null;
    return function () {
      clearTimeout(timer);
      timer = setTimeout(fn, ms);
    };
  };

  // -- codes and links -------------------------------------------------------------------

  HS.copyText = function (text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    // Plain http on the home network has no clipboard API: select a hidden field instead.
    var area = HS.el("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "visually-hidden";
    document.body.appendChild(area);
    area.select();
    var ok = false;
    try {
      ok = document.execCommand("copy");
    } catch (e) {
      ok = false;
    }
    document.body.removeChild(area);
    return ok ? Promise.resolve() : Promise.reject(new Error("copy"));
  };

  /** Fetch one of our QR codes (inline SVG made by the server) into a frame. */
  HS.loadQr = function (frame, path) {
    frame.textContent = "";
    return fetch(path, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (!response.ok) throw new Error("qr");
        return response.text();
      })
      .then(function (svg) {
        // Our own server's segno output, not user text. DOMParser never runs
        // scripts; only the <svg> element is taken over.
        var node = new DOMParser().parseFromString(svg, "text/html").querySelector("svg");
        if (!node) throw new Error("qr");
        frame.appendChild(document.importNode(node, true));
      })
      .catch(function () {
        frame.appendChild(HS.el("p", "hint", "The QR code could not be shown; the code and link work just as well."));
      });
  };
})();
