/*
 * Hearthside: the pages before signing in - welcome (the first member), join
 * (through an invite) and sign in. Everything goes through the JSON API.
 */
(function () {
  "use strict";

  var HS = window.Hearthside, $ = HS.$, $$ = HS.$$, el = HS.el;

  function pickBrowserTimeZone(select) {
    if (!select) return;
    var zone = "";
    try {
      zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    } catch (e) {
      zone = "";
    }
    if (zone && select.querySelector('option[value="' + zone.replace(/"/g, "") + '"]')) select.value = zone;
  }

  function signIn(username, password) {
    return HS.api("POST", "/api/v1/auth/session", { username: username, password: password }).then(function (data) {
      if (data && data.csrf_token) HS.csrf = data.csrf_token;
      else return HS.refreshCsrf();
    });
  }
  /** Just after the account was made: sign in and go on (to the sign-in page, should that fail). */
  function signInAndGo(username, password, where) {
    return signIn(username, password).then(
      function () {
        window.location.href = where;
      },
      function () {
        window.location.href = "/signin";
      }
    );
  }

  // -- welcome: the first member ------------------------------------------------

  HS.page("welcome", function () {
    var form = $("[data-welcome-form]");
    var error = $("[data-error]", form);
    pickBrowserTimeZone($("[data-time-zone]", form));
    HS.onValidSubmit(form, error, function () {
      var username = HS.field(form, "username");
      var password = form.elements.password.value;
      HS.busy(form, true);
      HS.api("POST", "/api/v1/onboarding", {
        couple: { name: HS.field(form, "couple_name"), time_zone: form.elements.time_zone.value },
        member: { username: username, password: password, display_name: HS.field(form, "display_name") },
      })
        .then(function () {
          return signInAndGo(username, password, "/invite?welcome=1");
        })
        .catch(function (failure) {
          if (failure.code === "already_onboarded") {
            window.location.href = "/signin";
            return;
          }
          HS.showError(error, failure);
          HS.busy(form, false);
        });
    });
  });

  // -- join: the partner (or a new couple) through an invite ------------------------

  HS.page("join", function () {
    var form = $("[data-join-form]");
    if (!form) return;
    var error = $("[data-error]", form);
    pickBrowserTimeZone($("[data-time-zone]", form));
    HS.onValidSubmit(form, error, function () {
      var username = HS.field(form, "username");
      var password = form.elements.password.value;
      var body = { username: username, password: password, display_name: HS.field(form, "display_name") };
      if (form.elements.time_zone) {
        body.couple = { time_zone: form.elements.time_zone.value };
        if (HS.field(form, "couple_name")) body.couple.name = HS.field(form, "couple_name");
      }
      HS.busy(form, true);
      var code = encodeURIComponent(form.getAttribute("data-code"));
      HS.api("POST", "/api/v1/invites/" + code + "/accept", body)
        .then(function () {
          return signInAndGo(username, password, "/");
        })
        .catch(function (failure) {
          HS.showError(error, failure);
          HS.busy(form, false);
        });
    });
  });

  // -- sign in ------------------------------------------------------------------------

  HS.page("signin", function () {
    var form = $("[data-signin-form]");
    var error = $("[data-error]", form);
    HS.onValidSubmit(form, error, function () {
      HS.busy(form, true);
      signIn(HS.field(form, "username"), form.elements.password.value)
        .then(function () {
          var next = form.getAttribute("data-next") || "/";
          window.location.href = next.charAt(0) === "/" && next.charAt(1) !== "/" ? next : "/";
        })
        .catch(function (failure) {
          HS.showError(error, failure);
          HS.busy(form, false);
          form.elements.password.focus();
        });
    });
  });
})();
