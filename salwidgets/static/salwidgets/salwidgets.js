/* salwidgets: opens and closes SAL modals where the browser lacks invoker commands
   (commandfor/command), and swaps in the fallback a lazy fragment answers with 429 (too many
   calls to menta) instead of leaving it loading; everything else is plain HTML and htmx.
   No inline code, CSP-clean. */
(function () {
  "use strict";
  document.addEventListener("htmx:beforeSwap", function (event) {
    var source = event.target;
    if (event.detail.xhr.status === 429 && source.matches && source.matches(".sal-lazy, .sal-loader")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
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
