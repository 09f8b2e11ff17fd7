/*
 * Hearthside: the notifications page - this browser's Web Push subscription, what the member is
 * told about and how much it says, quiet hours, their browsers and their ntfy topic.
 * Everything here is the member's own (/api/v1/me/notifications); nothing of the partner's.
 */
(function () {
  "use strict";

  var HS = window.Hearthside, $ = HS.$, el = HS.el;
  var API = "/api/v1/me/notifications";
  var CHANNELS = [
    { name: "push", label: "Notifications on your browsers (Web Push)" },
    { name: "ntfy", label: "The ntfy app" },
  ];

  /** The server's key as the bytes PushManager.subscribe wants (it is base64url). */
  function keyBytes(text) {
    var raw = window.atob(text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4));
    return Uint8Array.from(raw, function (c) {
      return c.charCodeAt(0);
    });
  }

  function canPush() {
    return window.isSecureContext && "serviceWorker" in navigator && "PushManager" in window &&
      "Notification" in window;
  }

  HS.page("notifications", function () {
    var settings = null;

    function save(body, errorNode) {
      HS.showError(errorNode, null);
      return HS.api("PUT", API, body).then(function (answer) {
        settings.choices = answer.choices;
        render();
      }).catch(function (failure) {
        HS.showError(errorNode, failure);
        render();
      });
    }

    function switchRow(list, label, on, change) {
      var row = $("#kind-template").content.firstElementChild.cloneNode(true);
      $("[data-label]", row).textContent = label;
      $("[data-toggle-label]", row).textContent = label;
      var toggle = $("[data-toggle]", row);
      toggle.checked = on;
      toggle.addEventListener("change", function () {
        HS.busy(toggle, true);
        change(toggle.checked);
      });
      list.appendChild(row);
    }

    function renderChoices() {
      var choices = settings.choices, error = $("[data-choices-error]");
      var kinds = $("[data-kinds]"), channels = $("[data-channels]");
      kinds.textContent = "";
      channels.textContent = "";
      settings.kinds.forEach(function (kind) {
        switchRow(kinds, kind.label, choices.kinds[kind.kind], function (on) {
          var body = { kinds: {} };
          body.kinds[kind.kind] = on;
          save(body, error);
        });
      });
      CHANNELS.forEach(function (channel) {
        switchRow(channels, channel.label, choices.channels[channel.name], function (on) {
          var body = { channels: {} };
          body.channels[channel.name] = on;
          save(body, error);
        });
      });
      $("[data-detail-form]").elements.detail.value = choices.detail;
      var quiet = choices.quiet_hours, form = $("[data-quiet-form]");
      if (quiet) {
        form.elements.start.value = quiet.start;
        form.elements.end.value = quiet.end;
      }
      $("[data-quiet-now]").textContent = quiet
        ? "Quiet from " + quiet.start + " until " + quiet.end + "."
        : "No quiet hours: notifications come at any time.";
      HS.show($("[data-quiet-off]"), !!quiet);
    }

    function renderSubscriptions() {
      var list = $("[data-subscriptions]");
      list.textContent = "";
      settings.subscriptions.forEach(function (subscription) {
        var row = el("li", "row");
        var main = el("div", "row__main");
        main.appendChild(el("p", "row__title", subscription.service));
        main.appendChild(el("p", "row__detail", "Since " + HS.formatTime(subscription.created_at)));
        row.appendChild(main);
        var remove = el("button", "button button--quiet button--small", "Remove");
        remove.type = "button";
        remove.addEventListener("click", function () {
          HS.act(remove, $("[data-subscriptions-error]"),
            HS.api("DELETE", API + "/subscriptions/" + encodeURIComponent(subscription.id))).then(load);
        });
        row.appendChild(remove);
        list.appendChild(row);
      });
      HS.show($("[data-subscriptions-empty]"), !settings.subscriptions.length);
    }

    function renderNtfy() {
      HS.show($("[data-ntfy-off]"), !settings.ntfy_server);
      HS.show($("[data-ntfy-on]"), !!settings.ntfy_server);
      $("[data-ntfy-server]").textContent = settings.ntfy_server;
      var form = $("[data-ntfy-form]");
      form.elements.topic_url.placeholder = settings.ntfy_server.replace(/\/$/, "") + "/a-topic-nobody-guesses";
      if (settings.ntfy) form.elements.topic_url.value = settings.ntfy.topic_url;
      HS.show($("[data-ntfy-clear]"), !!settings.ntfy);
    }

    function render() {
      renderChoices();
      renderSubscriptions();
      renderNtfy();
      HS.show($("[data-test]"), settings.subscriptions.length > 0 || !!settings.ntfy);
    }

    function load() {
      return HS.api("GET", API).then(function (data) {
        settings = data;
        render();
        return pushState();
      }).catch(function (failure) {
        HS.showError($("[data-push-error]"), failure);
      });
    }

    // -- this browser --------------------------------------------------------------------

    function currentSubscription() {
      return navigator.serviceWorker.register("/sw.js", { scope: "/" }).then(function () {
        return navigator.serviceWorker.ready;
      }).then(function (registration) {
        return registration.pushManager.getSubscription().then(function (subscription) {
          return { registration: registration, subscription: subscription };
        });
      });
    }

    function pushState() {
      var status = $("[data-push-status]");
      if (!canPush()) {
        status.textContent = "Notifications can't be turned on in this browser here.";
        HS.show($("[data-push-why]"), !window.isSecureContext);
        return Promise.resolve();
      }
      return currentSubscription().then(function (found) {
        var on = !!found.subscription && Notification.permission === "granted";
        status.textContent = on ? "This browser gets your notifications."
          : Notification.permission === "denied"
            ? "Notifications are blocked for Hearthside in this browser's settings; allow them there first."
            : "This browser does not get your notifications yet.";
        HS.show($("[data-push-on]"), !on && Notification.permission !== "denied");
        HS.show($("[data-push-off]"), on);
      });
    }

    function turnOn() {
      var button = $("[data-push-on]");
      HS.act(button, $("[data-push-error]"), Notification.requestPermission().then(function (permission) {
        if (permission !== "granted") throw { message: "Notifications were not allowed, so nothing changed." };
        return currentSubscription();
      }).then(function (found) {
        return found.subscription || found.registration.pushManager.subscribe({
          userVisibleOnly: true, applicationServerKey: keyBytes(settings.push_key),
        }).catch(function () {
          throw { message: "This browser could not reach its push service (Apple's, Google's or Mozilla's), " +
            "so notifications can't be turned on here. ntfy below works without one." };
        });
      }).then(function (subscription) {
        return HS.api("POST", API + "/subscriptions", subscription.toJSON());
      })).then(load);
    }

    function turnOff() {
      var button = $("[data-push-off]");
      HS.act(button, $("[data-push-error]"), currentSubscription().then(function (found) {
        if (!found.subscription) return null;
        var endpoint = found.subscription.endpoint;
        return found.subscription.unsubscribe().then(function () {
          return HS.api("POST", API + "/unsubscribe", { endpoint: endpoint });
        });
      })).then(load);
    }

    $("[data-push-on]").addEventListener("click", turnOn);
    $("[data-push-off]").addEventListener("click", turnOff);
    $("[data-test]").addEventListener("click", function () {
      var note = $("[data-push-note]"), button = $("[data-test]");
      HS.show(note, false);
      HS.act(button, $("[data-push-error]"), HS.api("POST", API + "/test")).then(function (sent) {
        if (!sent) return;
        note.textContent = "A test is on its way. It says only “Something is waiting in Hearthside”.";
        HS.show(note, true);
      });
    });

    // -- choices --------------------------------------------------------------------------

    $("[data-detail-form]").addEventListener("change", function (event) {
      save({ detail: event.target.value }, $("[data-choices-error]"));
    });

    var quietForm = $("[data-quiet-form]");
    HS.onValidSubmit(quietForm, $("[data-quiet-error]"), function () {
      save({ quiet_hours: { start: HS.field(quietForm, "start"), end: HS.field(quietForm, "end") } },
        $("[data-quiet-error]"));
    });
    $("[data-quiet-off]").addEventListener("click", function () {
      save({ quiet_hours: null }, $("[data-quiet-error]"));
    });

    // -- ntfy -----------------------------------------------------------------------------

    var ntfyForm = $("[data-ntfy-form]");
    HS.sendForm(ntfyForm, $("[data-error]", ntfyForm), function () {
      return HS.api("PUT", API + "/ntfy", {
        topic_url: HS.field(ntfyForm, "topic_url"), token: HS.field(ntfyForm, "token") || null,
      });
    }, function () {
      ntfyForm.elements.token.value = "";
      load();
      return "Saved: your notifications go to this topic too.";
    });
    $("[data-ntfy-clear]").addEventListener("click", function () {
      var button = $("[data-ntfy-clear]");
      HS.act(button, $("[data-error]", ntfyForm), HS.api("DELETE", API + "/ntfy")).then(function () {
        ntfyForm.elements.topic_url.value = "";
        return load();
      });
    });

    load();
  });
})();
