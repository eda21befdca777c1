// A tiny game that embeds questgate's HACK widget and reacts when the
// player completes the objective. questgate posts to this page's origin
// only (the game checks the sender's origin in turn):
// - {type: "questgate.resize", height}: the widget's height, whenever it
//   changes; the game sizes the iframe to it, so no result is cut off;
// - {type: "questgate.objective.completed", status: "awarded", objective,
//   sid, xp}: a new award, once per objective;
// - {type: "questgate.objective.verified", status: "already_awarded",
//   objective, sid, xp: 0}: a SID that had already won the objective.
(function () {
  "use strict";
  var frame = document.getElementById("questgate");
  var widget = new URLSearchParams(location.search).get("widget");
  if (!widget) {
    document.getElementById("help").hidden = false;
    frame.hidden = true;
    return;
  }
  var questgateOrigin = new URL(widget).origin;
  frame.src = widget;

  var xp = 0;
  window.addEventListener("message", function (event) {
    // Only questgate's frame may speak to the game.
    if (event.origin !== questgateOrigin || event.source !== frame.contentWindow) {
      return;
    }
    var m = event.data;
    if (!m) {
      return;
    }
    var story = document.getElementById("story");
    switch (m.type) {
    case "questgate.resize":
      // A bound keeps a broken page from growing the game without end.
      var height = Math.min(Math.max(Number(m.height) || 0, 200), 4000);
      frame.style.height = height + "px";
      break;
    case "questgate.objective.completed":
      xp += Number(m.xp) || 0;
      document.getElementById("xp").textContent = String(xp);
      document.getElementById("tower").className = "tower lit";
      story.textContent = "The tower shines! Objective " + m.objective + " complete (message " + m.sid + ").";
      break;
    case "questgate.objective.verified":
      story.textContent = "The tower already shines: objective " + m.objective + " was complete (no new XP).";
      break;
    }
  });
})();
