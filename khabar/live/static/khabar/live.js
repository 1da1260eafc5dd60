/* khabar live: a live story's new updates appear without a reload, and the urgent ticker
   refreshes itself. A stream (server-sent events) first; polling when there is none. */
(function () {
  "use strict";
  if (window.khabarLive) return;
  window.khabarLive = true;

  function follow(root) {
    var list = root.querySelector(".live__updates");
    var status = root.querySelector("[data-live-status]");
    var seq = parseInt(root.getAttribute("data-live-seq"), 10) || 0;
    var pollEvery = (parseInt(root.getAttribute("data-live-poll"), 10) || 5) * 1000;
    var polling = null;

    function announce(item) {
      var text = item.querySelector(".live-update__text");
      var words = text ? text.textContent.trim() : "";
      status.textContent = root.getAttribute("data-live-new") + " " + words.slice(0, 200);
    }

    function place(item) {
      // Pinned updates first, then newest first (the page's own order).
      if (item.getAttribute("data-pinned") === "1") {
        list.insertBefore(item, list.firstChild);
        return;
      }
      var after = null;
      for (var i = 0; i < list.children.length; i++) {
        var other = list.children[i];
        if (other.getAttribute("data-pinned") === "1") after = other;
      }
      list.insertBefore(item, after ? after.nextSibling : list.firstChild);
    }

    function apply(update) {
      if (update.seq <= seq) return;
      var holder = document.createElement("ol");
      // Rendered by the server from the autoescaped live/_update.html template.
      holder.innerHTML = update.html;
      var item = holder.firstElementChild;
      if (!item) return;
      var old = document.getElementById(item.id);
      if (old && old.getAttribute("data-pinned") === item.getAttribute("data-pinned")) {
        old.replaceWith(item);
      } else {
        if (old) old.remove();
        place(item);
        if (!old) announce(item);
      }
      var empty = root.querySelector(".live__empty");
      if (empty) empty.remove();
    }

    function state(data) {
      if (data.state === "ended" && root.getAttribute("data-live-open") === "1") {
        root.setAttribute("data-live-open", "0");
        var badge = root.querySelector(".live__badge");
        if (badge) badge.remove();
      }
      seq = Math.max(seq, data.seq);
    }

    function poll() {
      fetch(root.getAttribute("data-live-updates"), { headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (!data) return;
          data.updates.forEach(apply);
          state(data);
        })
        .catch(function () {});
    }

    function startPolling() {
      if (polling === null) polling = window.setInterval(poll, pollEvery);
    }

    if (!("EventSource" in window) || !root.getAttribute("data-live-events")) {
      // No stream offered (or none in this browser): the cached updates, every few seconds.
      startPolling();
      return;
    }
    var url = root.getAttribute("data-live-events") + "?since=" + seq;
    var source = new EventSource(url);
    var failures = 0;
    source.addEventListener("update", function (e) {
      failures = 0;
      apply(JSON.parse(e.data));
    });
    source.addEventListener("state", function (e) {
      failures = 0;
      state(JSON.parse(e.data));
    });
    source.addEventListener("open", function () {
      failures = 0;
      if (polling !== null) { window.clearInterval(polling); polling = null; }
    });
    source.addEventListener("error", function () {
      // The browser reconnects by itself; a stream that keeps failing (a proxy that
      // refuses it, a closed one) is replaced by polling until it comes back.
      failures += 1;
      if (failures >= 2 || source.readyState === EventSource.CLOSED) {
        startPolling();
        poll();
      }
      if (source.readyState === EventSource.CLOSED) source = null;
    });
  }

  function ticker(box) {
    var list = box.querySelector("ul");
    function refresh() {
      fetch(box.getAttribute("data-ticker"), { headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (!data) return;
          var items = data.items.map(function (item) {
            var li = document.createElement("li");
            var a = document.createElement("a");
            a.href = item.url;
            a.textContent = item.headline;
            li.appendChild(a);
            return li;
          });
          var before = list.textContent;
          list.replaceChildren.apply(list, items);
          box.hidden = items.length === 0;
          if (before !== list.textContent) box.setAttribute("data-ticker-changed", "1");
        })
        .catch(function () {});
    }
    var every = parseInt(box.getAttribute("data-ticker-every"), 10) || 30;
    window.setInterval(refresh, every * 1000);
    document.addEventListener("visibilitychange", function () {
      if (!document.hidden) refresh();
    });
  }

  function start() {
    // Every live story is followed: by its stream where one is offered, else by polling.
    var root = document.querySelector("section.live[data-live-updates]");
    if (root && root.getAttribute("data-live-open") === "1") follow(root);
    var box = document.querySelector("[data-ticker]");
    if (box) ticker(box);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
