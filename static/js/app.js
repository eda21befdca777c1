// questgate's own script. Everything works without it: it only gives htmx
// requests the CSRF token (read from the csrf-token meta tag, as the CSP
// forbids inline script), makes the htmx-enhanced hack interface tell the
// player about failures htmx does not swap in (a 500, an expired session, a
// body too large, too many requests, a dropped connection), moves focus to
// a fresh result so that screen readers read it (and announces HACKING
// while a check runs), scrolls the panel so that its state line (SUCCESS,
// FAILED) is in view after each answer, and runs the "Copy debug
// info" buttons (hidden until it shows them: without it the text is in a
// <details>). The words come from data-* attributes the server rendered in
// the player's language; nothing here is hard-coded text.
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
    announce("");
    result.focus({ preventScroll: true });
    showState(panel);
  }

  // Every htmx request that changes something carries the token, in the
  // header the server's CSRF check reads.
  document.addEventListener("htmx:configRequest", function (e) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta && meta.content) {
      e.detail.headers["X-CSRF-Token"] = meta.content;
    }
  });

  // failureMessage is the panel's attribute with the words for an error
  // status: a specific one (data-error-403, -413, -429) or the generic one.
  function failureMessage(panel, status) {
    var attr = "data-error-" + status;
    return panel.hasAttribute(attr) ? attr : "data-error-server";
  }

  // The server answers HX-Reswap: none with its error pages, which are
  // whole pages: swap nothing, and show the failure in the panel instead,
  // even for statuses htmx-config swaps (429).
  document.addEventListener("htmx:beforeSwap", function (e) {
    if (e.detail.xhr.status >= 400 && e.detail.swapOverride === "none") {
      e.detail.shouldSwap = false;
      e.detail.isError = true;
    }
  });

  // announce says text through the page's status region, which lives
  // outside the panel htmx replaces (a region swapped in is not read).
  function announce(text) {
    var region = document.getElementById("hack-announcer");
    if (region) {
      region.textContent = text || "";
    }
  }

  // showState scrolls, as little as needed, so that the panel's state
  // line is in view, in the window and in the panel's own scroll box on
  // wide screens. Instant, never smooth: the answer is there now, and
  // reduced motion is respected by not animating at all.
  // A first win's reward is brought into view first when it fits with the
  // state line; the state line wins when both do not fit.
  function showState(panel) {
    var line = panel && panel.querySelector('[data-testid="hack-state-line"]');
    if (!line) {
      return;
    }
    var reward = panel.querySelector('[data-testid="success"]');
    var opts = { block: "nearest", inline: "nearest", behavior: "auto" };
    if (reward) {
      reward.scrollIntoView(opts);
    }
    line.scrollIntoView(opts);
  }

  document.addEventListener("htmx:beforeRequest", function (e) {
    var panel = panelOf(e.detail.elt);
    hacking = panel !== null;
    if (panel) {
      announce(panel.getAttribute("data-hacking"));
    }
  });

  document.addEventListener("htmx:responseError", function (e) {
    var panel = panelOf(e.detail.elt);
    if (panel) {
      hacking = false;
      showFailure(panel, failureMessage(panel, e.detail.xhr.status));
    }
  });

  document.addEventListener("htmx:sendError", function (e) {
    var panel = panelOf(e.detail.elt);
    if (panel) {
      hacking = false;
      showFailure(panel, "data-error-network");
    }
  });

  // "Copy debug info": the buttons are hidden until this script shows
  // them, so without JavaScript only the <details> block (which works
  // everywhere) is offered. The words come from the button's data-*.
  function showCopyButtons() {
    document.querySelectorAll("button[data-copy]").forEach(function (b) {
      b.hidden = false;
    });
  }

  function copyStatus(button, text) {
    var status = button.parentNode && button.parentNode.querySelector(".copy-status");
    if (status) {
      status.textContent = text;
    }
  }

  function fallback(button, target) {
    var details = target.closest("details");
    if (details) {
      details.open = true;
    }
    var range = document.createRange();
    range.selectNodeContents(target);
    var sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
    copyStatus(button, button.getAttribute("data-copy-failed"));
  }

  document.addEventListener("click", function (e) {
    var button = e.target.closest ? e.target.closest("button[data-copy]") : null;
    if (!button) {
      return;
    }
    var target = document.getElementById(button.getAttribute("data-copy"));
    if (!target) {
      return;
    }
    if (!navigator.clipboard || !navigator.clipboard.writeText) {
      fallback(button, target);
      return;
    }
    navigator.clipboard.writeText(target.textContent).then(function () {
      copyStatus(button, button.getAttribute("data-copied"));
    }, function () {
      fallback(button, target);
    });
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", showCopyButtons);
  } else {
    showCopyButtons();
  }

  document.addEventListener("htmx:afterSettle", function () {
    showCopyButtons();
    if (!hacking) {
      return;
    }
    hacking = false;
    announce("");
    var result = document.getElementById("hack-result");
    if (result && result.firstElementChild) {
      result.focus({ preventScroll: true });
    }
    showState(document.getElementById("hack-panel"));
  });
})();
