/* khabar comments widget. Embed on a page of an allowed site:
     <script src="https://NEWS.SITE/static/khabar/comments.js" data-khabar-thread="site:NAME:PAGE" defer></script>
   Plain JavaScript, no framework. Talks to /api/v1/ on the script's own origin. */
(function () {
  "use strict";
  var script = document.currentScript || document.querySelector("script[data-khabar-thread]");
  if (!script) return;
  var thread = script.getAttribute("data-khabar-thread");
  var base = new URL(script.src, location.href).origin;
  var api = base + "/api/v1";
  var pageLang = (document.documentElement.lang || "ar").slice(0, 2);
  var STRINGS = {
    ar: { comments: "التعليقات", yours: "تعليقك", replyingTo: "أنت ترد على:", cancel: "إلغاء",
      name: "الاسم", email: "البريد الإلكتروني (اختياري، لا يُعرض أبدًا)", text: "التعليق",
      send: "أرسل التعليق", reply: "رد", like: "أعجبني", report: "إبلاغ", edit: "تعديل",
      del: "حذف", save: "حفظ", more: "مزيد من التعليقات", moreReplies: "مزيد من الردود",
      pending: "بانتظار موافقة المشرف", edited: "عُدّل", removed: "أُزيل هذا التعليق.",
      replyingShort: "ردًا على", closed: "التعليقات مغلقة.", none: "لا تعليقات بعد.",
      oldest: "الأقدم", newest: "الأحدث", liked: "الأكثر إعجابًا", notify: "راسلني عندما يرد أحد على تعليقي",
      reported: "شكرًا لك: سيراجع المشرف هذا التعليق.", confirmDelete: "أتحذف تعليقك؟",
      failed: "تعذّر الاتصال بخادم التعليقات." },
    en: { comments: "Comments", yours: "Your comment", replyingTo: "You are replying to:", cancel: "Cancel",
      name: "Name", email: "Email (optional, never shown)", text: "Comment", send: "Post comment",
      reply: "Reply", like: "Like", report: "Report", edit: "Edit", del: "Delete", save: "Save",
      more: "More comments", moreReplies: "More replies", pending: "awaiting moderation",
      edited: "edited", removed: "This comment was removed.", replyingShort: "replying to",
      closed: "Comments are closed.", none: "No comments yet.", oldest: "Oldest", newest: "Newest",
      liked: "Most liked", notify: "Email me when someone replies",
      reported: "Thank you: a moderator will look at this comment.", confirmDelete: "Delete your comment?",
      failed: "Could not reach the comment server." }
  };
  var t = STRINGS[pageLang] || STRINGS.ar;
  var INDENT = 4;

  function store(key, fallback) {
    try { return JSON.parse(localStorage.getItem(key)) || fallback; } catch (e) { return fallback; }
  }
  function keep(key, value) {
    try { localStorage.setItem(key, JSON.stringify(value)); } catch (e) { /* private mode */ }
  }
  var reader = store("khabar-reader", null);
  if (!reader) {
    reader = "w" + Math.random().toString(36).slice(2) + Date.now().toString(36);
    keep("khabar-reader", reader);
  }
  function tokenHeader() {
    var tokens = store("khabar-tokens", {});
    return Object.keys(tokens).slice(-30).map(function (id) { return id + "." + tokens[id]; }).join(",");
  }
  function call(method, path, body) {
    var headers = { "X-Khabar-Reader": reader };
    var tokens = tokenHeader();
    if (tokens) headers["X-Khabar-Tokens"] = tokens;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    return fetch(api + path, {
      method: method, headers: headers, mode: "cors", credentials: "omit",
      body: body === undefined ? undefined : JSON.stringify(body)
    }).then(function (response) {
      if (response.status === 204) return { status: 204, data: null };
      return response.json().then(function (data) { return { status: response.status, data: data }; },
        function () { return { status: response.status, data: {} }; });
    });
  }
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === "text") node.textContent = attrs[name];
      else if (name.slice(0, 2) === "on") node.addEventListener(name.slice(2), attrs[name]);
      else if (attrs[name] !== null && attrs[name] !== undefined && attrs[name] !== false) node.setAttribute(name, attrs[name]);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }

  var link = el("link", { rel: "stylesheet", href: base + "/static/khabar/comments.css" });
  document.head.appendChild(link);
  var direction = getComputedStyle(script.parentNode || document.body).direction || document.documentElement.dir || "rtl";
  var root = el("section", { "class": "comments khabar-comments", dir: direction, lang: pageLang, "aria-label": t.comments });
  script.parentNode.insertBefore(root, script.nextSibling);

  var state = { sort: "oldest", stamp: "", open: true, replyTo: null, comments: [], next: null, count: 0 };
  var status = el("p", { "class": "khabar-comments__status", role: "status" });
  var title = el("h2", {});
  var list = el("ol", { "class": "comment-list" });
  var moreButton = el("button", { type: "button", "class": "khabar-comments__more", text: t.more, hidden: true });
  var form = buildForm();
  var sorts = el("nav", { "class": "comments__sort" }, ["oldest", "newest", "liked"].map(function (name) {
    return el("a", { href: "#", "data-sort": name, text: t[name], onclick: function (event) {
      event.preventDefault(); state.sort = name; load(); } });
  }));
  root.appendChild(title);
  root.appendChild(sorts);
  root.appendChild(status);
  root.appendChild(form.node);
  root.appendChild(list);
  root.appendChild(moreButton);
  moreButton.addEventListener("click", function () { load(state.next); });

  function buildForm() {
    var parentBanner = el("p", { "class": "comment-form__replying", hidden: true });
    var parentName = el("bdi", { dir: "auto", "class": "comment-form__parent" });
    var cancel = el("a", { href: "#", "class": "comment-form__cancel", text: t.cancel, onclick: function (event) {
      event.preventDefault(); setReply(null); } });
    parentBanner.appendChild(document.createTextNode(t.replyingTo + " "));
    parentBanner.appendChild(parentName);
    parentBanner.appendChild(document.createTextNode(" "));
    parentBanner.appendChild(cancel);
    var author = el("input", { name: "author", required: "required", maxlength: "80", dir: "auto", autocomplete: "name" });
    var email = el("input", { name: "email", type: "email", dir: "ltr", autocomplete: "email" });
    var trap = el("input", { name: "website", tabindex: "-1", autocomplete: "off" });
    var text = el("textarea", { name: "text", required: "required", rows: "4", dir: "auto" });
    var notify = el("input", { type: "checkbox", name: "notify" });
    var error = el("p", { "class": "comment-form__error", role: "alert", hidden: true });
    author.value = store("khabar-name", "");
    var node = el("form", { "class": "comment-form", id: "khabar-comment-form" }, [
      el("h3", { "class": "comment-form__title", text: t.yours }), parentBanner, error,
      el("p", { "class": "comment-form__field" }, [el("label", { text: t.name }, [author])]),
      el("p", { "class": "comment-form__field" }, [el("label", { text: t.email }, [email])]),
      el("p", { "class": "comment-form__trap", "aria-hidden": "true" }, [trap]),
      el("p", { "class": "comment-form__field" }, [el("label", { text: t.text }, [text])]),
      el("p", { "class": "comment-form__field comment-form__check" }, [el("label", {}, [notify, document.createTextNode(" " + t.notify)])]),
      el("p", {}, [el("button", { type: "submit", "class": "comment-form__submit", text: t.send })])
    ]);
    node.addEventListener("submit", function (event) {
      event.preventDefault();
      error.hidden = true;
      keep("khabar-name", author.value);
      call("POST", "/comments", {
        thread: thread, parent: state.replyTo ? state.replyTo.id : null, author: author.value,
        email: email.value, text: text.value, notify: notify.checked, stamp: state.stamp, website: trap.value
      }).then(function (answer) {
        if (answer.status === 201 || answer.status === 202) {
          var tokens = store("khabar-tokens", {});
          tokens[answer.data.id] = answer.data.token;
          keep("khabar-tokens", tokens);
          text.value = "";
          setReply(null);
          status.textContent = answer.data.message || "";
          load();
        } else {
          error.textContent = (answer.data && answer.data.message) || t.failed;
          error.hidden = false;
        }
      }, function () { error.textContent = t.failed; error.hidden = false; });
    });
    return { node: node, banner: parentBanner, parentName: parentName, text: text };
  }

  function setReply(comment, item) {
    state.replyTo = comment;
    if (comment && item) {
      item.appendChild(form.node);
      form.parentName.textContent = comment.author;
      form.banner.hidden = false;
      form.text.focus();
    } else {
      root.insertBefore(form.node, list);
      form.parentName.textContent = "";
      form.banner.hidden = true;
    }
  }

  function renderComment(comment, parentAuthor, into) {
    var depth = Math.min(comment.depth, INDENT);
    var item = el("li", { "class": "comment comment--d" + depth + (comment.status === "pending" ? " comment--pending" : ""),
      id: "khabar-comment-" + comment.id, "data-id": comment.id });
    if (comment.removed) {
      item.appendChild(el("p", { "class": "comment__tombstone", text: t.removed }));
    } else {
      var meta = el("p", { "class": "comment__meta" }, [
        el("bdi", { "class": "comment__author", dir: "auto", text: comment.author }),
        document.createTextNode(" · "),
        el("time", { datetime: comment.created, text: new Date(comment.created).toLocaleString(pageLang) })
      ]);
      if (comment.edited) meta.appendChild(el("span", { "class": "comment__edited", text: " · " + t.edited }));
      if (comment.status === "pending") meta.appendChild(el("span", { "class": "comment__pending", text: " · " + t.pending }));
      item.appendChild(meta);
      if (comment.depth > INDENT && parentAuthor) {
        item.appendChild(el("p", { "class": "comment__replying-to" }, [
          document.createTextNode(t.replyingShort + " "),
          el("a", { href: "#khabar-comment-" + comment.parent }, [el("bdi", { dir: "auto", text: parentAuthor })])
        ]));
      }
      var body = el("div", { "class": "comment__body", dir: "auto" });
      body.innerHTML = comment.html; // sanitised by the server's allow-list when stored
      item.appendChild(body);
      item.appendChild(actionsFor(comment, item, body));
    }
    into.appendChild(item);
    comment.replies.forEach(function (reply) { renderComment(reply, comment.removed ? "" : comment.author, into); });
    if (comment.more) {
      var more = el("li", { "class": "comment-more comment--d1" }, [el("button", { type: "button", "class": "khabar-comments__more", text: t.moreReplies })]);
      more.firstChild.addEventListener("click", function () {
        call("GET", "/comments/" + comment.id + "/replies?after=" + encodeURIComponent(comment.more)).then(function (answer) {
          if (answer.status !== 200) return;
          var holder = document.createDocumentFragment();
          answer.data.replies.forEach(function (reply) { renderComment(reply, comment.author, holder); });
          more.parentNode.insertBefore(holder, more);
          if (answer.data.more) comment.more = answer.data.more; else more.remove();
        });
      });
      into.appendChild(more);
    }
  }

  function actionsFor(comment, item, body) {
    var bar = el("div", { "class": "comment__actions" });
    if (comment.status === "approved" && state.open) {
      bar.appendChild(el("a", { href: "#khabar-comment-form", "class": "comment__reply", text: t.reply, onclick: function (event) {
        event.preventDefault(); setReply(comment, item); } }));
    }
    if (comment.status === "approved") {
      var likes = el("button", { type: "button", "class": "comment__like", text: "♥ " + comment.likes });
      likes.addEventListener("click", function () {
        call("POST", "/comments/" + comment.id + "/like").then(function (answer) {
          if (answer.status === 200) likes.textContent = "♥ " + answer.data.likes;
        });
      });
      bar.appendChild(likes);
      bar.appendChild(el("button", { type: "button", "class": "comment__report", text: t.report, onclick: function () {
        call("POST", "/comments/" + comment.id + "/report", { reason: "" }).then(function () { status.textContent = t.reported; });
      } }));
    }
    if (comment.editable) {
      bar.appendChild(el("button", { type: "button", text: t.edit, onclick: function () {
        var area = el("textarea", { dir: "auto", rows: "4" });
        area.value = body.textContent;
        var save = el("button", { type: "button", text: t.save, onclick: function () {
          call("PATCH", "/comments/" + comment.id, { text: area.value }).then(function (answer) {
            if (answer.status === 200) load(); else status.textContent = answer.data.message || t.failed;
          });
        } });
        body.replaceChildren(area, save);
      } }));
      bar.appendChild(el("button", { type: "button", text: t.del, onclick: function () {
        if (!window.confirm(t.confirmDelete)) return;
        call("DELETE", "/comments/" + comment.id).then(function () { load(); });
      } }));
    }
    return bar;
  }

  function load(cursor) {
    var query = "?thread=" + encodeURIComponent(thread) + "&sort=" + state.sort + (cursor ? "&cursor=" + encodeURIComponent(cursor) : "");
    return call("GET", "/comments" + query).then(function (answer) {
      if (answer.status !== 200) { status.textContent = (answer.data && answer.data.message) || t.failed; return; }
      var data = answer.data;
      state.stamp = data.stamp;
      state.open = data.open;
      state.next = data.next;
      title.textContent = t.comments + " (" + data.count + ")";
      if (!cursor) { setReply(null); list.replaceChildren(); }
      data.comments.forEach(function (comment) { renderComment(comment, "", list); });
      if (!list.children.length) list.appendChild(el("li", { "class": "comment-list__empty", text: t.none }));
      moreButton.hidden = !data.next;
      form.node.hidden = !data.open;
      if (!data.open) status.textContent = t.closed;
      Array.prototype.forEach.call(sorts.children, function (a) {
        if (a.getAttribute("data-sort") === state.sort) a.setAttribute("aria-current", "true"); else a.removeAttribute("aria-current");
      });
    }, function () { status.textContent = t.failed; });
  }
  load();
})();
