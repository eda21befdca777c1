// The embeddable widget's one script (no inline script: the policy forbids
// it). It speaks to the game's window only at the one origin the server
// checked against the API key's allowed origins, never "*":
// - the page's height, {type: "questgate.resize", height}, when the page
//   loads and whenever it changes, so the game can size its iframe;
// - the verdict of a HACK that passed: "questgate.objective.completed"
//   (status "awarded", with the XP granted) for a new award only, and
//   "questgate.objective.verified" (status "already_awarded", xp 0) for a
//   SID that had already won the objective.
(function () {
  "use strict";
  function targetOrigin() {
    var el = document.getElementById("questgate-embed");
    var origin = el && el.getAttribute("data-target-origin");
    if (!origin || origin === "*" || !window.parent || window.parent === window) {
      return "";
    }
    return origin;
  }
  function announce(origin) {
    var el = document.getElementById("questgate-completed");
    if (!el) {
      return;
    }
    var status = el.getAttribute("data-status");
    window.parent.postMessage({
      type: status === "awarded" ? "questgate.objective.completed" : "questgate.objective.verified",
      status: status,
      objective: el.getAttribute("data-objective"),
      sid: el.getAttribute("data-sid"),
      xp: Number(el.getAttribute("data-xp"))
    }, origin);
  }
  function watchHeight(origin) {
    var last = -1;
    function send() {
      var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
      if (height === last) {
        return;
      }
      last = height;
      window.parent.postMessage({type: "questgate.resize", height: height}, origin);
    }
    send();
    if (window.ResizeObserver) {
      new ResizeObserver(send).observe(document.documentElement);
    } else {
      window.addEventListener("resize", send);
    }
    window.addEventListener("load", send);
  }
  function start() {
    var origin = targetOrigin();
    if (!origin) {
      return;
    }
    watchHeight(origin);
    announce(origin);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
