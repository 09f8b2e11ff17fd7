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
    var field = $("#backup-passphrase", form);
    HS.sendForm(form, $("[data-error]", form), function () {
      return downloadBackup(field.value);
    }, function (name) {
      field.value = "";
      return "Saved " + name + ". Keep it where only the two of you can reach it.";
    });
  }

  HS.page("admin", function () {
    $$("[data-invite]").forEach(HS.inviteWidget);
    var form = $("[data-backup-download]");
    if (form && !$("button", form).disabled) backupForm(form);
  });
})();
