/* salwidgets embed for sites that are not Django:
     <script src="https://tickets.example/static/salwidgets/embed.js" defer></script>
     <div data-sal-event="evt_2024_metallica" data-sal-show="show_nyc_20240815"></div>
   Fills each placeholder with the show's buy components, served by the Django site that hosts
   this script (add the embedding site's origin to SALWIDGETS["EMBED_ORIGINS"]). CSP-clean. */
(function () {
  "use strict";
  var script = document.currentScript;
  var origin = new URL(script.src).origin;
  var fragments = script.getAttribute("data-sal-fragments") || "/sal/fragments/";

  function addStylesheet() {
    var href = new URL("salwidgets.css", script.src).href;
    if (!document.querySelector('link[href="' + href + '"]')) {
      var link = document.createElement("link");
      link.rel = "stylesheet";
      link.href = href;
      document.head.appendChild(link);
    }
  }

  function fill(placeholder) {
    var url = new URL(fragments + "buy/", origin);
    url.searchParams.set("event", placeholder.getAttribute("data-sal-event"));
    url.searchParams.set("show", placeholder.getAttribute("data-sal-show"));
    var sameOrigin = origin === window.location.origin;
    placeholder.setAttribute("aria-busy", "true");
    fetch(url, { credentials: sameOrigin ? "same-origin" : "omit", headers: { Accept: "text/html" } })
      .then(function (response) { return response.ok ? response.text() : ""; })
      .catch(function () { return ""; })
      .then(function (html) {
        var template = document.createElement("template");
        template.innerHTML = html;
        template.content.querySelectorAll("a[href]").forEach(function (link) {
          link.href = new URL(link.getAttribute("href"), origin).href;
        });
        placeholder.replaceChildren(template.content);
        placeholder.removeAttribute("aria-busy");
      });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[commandfor]");
    if (!button || "command" in HTMLButtonElement.prototype) {
      return;
    }
    var dialog = document.getElementById(button.getAttribute("commandfor"));
    if (dialog && dialog.tagName === "DIALOG") {
      if (button.getAttribute("command") === "show-modal") { dialog.showModal(); } else { dialog.close(); }
    }
  });

  function start() {
    addStylesheet();
    document.querySelectorAll("[data-sal-event][data-sal-show]").forEach(fill);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
