// The story form's presence box: every 5 s, say "I have this story open" and show who else
// has, and whether someone saved since this form was opened. Without JavaScript the save
// still refuses to overwrite (the conflict page), so this only warns earlier.
(function () {
  "use strict";
  var box = document.getElementById("presence");
  if (!box || !window.fetch) return;
  var url = box.getAttribute("data-url");
  var opened = box.getAttribute("data-revision");
  var token = document.querySelector("input[name=csrfmiddlewaretoken]");
  function ping() {
    var body = new URLSearchParams();
    body.set("revision", opened);
    fetch(url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": token ? token.value : "" },
    })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) return;
        var lines = [];
        if (data.message) lines.push(data.message);
        if (data.saved_since) lines.push(data.saved_since.message + " (" + data.saved_since.at + ")");
        box.textContent = lines.join(" — ");
        box.classList.toggle("presence--saved", !!data.saved_since);
      })
      .catch(function () {});
  }
  ping();
  setInterval(ping, 5000);
})();
