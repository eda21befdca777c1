// A tiny game that embeds questgate's HACK widget and reacts when the
// player completes the objective. questgate posts
// {type: "questgate.objective.completed", objective, sid, xp} to this
// page's origin only; the game checks the sender's origin in turn.
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
    if (!m || m.type !== "questgate.objective.completed") {
      return;
    }
    xp += Number(m.xp) || 0;
    document.getElementById("xp").textContent = String(xp);
    document.getElementById("tower").className = "tower lit";
    document.getElementById("story").textContent =
      "The tower shines! Objective " + m.objective + " complete (message " + m.sid + ").";
  });
})();
