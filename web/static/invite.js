/*
 * Hearthside: inviting the partner (or a new couple, from the admin page) and the
 * invites still open. Hearthside.inviteWidget is shared with the admin page.
 */
(function () {
  "use strict";

  var HS = window.Hearthside, $ = HS.$, $$ = HS.$$, el = HS.el;

  // -- invites (the partner, or a new couple from the admin page) ----------------------

  var inviteWidget = (HS.inviteWidget = function (root) {
    var box = $("[data-invite-box]", root);
    var error = $("[data-error]", root);
    var button = $("[data-invite-create]", root);
    var link = "";

    function create() {
      button.disabled = true;
      HS.api("POST", root.getAttribute("data-endpoint"))
        .then(function (data) {
          HS.showError(error, null);
          link = window.location.origin + "/join/" + encodeURIComponent(data.code);
          $("[data-invite-code]", box).textContent = data.code;
          var anchor = $("[data-invite-link]", box);
          anchor.textContent = link;
          anchor.href = link;
          if (data.expires_in_hours) {
            var days = Math.round(data.expires_in_hours / 24);
            $("[data-invite-expiry]", box).textContent =
              "The code works once and expires in " +
              (data.expires_in_hours < 48 ? data.expires_in_hours + " hours." : days + " days.");
          }
          box.hidden = false;
          button.textContent = "Make a new code";
          root.dispatchEvent(new CustomEvent("hearthside:invite-created"));
          return HS.loadQr($("[data-invite-qr]", box), "/qr/join/" + encodeURIComponent(data.code) + ".svg");
        })
        .catch(function (failure) {
          HS.showError(error, failure);
        })
        .then(function () {
          button.disabled = false;
        });
    }

    button.addEventListener("click", create);
    $("[data-copy-link]", box).addEventListener("click", function () {
      HS.copyText(link).then(
        function () {
          HS.toast("Link copied.");
        },
        function () {
          HS.toast("Couldn't copy here; press and hold the link instead.");
        }
      );
    });
    if (root.getAttribute("data-auto") === "1") create();
  });

  /** The couple's invite codes not used yet, each with a Revoke button (codes are never shown again). */
  function pendingInvites(root, onRevoked) {
    var list = $("[data-pending-list]", root);
    var error = $("[data-pending-error]", root);

    function row(invite) {
      var item = el("li", "row");
      item.setAttribute("data-pending-invite", String(invite.id));
      var main = el("div", "row__main");
      main.appendChild(el("p", "row__title", invite.created_at ? "Invite code made " + HS.formatTime(invite.created_at) : "Invite code"));
      // HS.formatTime reads "Today" for anything after midnight, the future too: spell the date out.
      var until = new Date(invite.expires_at).toLocaleString([], {
        weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit"
      });
      main.appendChild(el("p", "row__detail", "Works until " + until));
      item.appendChild(main);
      var revoke = el("button", "button button--quiet button--small", "Revoke");
      revoke.type = "button";
      revoke.addEventListener("click", function () {
        revoke.disabled = true;
        HS.api("DELETE", "/api/v1/invites/" + encodeURIComponent(invite.id))
          .then(function () {
            HS.toast("Invite code revoked.");
            onRevoked(invite.id);
            return load();
          })
          .catch(function (failure) {
            revoke.disabled = false;
            HS.showError(error, failure);
          });
      });
      item.appendChild(revoke);
      return item;
    }

    function load() {
      return HS.api("GET", "/api/v1/invites")
        .then(function (data) {
          var invites = data.invites || [];
          list.textContent = "";
          invites.forEach(function (invite) {
            list.appendChild(row(invite));
          });
          HS.show($("[data-pending-empty]", root), !invites.length);
          HS.showError(error, null);
          return invites;
        })
        .catch(function (failure) {
          HS.showError(error, failure);
          return [];
        });
    }

    return load;
  }

  HS.page("invite", function () {
    var pending = $("[data-pending-invites]");
    if (!pending) return; // the couple is complete: nothing to invite, nothing pending
    var widget = $("[data-invite]");
    var shownId = null; // the invite whose code the box shows: the newest after a create
    var load = pendingInvites(pending, function (revokedId) {
      if (revokedId === shownId) $("[data-invite-box]", widget).hidden = true;
    });
    widget.addEventListener("hearthside:invite-created", function () {
      load().then(function (invites) {
        shownId = invites.length ? invites[invites.length - 1].id : null;
      });
    });
    inviteWidget(widget);
    load();
    HS.on("member.joined", function () {
      window.location.reload(); // the partner is here: the page now says the couple is complete
    });
  });
})();
