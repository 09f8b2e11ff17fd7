/*
 * Hearthside: the devices page - wall screens, their pairing codes and QR codes.
 */
(function () {
  "use strict";

  var HS = window.Hearthside, $ = HS.$, $$ = HS.$$, el = HS.el;

  // -- devices (wall screens) ------------------------------------------------------------

  HS.page("devices", function () {
    var form = $("[data-device-form]");
    var error = $("[data-error]");
    var pairing = $("[data-pairing]");

    function renderDevice(device) {
      var row = el("li", "row");
      var main = el("div", "row__main");
      main.appendChild(el("p", "row__title", device.name));
      var detail = device.claimed_at
        ? "Paired " + HS.formatTime(device.claimed_at)
        : "Waiting to be paired";
      if (device.last_used_at) detail += " · last seen " + HS.formatTime(device.last_used_at);
      main.appendChild(el("p", "row__detail", detail));
      row.appendChild(main);
      var remove = el("button", "button button--quiet button--small", "Remove");
      remove.type = "button";
      remove.addEventListener("click", function () {
        if (!window.confirm("Remove “" + device.name + "”? It stops showing anything at once.")) return;
        HS.act(remove, error, HS.api("DELETE", "/api/v1/devices/" + encodeURIComponent(device.id))).then(load);
      });
      row.appendChild(remove);
      return row;
    }

    function unrevoked(data) {
      return (data.devices || []).filter(function (d) {
        return !d.revoked;
      });
    }

    function load() {
      return HS.loadList("devices", "/api/v1/devices", unrevoked, renderDevice, error);
    }

    HS.onValidSubmit(form, error, function () {
      HS.busy(form, true);
      HS.api("POST", "/api/v1/devices", { name: HS.field(form, "name") })
        .then(function (data) {
          $("[data-pairing-code]", pairing).textContent = data.pairing_code;
          $("[data-dashboard-url]", pairing).textContent = window.location.origin + "/dashboard";
          pairing.hidden = false;
          load();
          return HS.loadQr($("[data-pairing-qr]", pairing), "/qr/pair/" + encodeURIComponent(data.pairing_code) + ".svg");
        })
        .catch(function (failure) {
          HS.showError(error, failure);
        })
        .then(function () {
          HS.busy(form, false);
        });
    });

    load();
    HS.on("*", function (event) {
      if (/^devices?\./.test(event.type)) load();
    });
  });
})();
