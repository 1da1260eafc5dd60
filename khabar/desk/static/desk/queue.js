// The desk home refreshes its queues while open; without JavaScript a reload does the same.
(function () {
  "use strict";
  var box = document.getElementById("desk-queues");
  if (!box || !window.fetch) return;
  var seconds = parseInt(box.getAttribute("data-seconds"), 10) || 10;
  var busy = false;

  function refresh() {
    if (busy || document.hidden) return;
    // Keep a form the editor is using (a button in focus) from being swapped away.
    if (box.contains(document.activeElement) && document.activeElement.tagName !== "BODY") return;
    busy = true;
    fetch(box.getAttribute("data-url"), { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.text();
      })
      .then(function (html) {
        var parsed = new DOMParser().parseFromString(html, "text/html");
        box.replaceChildren.apply(box, Array.prototype.slice.call(parsed.body.childNodes));
      })
      .catch(function () {})
      .then(function () {
        busy = false;
      });
  }

  window.setInterval(refresh, seconds * 1000);
  document.addEventListener("visibilitychange", refresh);
})();
