// Counts one read of the story page: a POST to the address in data-hit, once the page is
// actually shown (not while prerendered or opened in a background tab). No cookies needed.
(function () {
  "use strict";
  var script = document.querySelector("script[data-hit]");
  if (!script) return;
  var url = script.getAttribute("data-hit");
  var sent = false;

  function send() {
    if (sent || document.visibilityState !== "visible" || document.prerendering) return;
    sent = true;
    if (navigator.sendBeacon && navigator.sendBeacon(url)) return;
    if (window.fetch) {
      fetch(url, { method: "POST", keepalive: true, credentials: "omit" });
    }
  }

  document.addEventListener("visibilitychange", send);
  document.addEventListener("prerenderingchange", send);
  send();
})();
