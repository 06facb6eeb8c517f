// lyth ui: while a page shows a running run, fetch it again every 5 s and swap
// its <main> in place (the server renders and escapes; nothing is built here).
(function () {
  "use strict";
  var every = 5000;
  function refresh() {
    if (document.body.getAttribute("data-live") !== "1" || document.hidden) {
      return schedule();
    }
    fetch(location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (text) {
        if (text === null) return;
        var doc = new DOMParser().parseFromString(text, "text/html");
        var fresh = doc.querySelector("main");
        if (fresh) {
          document.querySelector("main").replaceWith(document.adoptNode(fresh));
          document.body.setAttribute("data-live", doc.body.getAttribute("data-live") || "0");
        }
      })
      .catch(function () {})
      .then(schedule);
  }
  function schedule() { setTimeout(refresh, every); }
  schedule();
})();
