/*
 * Closeness: the ladder and its proposals (page /touch/ladder).
 * Uses touch.js's helpers (Hearthside.touch).
 */
(function () {
  "use strict";

  var HS = window.Hearthside, $ = HS.$, $$ = HS.$$, el = HS.el, T = HS.touch;
  var API = T.API, fillList = T.fillList;

  // -- the ladder -------------------------------------------------------------------------

  function renderPhase(template, phase) {
    var node = template.content.firstElementChild.cloneNode(true);
    node.setAttribute("data-phase", phase.key);
    $("[data-level]", node).textContent = "Phase " + phase.level;
    HS.show($("[data-unlocked]", node), !!phase.unlocked);
    $("[data-name]", node).textContent = phase.name;
    fillList($("[data-in]", node), phase["in"]);
    fillList($("[data-out]", node), phase.out);
    $("[data-practice]", node).textContent = phase.practice || "";
    return node;
  }

  var CHANGE_TEXT = {
    added: function (c) {
      return "Adds \"" + c.name + "\" as phase " + c.level;
    },
    removed: function (c) {
      return "Removes \"" + c.name + "\"";
    },
    renamed: function (c) {
      return "Renames \"" + c.from + "\" to \"" + c.name + "\"";
    },
    edited: function (c) {
      return "Changes what is in, out or suggested for \"" + c.name + "\"";
    },
    moved: function (c) {
      return "Moves \"" + c.name + "\" from phase " + c.from + " to " + c.to;
    },
  };

  HS.page("touch-ladder", function () {
    var ladder = null;
    var proposal = null;
    var reload = HS.debounce(load, 150);
    var template = $("#phase-template");
    var editorTemplate = $("#editor-template");

    function render() {
      HS.show($("[data-loading]"), false);
      var list = $("[data-phases]");
      list.textContent = "";
      ladder.phases.forEach(function (phase) {
        list.appendChild(renderPhase(template, phase));
      });
      var box = $("[data-proposal]");
      HS.show(box, !!proposal);
      HS.show($("[data-edit-card]"), !proposal);
      if (proposal) {
        box.setAttribute("data-proposal-id", proposal.id);
        $("[data-proposal-by]").textContent =
          (proposal.proposed_by ? HS.nameOf(proposal.proposed_by) : "Someone") + " suggested this on " +
          HS.formatTime(proposal.created_at) + ".";
        var note = $("[data-proposal-note]");
        note.textContent = proposal.note || "";
        HS.show(note, !!proposal.note);
        fillList(
          $("[data-proposal-changes]"),
          proposal.changes.map(function (c) {
            return (CHANGE_TEXT[c.kind] || function () {
              return c.kind;
            })(c);
          })
        );
        $("[data-proposal-unlocked]").textContent =
          "After this change you would be unlocked up to " + proposal.unlocked_after.name + " (phase " +
          proposal.unlocked_after.level + "). Your comfort levels stay where they are, or move down if their phase is removed.";
        var phases = $("[data-proposal-phases]");
        phases.textContent = "";
        proposal.phases.forEach(function (phase) {
          phases.appendChild(renderPhase(template, phase));
        });
        HS.show($("[data-proposal-accept]"), !proposal.accepted_by_me);
        HS.show($("[data-proposal-waiting]"), proposal.accepted_by_me);
        $("[data-proposal-decline]").textContent = proposal.accepted_by_me ? "Withdraw" : "Decline";
      }
    }

    function renderVersions(versions) {
      var list = $("[data-versions]");
      list.textContent = "";
      versions
        .slice()
        .reverse()
        .forEach(function (version) {
          var text =
            "Version " + version.version + (version.created_at ? " · " + HS.formatTime(version.created_at) : " · the default ladder") +
            " · " + version.phases.map(function (p) {
              return p.name;
            }).join(", ");
          list.appendChild(el("li", "history__item", text));
        });
    }

    function load() {
      return Promise.all([
        HS.api("GET", API + "/ladder"),
        HS.api("GET", API + "/proposal"),
        HS.api("GET", API + "/ladder/versions"),
      ])
        .then(function (answers) {
          ladder = answers[0];
          proposal = answers[1].proposal;
          render();
          renderVersions(answers[2].versions);
          document.body.setAttribute("data-touch-ready", "1");
        })
        .catch(function (error) {
          HS.show($("[data-loading]"), false);
          HS.showError($("[data-error]"), error);
        });
    }

    // -- the editor --
    function lines(text) {
      return text
        .split("\n")
        .map(function (line) {
          return line.trim();
        })
        .filter(Boolean);
    }

    function numberEditor() {
      $$(".touch-editor__phase", $("[data-editor]")).forEach(function (node, i) {
        $("[data-legend]", node).textContent = "Phase " + (i + 1);
      });
    }

    function addEditorPhase(phase) {
      var node = editorTemplate.content.firstElementChild.cloneNode(true);
      if (phase && phase.key) node.setAttribute("data-key", phase.key);
      $("[data-field=name]", node).value = phase ? phase.name : "";
      $("[data-field=in]", node).value = phase ? phase["in"].join("\n") : "";
      $("[data-field=out]", node).value = phase ? phase.out.join("\n") : "";
      $("[data-field=practice]", node).value = phase ? phase.practice : "";
      $("[data-editor]").appendChild(node);
      numberEditor();
      return node;
    }

    $("[data-edit-open]").addEventListener("click", function () {
      $("[data-editor]").textContent = "";
      ladder.phases.forEach(addEditorPhase);
      HS.show($("[data-edit-form]"), true);
      HS.show($("[data-edit-open]"), false);
    });
    $("[data-edit-cancel]").addEventListener("click", function () {
      HS.show($("[data-edit-form]"), false);
      HS.show($("[data-edit-open]"), true);
    });
    $("[data-edit-add]").addEventListener("click", function () {
      $("[data-field=name]", addEditorPhase(null)).focus();
    });
    $("[data-editor]").addEventListener("click", function (event) {
      var button = event.target.closest("button");
      if (!button) return;
      var item = button.closest(".touch-editor__phase");
      if (button.hasAttribute("data-remove")) {
        item.parentNode.removeChild(item);
      } else if (button.hasAttribute("data-move")) {
        if (button.getAttribute("data-move") === "-1" && item.previousElementSibling)
          item.parentNode.insertBefore(item, item.previousElementSibling);
        else if (button.getAttribute("data-move") === "1" && item.nextElementSibling)
          item.parentNode.insertBefore(item.nextElementSibling, item);
      }
      numberEditor();
    });
    $("[data-edit-form]").addEventListener("submit", function (event) {
      event.preventDefault();
      var form = event.target;
      var phases = $$(".touch-editor__phase", $("[data-editor]")).map(function (node) {
        var phase = {
          name: $("[data-field=name]", node).value,
          in: lines($("[data-field=in]", node).value),
          out: lines($("[data-field=out]", node).value),
          practice: $("[data-field=practice]", node).value,
        };
        if (node.getAttribute("data-key")) phase.key = node.getAttribute("data-key");
        return phase;
      });
      HS.act(
        form.querySelector("button[type=submit]"),
        $("[data-edit-error]"),
        HS.api("POST", API + "/proposal", { phases: phases, note: form.elements.note.value })
      ).then(function (answer) {
        if (!answer) return;
        HS.show($("[data-edit-form]"), false);
        HS.show($("[data-edit-open]"), true);
        load();
      });
    });

    document.addEventListener("click", function (event) {
      var button = event.target.closest ? event.target.closest("button") : null;
      if (!button || !proposal) return;
      var body = { proposal_id: proposal.id };
      if (button.hasAttribute("data-proposal-accept")) {
        HS.act(button, $("[data-proposal-error]"), HS.api("POST", API + "/proposal/accept", body)).then(load);
      } else if (button.hasAttribute("data-proposal-decline")) {
        HS.act(button, $("[data-proposal-error]"), HS.api("POST", API + "/proposal/decline", body)).then(load);
      }
    });

    HS.on("*", function (event) {
      if (/^touch\.(proposal|ladder|unlocked|stepped_back)/.test(event.type)) reload();
    });
    HS.on("live.connected", reload);
    load();
  });
})();
