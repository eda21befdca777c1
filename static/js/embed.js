// The embeddable widget's one script (no inline script: the policy forbids
// it). When the page says the objective was just completed, it tells the
// game's window, at the one origin the server checked against the API
// key's allowed origins, never "*".
(function () {
  "use strict";
  function announce() {
    var el = document.getElementById("questgate-completed");
    if (!el || !window.parent || window.parent === window) {
      return;
    }
    var origin = el.getAttribute("data-target-origin");
    if (!origin || origin === "*") {
      return;
    }
    window.parent.postMessage({
      type: "questgate.objective.completed",
      objective: el.getAttribute("data-objective"),
      sid: el.getAttribute("data-sid"),
      xp: Number(el.getAttribute("data-xp"))
    }, origin);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", announce);
  } else {
    announce();
  }
})();
