// questgate's own script. Everything works without it: it only makes the
// htmx-enhanced hack interface tell the player about failures htmx does not
// swap in (a 500, a dropped connection), and moves focus to a fresh result
// so that screen readers read it. The words come from data-* attributes the
// server rendered in the player's language; nothing here is hard-coded text.
(function () {
  "use strict";

  var hacking = false;

  function panelOf(elt) {
    return elt && elt.closest ? elt.closest("#hack-panel") : null;
  }

  // showFailure puts the panel in the FAILED state with one message.
  function showFailure(panel, messageAttr) {
    var state = panel.querySelector('[data-testid="hack-state"]');
    var result = panel.querySelector('[data-testid="result"]');
    if (state) {
      state.textContent = panel.getAttribute("data-state-failed");
      state.setAttribute("data-state", "failed");
    }
    if (!result) {
      return;
    }
    var p = document.createElement("p");
    p.className = "result-title";
    p.textContent = panel.getAttribute(messageAttr);
    result.replaceChildren(p);
    result.setAttribute("data-state", "failed");
    result.focus();
  }

  document.addEventListener("htmx:beforeRequest", function (e) {
    hacking = panelOf(e.detail.elt) !== null;
  });

  document.addEventListener("htmx:responseError", function (e) {
    var panel = panelOf(e.detail.elt);
    if (panel) {
      hacking = false;
      showFailure(panel, "data-error-server");
    }
  });

  document.addEventListener("htmx:sendError", function (e) {
    var panel = panelOf(e.detail.elt);
    if (panel) {
      hacking = false;
      showFailure(panel, "data-error-network");
    }
  });

  document.addEventListener("htmx:afterSettle", function () {
    if (!hacking) {
      return;
    }
    hacking = false;
    var result = document.getElementById("hack-result");
    if (result && result.firstElementChild) {
      result.focus();
    }
  });
})();
