// progress.js: the progress view's live patches, over server-sent events
// (/instructor/progress/live). A "player" event carries one player's row
// ({player, state, html}): it replaces that row when the page shows it,
// and nothing else moves. A "summary" event carries the counts
// ({players, states, objectives}), patched in place. Without JavaScript,
// the Refresh link and the next page show the same. The stream is
// live.js's, which closes it when the page is left.
(function () {
  "use strict";

  var root = document.querySelector("[data-progress-live]");
  if (!root || !window.questgateLive) {
    return;
  }
  var url = root.getAttribute("data-progress-live");

  function onPlayer(data) {
    var d = JSON.parse(data);
    var rows = root.querySelectorAll('[data-testid="progress-row"]');
    for (var i = 0; i < rows.length; i++) {
      if (rows[i].getAttribute("data-player") === d.player) {
        var tpl = document.createElement("template");
        tpl.innerHTML = "<table><tbody>" + d.html + "</tbody></table>";
        var fresh = tpl.content.querySelector("tr");
        if (fresh) {
          rows[i].replaceWith(fresh);
        }
        return;
      }
    }
  }

  function setText(el, n) {
    if (el && el.textContent !== String(n)) {
      el.textContent = String(n);
    }
  }

  function onSummary(data) {
    var d = JSON.parse(data);
    var states = root.querySelectorAll('[data-testid="state-count"]');
    for (var i = 0; i < states.length; i++) {
      var st = states[i].getAttribute("data-state");
      setText(states[i].querySelector("[data-count]"), (d.states && d.states[st]) || 0);
    }
    var stats = root.querySelectorAll('[data-testid="objective-stat"]');
    for (var j = 0; j < stats.length; j++) {
      var o = d.objectives && d.objectives[stats[j].getAttribute("data-objective")];
      if (!o) {
        continue;
      }
      setText(stats[j].querySelector('[data-testid="stat-done"]'), o.done);
      setText(stats[j].querySelector('[data-testid="stat-failing"]'), o.failing);
      setText(stats[j].querySelector('[data-testid="stat-stuck"]'), o.stuck);
      setText(stats[j].querySelector('[data-testid="stat-not-started"]'), o.not_started);
    }
  }

  window.questgateLive(url, { player: onPlayer, summary: onSummary });
})();
