// workshop.js: the live parts of the workshop day, over server-sent
// events. On a player page, new announcements replace the banner's
// (#announcement-live, a polite live region). On the wall, the stream
// sends the wall's body again whenever it changes. Without JavaScript,
// the next page shows the same.
(function () {
  "use strict";

  // stream calls onData with each event of that name from url (live.js).
  function stream(url, event, onData) {
    var handlers = {};
    handlers[event] = onData;
    window.questgateLive(url, handlers);
  }

  function swapIn(target, html) {
    var tpl = document.createElement("template");
    tpl.innerHTML = html;
    target.replaceChildren(tpl.content);
  }

  function start() {
    var banner = document.getElementById("announcement-live");
    if (banner) {
      stream(banner.getAttribute("data-live-url"), "announcement", function (html) {
        swapIn(banner, html);
      });
    }
    var wall = document.querySelector("[data-wall-live]");
    if (wall) {
      stream(wall.getAttribute("data-wall-live"), "wall", function (html) {
        swapIn(wall, html);
      });
    }
    // The event form's time zone: the browser's own when none is set yet.
    var zone = document.querySelector("[data-local-zone]");
    if (zone && zone.value === "" && window.Intl) {
      var local = Intl.DateTimeFormat().resolvedOptions().timeZone;
      if (local) {
        zone.value = local;
      }
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
