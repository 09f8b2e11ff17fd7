/*
 * Hearthside: the admin page - invite a new couple, download a sealed backup.
 */
(function () {
  "use strict";

  var HS = window.Hearthside, $ = HS.$, $$ = HS.$$, el = HS.el;

  function attachmentName(response) {
    var match = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "");
    return match ? match[1] : "hearthside-backup.hsb";
  }

  /** POST for a file: the bundle arrives as a blob and is saved through a temporary link. */
  function downloadBackup(passphrase, retried) {
    return fetch("/api/v1/admin/backups", {
      method: "POST",
      credentials: "same-origin",
      cache: "no-store",
      headers: { Accept: "application/json", "Content-Type": "application/json", "X-CSRF-Token": HS.csrf || "" },
      body: JSON.stringify(passphrase ? { passphrase: passphrase } : {}),
    }).then(function (response) {
      if (response.ok) {
        return response.blob().then(function (blob) {
          var link = el("a");
          link.href = URL.createObjectURL(blob);
          link.download = attachmentName(response);
          document.body.appendChild(link);
          link.click();
          document.body.removeChild(link);
          setTimeout(function () {
            URL.revokeObjectURL(link.href);
          }, 60000);
          return link.download;
        });
      }
      return response.json().catch(function () {
        return null;
      }).then(function (data) {
        var error = (data && data.error) || {};
        if (error.code === "csrf_failed" && !retried) {
          return HS.refreshCsrf().then(function () {
            return downloadBackup(passphrase, true);
          });
        }
        throw new Error(error.message || "The backup could not be made (" + response.status + "). Please try again.");
      });
    });
  }

  function backupForm(form) {
    var error = $("[data-error]", form);
    var success = $("[data-success]", form);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var problem = HS.validate(form);
      HS.showError(error, problem);
      HS.show(success, false);
      if (problem) return;
      var field = $("#backup-passphrase", form);
      HS.busy(form, true);
      downloadBackup(field.value)
        .then(function (name) {
          field.value = "";
          success.textContent = "Saved " + name + ". Keep it where only the two of you can reach it.";
          HS.show(success, true);
        })
        .catch(function (failure) {
          HS.showError(error, failure);
        })
        .then(function () {
          HS.busy(form, false);
        });
    });
  }

  HS.page("admin", function () {
    $$("[data-invite]").forEach(HS.inviteWidget);
    var form = $("[data-backup-download]");
    if (form && !$("button", form).disabled) backupForm(form);
  });
})();
