// live.js: one server-sent events stream per live view, shared by
// workshop.js (announcements, the wall) and progress.js (the progress
// view). questgateLive(url, handlers) opens url and calls handlers[event]
// with each event's data. A page left for another keeps no stream open:
// browsers hold only a few connections to one server, and a page kept for
// the back button would otherwise hold one of them. It opens again if it
// comes back from the back-forward cache.
(function () {
  "use strict";

  window.questgateLive = function (url, handlers) {
    if (!url || !window.EventSource) {
      return;
    }
    var source = null;
    function open() {
      source = new EventSource(url);
      Object.keys(handlers).forEach(function (event) {
        source.addEventListener(event, function (e) {
          handlers[event](e.data);
        });
      });
    }
    window.addEventListener("pagehide", function () {
      if (source) {
        source.close();
        source = null;
      }
    });
    window.addEventListener("pageshow", function (e) {
      if (e.persisted && !source) {
        open();
      }
    });
    open();
  };
})();
