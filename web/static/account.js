/*
 * Hearthside: the account page - password, sign-ins, the member's own data:
 * download it, or forget it.
 */
(function () {
  "use strict";

  var HS = window.Hearthside, $ = HS.$, $$ = HS.$$, el = HS.el;

  // -- account ----------------------------------------------------------------------------

  HS.page("account", function () {
    var tokensError = $("[data-tokens-error]");

    function renderToken(token) {
      var row = el("li", "row");
      var main = el("div", "row__main");
      var title = token.name + (token.current ? " (this browser)" : "");
      main.appendChild(el("p", "row__title", title));
      var kind = token.kind === "session" ? "Browser" : "App or script";
      var detail = kind + " · since " + HS.formatTime(token.created_at);
      if (token.last_used_at) detail += " · last used " + HS.formatTime(token.last_used_at);
      main.appendChild(el("p", "row__detail", detail));
      row.appendChild(main);
      if (!token.current) {
        var revoke = el("button", "button button--quiet button--small", "Sign out");
        revoke.type = "button";
        revoke.addEventListener("click", function () {
          HS.act(revoke, tokensError, HS.api("DELETE", "/api/v1/tokens/" + encodeURIComponent(token.id))).then(load);
        });
        row.appendChild(revoke);
      }
      return row;
    }

    function load() {
      return HS.loadList("tokens", "/api/v1/tokens", function (data) {
        return data.tokens || [];
      }, renderToken, tokensError);
    }

    var form = $("[data-password-form]");
    HS.sendForm(form, $("[data-error]", form), function () {
      return HS.api("PUT", "/api/v1/me/password", {
        current_password: form.elements.current_password.value,
        new_password: form.elements.new_password.value,
      });
    }, function () {
      form.reset();
      load();
      return "Your password is changed. Other browsers and apps have been signed out.";
    });

    $("[data-signout]").addEventListener("click", function () {
      HS.api("DELETE", "/api/v1/auth/session")
        .catch(function () {})
        .then(function () {
          window.location.href = "/signin";
        });
    });

    load();
    forgetMe($("[data-forget]"));
  });

  /**
   * "Forget me" in three steps, so nothing is deleted by one slip: open the
   * form, type the phrase and the password (checked here, with our words),
   * then "Yes, forget my data" calls POST /api/v1/me/forget. The typed phrase
   * is compared without regard to case (phones capitalise the first letter);
   * the API gets it as it expects it. Errors stay next to the form.
   */
  function forgetMe(root) {
    if (!root) return;
    var start = $("[data-forget-start]", root);
    var form = $("[data-forget-form]", root);
    var error = $("[data-error]", form);
    var next = $("[data-forget-next]", form);
    var final = $("[data-forget-final]", form);
    var done = $("[data-forget-done]", root);
    var phrase = form.getAttribute("data-phrase");

    function step(confirming) {
      HS.show(next, !confirming);
      HS.show(final, confirming);
      if (confirming) $("[data-forget-confirm]", form).focus();
    }

    function close() {
      form.reset();
      HS.showError(error, null);
      step(false);
      form.hidden = true;
      start.hidden = false;
      start.setAttribute("aria-expanded", "false");
      start.focus();
    }

    start.addEventListener("click", function () {
      form.hidden = false;
      done.hidden = true;
      start.hidden = true;
      start.setAttribute("aria-expanded", "true");
      form.elements.confirm.focus();
    });
    $$("[data-forget-cancel]", form).forEach(function (button) {
      button.addEventListener("click", close);
    });

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var problem = HS.validate(form);
      if (!problem && HS.field(form, "confirm").toLowerCase() !== phrase) {
        problem = { message: "Type “" + phrase + "” exactly, so we know you mean it. Nothing was deleted." };
        form.elements.confirm.focus();
      }
      HS.showError(error, problem);
      if (!problem) step(true);
    });

    $("[data-forget-confirm]", form).addEventListener("click", function () {
      HS.busy(form, true);
      HS.api("POST", "/api/v1/me/forget", { confirm: phrase, password: form.elements.password.value })
        .then(function (answer) {
          close();
          showForgotten(done, answer.plugins || [], root);
        })
        .catch(function (failure) {
          step(false);
          HS.showError(error, failure);
          if (failure.code === "wrong_password") {
            form.elements.password.value = "";
            form.elements.password.focus();
          }
        })
        .then(function () {
          HS.busy(form, false);
        });
    });
  }

  /** The file name the server gave an attachment, or a plain default. */
  /** What was cleared, by the titles the page listed for the parts the API says took part. */
  function showForgotten(node, plugins, root) {
    node.textContent = "";
    node.appendChild(el("p", "", "Done. Hearthside forgot what you wrote that was yours alone:"));
    var list = el("ul", "plain-list");
    plugins.forEach(function (name) {
      var part = root.querySelector('[data-forget-part="' + String(name).replace(/["\\]/g, "") + '"]');
      list.appendChild(el("li", "", part ? part.getAttribute("data-title") : name));
    });
    list.appendChild(el("li", "", "The notices only you could see"));
    node.appendChild(list);
    node.appendChild(el("p", "", "Your account stays: you are still signed in and can keep using Hearthside."));
    node.hidden = false;
    node.focus();
  }
})();
