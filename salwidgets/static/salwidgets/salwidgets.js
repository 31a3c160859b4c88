/* salwidgets: opens and closes SAL modals where the browser lacks invoker commands
   (commandfor/command); everything else is plain HTML and htmx. No inline code, CSP-clean. */
(function () {
  "use strict";
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
