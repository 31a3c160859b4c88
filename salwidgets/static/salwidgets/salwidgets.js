/* salwidgets: opens and closes SAL modals where the browser lacks invoker commands
   (commandfor/command), swaps in the fallback a lazy fragment answers with 429 (too many
   calls to menta) or carries (when its request fails) instead of leaving it loading, swaps lazy
   fragments in the order of the page (so that an answer growing above never pushes down one
   already shown), and shows why a checkout of resale listings was refused next to the choice;
   everything else is plain HTML and htmx. No inline code, CSP-clean. */
(function () {
  "use strict";
  document.addEventListener("htmx:beforeSwap", function (event) {
    // The element swapped into: a lazy fragment itself, or the refusal slot inside a listings form.
    var target = event.target;
    var status = event.detail.xhr.status;
    if (!target.closest) {
      return;
    }
    // A lazy fragment limited by the site: its fallback. A checkout refused: why, next to the choice.
    if ((status === 429 && target.matches(".sal-lazy, .sal-loader")) ||
        (status >= 400 && target.closest(".sal-listings__form"))) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
    // A lazy fragment that arrives before one above it waits for it.
    if (event.detail.shouldSwap && target.matches(".sal-lazy") && waitingAbove(target)) {
      event.detail.shouldSwap = false;
      held.push({ target: target, html: event.detail.serverResponse });
    }
  });
  var held = [];
  function waitingAbove(element) {
    var lazies = document.querySelectorAll(".sal-lazy");
    return lazies.length > 0 && lazies[0] !== element && document.contains(element);
  }
  function release() {
    var progressed = true;
    while (progressed) {
      progressed = false;
      for (var i = 0; i < held.length; i++) {
        var each = held[i];
        if (!document.contains(each.target)) {
          held.splice(i, 1);
          progressed = true;
          break;
        }
        if (!waitingAbove(each.target)) {
          held.splice(i, 1);
          window.htmx.swap(each.target, each.html, { swapStyle: "outerHTML" });
          progressed = true;
          break;
        }
      }
    }
  }
  document.addEventListener("htmx:afterSettle", release);
  // A lazy fragment that failed (a 5xx, a timeout, no network) shows the fallback it carries
  // instead of loading for ever; a failed loader of slots leaves them as they are (empty).
  function failed(event) {
    var target = event.target;
    if (!target.matches) {
      return;
    }
    if (target.matches(".sal-lazy")) {
      var fallback = target.querySelector("template.sal-lazy__fallback");
      var wrapper = document.createElement("div");
      wrapper.className = target.className.replace("sal-lazy", "").trim();
      if (fallback) {
        wrapper.appendChild(fallback.content.cloneNode(true));
      }
      target.replaceWith(wrapper);
    } else if (target.matches(".sal-loader")) {
      target.remove();
    }
    release();
  }
  ["htmx:responseError", "htmx:sendError", "htmx:timeout"].forEach(function (name) {
    document.addEventListener(name, failed);
  });
  if ("command" in HTMLButtonElement.prototype) {
    return;
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[commandfor]");
    if (!button) {
      return;
    }
    var dialog = document.getElementById(button.getAttribute("commandfor"));
    if (!dialog || dialog.tagName !== "DIALOG") {
      return;
    }
    if (button.getAttribute("command") === "show-modal") {
      dialog.showModal();
    } else if (button.getAttribute("command") === "close") {
      dialog.close();
    }
  });
})();
