/* khabar comments widget. Embed on a page of an allowed site:
     <script src="https://NEWS.SITE/static/khabar/comments.js" data-khabar-thread="site:NAME:PAGE" defer></script>
   Plain JavaScript, no framework, nothing inline (it runs under a strict host CSP: the host
   allows the news site in script-src, style-src and connect-src). Talks to /api/v1/ on the
   script's own origin, in the host page's language (<html lang>) and direction.
   This address is not versioned: it is cached for minutes; what it loads is versioned. */
(function () {
  "use strict";
  var script = document.currentScript || document.querySelector("script[data-khabar-thread]");
  if (!script) return;
  var thread = script.getAttribute("data-khabar-thread") || "";
  var base = new URL(script.src, location.href).origin;
  var api = base + "/api/v1";
  var pageLang = (document.documentElement.lang || "ar").toLowerCase();
  var lang = pageLang.split("-")[0];
  // The host page's language first; English when khabar has no catalogue for it.
  var acceptLanguage = pageLang + (lang !== pageLang ? ", " + lang : "") + ", en;q=0.1";
  // First paint, and what shows when the server cannot be reached; the server's
  // catalogues (any language with one) override these.
  var BUILTIN = {
    ar: { comments: "التعليقات", yours: "تعليقك", replyingTo: "أنت ترد على:", cancel: "إلغاء",
      name: "الاسم", email: "البريد الإلكتروني (اختياري، لا يُعرض أبدًا)", text: "التعليق",
      hint: "التنسيق: *مائل*، **عريض**، [رابط](https://…)، > اقتباس.",
      send: "أرسل التعليق", sending: "جارٍ الإرسال…", reply: "رد", like: "أعجبني",
      youLiked: "أعجبك هذا التعليق", report: "إبلاغ", edit: "تعديل", del: "حذف", save: "حفظ",
      more: "مزيد من التعليقات", moreReplies: "مزيد من الردود", pending: "بانتظار موافقة المشرف",
      pendingEdit: "تعديلك بانتظار موافقة المشرف", edited: "عُدّل", removed: "أُزيل هذا التعليق.",
      deleted: "حذف الكاتب هذا التعليق.", replyingShort: "ردًا على", closed: "التعليقات مغلقة.",
      none: "لا تعليقات بعد.", sort: "ترتيب التعليقات", oldest: "الأقدم", newest: "الأحدث",
      liked: "الأكثر إعجابًا", notify: "راسلني عندما يرد أحد على تعليقي",
      reported: "شكرًا لك: سيراجع المشرف هذا التعليق.", confirmDelete: "أتحذف تعليقك؟",
      failed: "تعذّر الاتصال بخادم التعليقات." },
    fa: { comments: "نظرها", yours: "نظر شما", replyingTo: "در پاسخ به:", cancel: "انصراف",
      name: "نام", email: "ایمیل (اختیاری، هرگز نمایش داده نمی‌شود)", text: "نظر",
      hint: "قالب‌بندی: *تأکید*، **پررنگ**، [پیوند](https://…)، > نقل‌قول.",
      send: "ارسال نظر", sending: "در حال ارسال…", reply: "پاسخ", like: "پسندیدم",
      youLiked: "این نظر را پسندیده‌اید", report: "گزارش تخلف", edit: "ویرایش", del: "حذف",
      save: "ذخیره", more: "نظرهای بیشتر", moreReplies: "پاسخ‌های بیشتر",
      pending: "در انتظار بازبینی", pendingEdit: "ویرایش شما در انتظار بازبینی است",
      edited: "ویرایش‌شده", removed: "این نظر حذف شد.", deleted: "نویسنده این نظر را حذف کرد.",
      replyingShort: "در پاسخ به", closed: "بخش نظرها بسته است.", none: "هنوز نظری ثبت نشده است.",
      sort: "مرتب‌سازی نظرها", oldest: "قدیمی‌ترین", newest: "جدیدترین", liked: "پرطرفدارترین",
      notify: "وقتی کسی پاسخ داد، به من ایمیل بزن", reported: "سپاس: ناظر این نظر را بررسی می‌کند.",
      confirmDelete: "نظرتان حذف شود؟", failed: "اتصال به سرور نظرها ممکن نشد." },
    en: { comments: "Comments", yours: "Your comment", replyingTo: "You are replying to:", cancel: "Cancel",
      name: "Name", email: "Email (optional, never shown)", text: "Comment",
      hint: "Formatting: *emphasis*, **bold**, [a link](https://…), > a quote.",
      send: "Post comment", sending: "Sending…", reply: "Reply", like: "Like",
      youLiked: "You like this comment", report: "Report", edit: "Edit", del: "Delete", save: "Save",
      more: "More comments", moreReplies: "More replies", pending: "awaiting moderation",
      pendingEdit: "your edit is awaiting moderation", edited: "edited",
      removed: "This comment was removed.", deleted: "The author deleted this comment.",
      replyingShort: "replying to", closed: "Comments are closed.", none: "No comments yet.",
      sort: "Sort comments", oldest: "Oldest", newest: "Newest", liked: "Most liked",
      notify: "Email me when someone replies",
      reported: "Thank you: a moderator will look at this comment.", confirmDelete: "Delete your comment?",
      failed: "Could not reach the comment server." }
  };
  var t = merge({}, BUILTIN[lang] || BUILTIN.en);
  var INDENT = 4;

  function merge(into, from) {
    Object.keys(from || {}).forEach(function (key) { into[key] = from[key]; });
    return into;
  }
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
  function answerOf(response) {
    if (response.status === 204) return { status: 204, data: {} };
    return response.json().then(function (data) { return { status: response.status, data: data || {} }; },
      function () { return { status: response.status, data: {} }; });
  }
  function call(method, path, body) {
    var headers = { "X-Khabar-Reader": reader, "Accept-Language": acceptLanguage };
    var tokens = tokenHeader();
    if (tokens) headers["X-Khabar-Tokens"] = tokens;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    return fetch(api + path, {
      method: method, headers: headers, mode: "cors", credentials: "omit",
      body: body === undefined ? undefined : JSON.stringify(body)
    }).then(answerOf);
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

  var direction = getComputedStyle(script.parentNode || document.body).direction || document.documentElement.dir || "rtl";
  var root = el("section", { "class": "comments khabar-comments", dir: direction, lang: pageLang, "aria-label": t.comments });
  script.parentNode.insertBefore(root, script.nextSibling);
  // Messages come from the server in the page's language; dir="auto" still sets a sentence
  // in the direction of its own script (its full stop at its end).
  var status = el("p", { "class": "khabar-comments__status", role: "status", dir: "auto", hidden: true });
  root.appendChild(status);
  function say(message, node) {
    node = node || status;
    node.textContent = message || "";
    node.hidden = !message;
  }

  // First ask whether this page may show the thread, and for the words in its language:
  // a plain GET (no preflight) that any origin may read, so a refusal can be said.
  fetch(api + "/widget?thread=" + encodeURIComponent(thread), {
    headers: { "Accept-Language": acceptLanguage }, mode: "cors", credentials: "omit"
  }).then(answerOf).then(function (answer) {
    var data = answer.data;
    merge(t, data.strings);
    root.setAttribute("aria-label", t.comments);
    if (data.css) {
      document.head.appendChild(el("link", { rel: "stylesheet", href: new URL(data.css, base).href }));
    }
    if (answer.status !== 200 || !data.allowed) {
      root.classList.add("khabar-comments--refused");
      say(data.message || t.failed);
      return;
    }
    start();
  }, function () { say(t.failed); });

  function start() {
    var state = { sort: "oldest", stamp: "", open: true, replyTo: null, next: null };
    var title = el("h2", { text: t.comments });
    var list = el("ol", { "class": "comment-list" });
    var moreButton = el("button", { type: "button", "class": "khabar-comments__more", text: t.more, hidden: true });
    var form = buildForm();
    var sorts = el("nav", { "class": "comments__sort", "aria-label": t.sort }, ["oldest", "newest", "liked"].map(function (name) {
      return el("a", { href: "#", "data-sort": name, text: t[name], onclick: function (event) {
        event.preventDefault(); state.sort = name; load(); } });
    }));
    root.insertBefore(title, status);
    root.insertBefore(sorts, status);
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
      var error = el("p", { "class": "comment-form__error", role: "alert", dir: "auto", hidden: true });
      var submit = el("button", { type: "submit", "class": "comment-form__submit", text: t.send });
      author.value = store("khabar-name", "");
      var node = el("form", { "class": "comment-form", id: "khabar-comment-form" }, [
        el("h3", { "class": "comment-form__title", text: t.yours }), parentBanner, error,
        el("p", { "class": "comment-form__field" }, [el("label", { text: t.name }, [author])]),
        el("p", { "class": "comment-form__field" }, [el("label", { text: t.email }, [email])]),
        el("p", { "class": "comment-form__trap", "aria-hidden": "true" }, [trap]),
        el("p", { "class": "comment-form__field" }, [el("label", { text: t.text }, [text])]),
        el("p", { "class": "comment-form__hint", text: t.hint }),
        el("p", { "class": "comment-form__field comment-form__check" }, [el("label", {}, [notify, document.createTextNode(" " + t.notify)])]),
        el("p", {}, [submit])
      ]);
      function done() { submit.disabled = false; submit.textContent = t.send; }
      node.addEventListener("submit", function (event) {
        event.preventDefault();
        if (submit.disabled) return;  // one comment per click, however many clicks
        say("", error);
        submit.disabled = true;
        submit.textContent = t.sending;
        keep("khabar-name", author.value);
        call("POST", "/comments", {
          thread: thread, parent: state.replyTo ? state.replyTo.id : null, author: author.value,
          email: email.value, text: text.value, notify: notify.checked, stamp: state.stamp, website: trap.value
        }).then(function (answer) {
          done();
          if (answer.status === 201 || answer.status === 202) {
            var tokens = store("khabar-tokens", {});
            tokens[answer.data.id] = answer.data.token;
            keep("khabar-tokens", tokens);
            text.value = "";
            setReply(null);
            load().then(function () { say(answer.data.message); });
          } else {
            say(answer.data.message || t.failed, error);
          }
        }, function () { done(); say(t.failed, error); });
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
        item.appendChild(el("p", { "class": "comment__tombstone", text: comment.status === "deleted" ? t.deleted : t.removed }));
      } else {
        var meta = el("p", { "class": "comment__meta" }, [
          el("bdi", { "class": "comment__author", dir: "auto", text: comment.author }),
          document.createTextNode(" · "),
          el("time", { datetime: comment.created, text: new Date(comment.created).toLocaleString(pageLang) })
        ]);
        if (comment.edited) meta.appendChild(el("span", { "class": "comment__edited", text: " · " + t.edited }));
        if (comment.status === "pending") meta.appendChild(el("span", { "class": "comment__pending", text: " · " + t.pending }));
        else if (comment.pending_edit) meta.appendChild(el("span", { "class": "comment__pending", text: " · " + t.pendingEdit }));
        item.appendChild(meta);
        if (comment.depth > INDENT && parentAuthor) {
          item.appendChild(el("p", { "class": "comment__replying-to" }, [
            document.createTextNode(t.replyingShort + " "),
            el("a", { href: "#khabar-comment-" + comment.parent }, [el("bdi", { dir: "auto", text: parentAuthor })])
          ]));
        }
        var body = el("div", { "class": "comment__body", dir: "auto" });
        body.innerHTML = comment.html; // rendered by the server's allow-list sanitiser
        item.appendChild(body);
        item.appendChild(actionsFor(comment, item, body));
      }
      into.appendChild(item);
      comment.replies.forEach(function (reply) { renderComment(reply, comment.removed ? "" : comment.author, into); });
      if (comment.more) {
        var button = el("button", { type: "button", "class": "khabar-comments__more", text: t.moreReplies });
        var more = el("li", { "class": "comment-more comment--d1" }, [button]);
        button.addEventListener("click", function () {
          button.disabled = true;
          call("GET", "/comments/" + comment.id + "/replies?after=" + encodeURIComponent(comment.more)).then(function (answer) {
            button.disabled = false;
            if (answer.status !== 200) { say(answer.data.message || t.failed); return; }
            var holder = document.createDocumentFragment();
            answer.data.replies.forEach(function (reply) { renderComment(reply, comment.author, holder); });
            more.parentNode.insertBefore(holder, more);
            if (answer.data.more) comment.more = answer.data.more; else more.remove();
          }, function () { button.disabled = false; say(t.failed); });
        });
        into.appendChild(more);
      }
    }

    // The visible words are the button's name (WCAG 2.5.3: a voice user says what they
    // see); being liked is the toggle's pressed state, not another name.
    function showLiked(button, likes, liked) {
      button.replaceChildren(el("span", { "aria-hidden": "true", text: "♥" }),
        document.createTextNode(" " + t.like + " " + likes));
      button.setAttribute("aria-pressed", liked ? "true" : "false");
      if (liked) button.title = t.youLiked; else button.removeAttribute("title");
      button.classList.toggle("comment__like--on", !!liked);
    }

    function actionsFor(comment, item, body) {
      var bar = el("div", { "class": "comment__actions" });
      if (comment.status === "approved" && state.open) {
        bar.appendChild(el("a", { href: "#khabar-comment-form", "class": "comment__reply", text: t.reply, onclick: function (event) {
          event.preventDefault(); setReply(comment, item); } }));
      }
      if (comment.status === "approved" && !comment.own) {
        var likes = el("button", { type: "button", "class": "comment__like" });
        showLiked(likes, comment.likes, comment.liked);
        likes.addEventListener("click", function () {
          if (likes.getAttribute("aria-pressed") === "true") return;
          likes.disabled = true;
          call("POST", "/comments/" + comment.id + "/like").then(function (answer) {
            likes.disabled = false;
            if (answer.status === 200) showLiked(likes, answer.data.likes, true);
            else if (answer.data.code === "already") showLiked(likes, comment.likes, true);
            else say(answer.data.message || t.failed);
          }, function () { likes.disabled = false; say(t.failed); });
        });
        bar.appendChild(likes);
        bar.appendChild(el("button", { type: "button", "class": "comment__report", text: t.report, onclick: function () {
          call("POST", "/comments/" + comment.id + "/report", { reason: "" }).then(function (answer) {
            say(answer.status === 202 ? t.reported : answer.data.message || t.failed);
          }, function () { say(t.failed); });
        } }));
      }
      if (comment.editable) {
        bar.appendChild(el("button", { type: "button", "class": "comment__edit", text: t.edit, onclick: function () {
          // What the author typed (their Markdown), not the rendered text.
          var area = el("textarea", { dir: "auto", rows: "4", "class": "comment__edit-text" });
          area.value = comment.text;
          var save = el("button", { type: "button", "class": "comment-form__submit comment__save", text: t.save, onclick: function () {
            save.disabled = true;
            call("PATCH", "/comments/" + comment.id, { text: area.value }).then(function (answer) {
              save.disabled = false;
              if (answer.status === 200) load().then(function () { say(answer.data.message); });
              else say(answer.data.message || t.failed);
            }, function () { save.disabled = false; say(t.failed); });
          } });
          var cancel = el("button", { type: "button", text: t.cancel, onclick: function () { load(); } });
          body.replaceChildren(area, el("p", { "class": "comment__edit-actions" }, [save, document.createTextNode(" "), cancel]));
          area.focus();
        } }));
        bar.appendChild(el("button", { type: "button", "class": "comment__delete", text: t.del, onclick: function () {
          if (!window.confirm(t.confirmDelete)) return;
          call("DELETE", "/comments/" + comment.id).then(function (answer) {
            if (answer.status === 204) load(); else say(answer.data.message || t.failed);
          }, function () { say(t.failed); });
        } }));
      }
      return bar;
    }

    function load(cursor) {
      var query = "?thread=" + encodeURIComponent(thread) + "&sort=" + state.sort + (cursor ? "&cursor=" + encodeURIComponent(cursor) : "");
      return call("GET", "/comments" + query).then(function (answer) {
        if (answer.status !== 200) { say(answer.data.message || t.failed); return; }
        var data = answer.data;
        state.stamp = data.stamp;
        state.open = data.open;
        state.next = data.next;
        title.textContent = t.comments + " (" + data.count + ")";
        if (!cursor) { say(""); setReply(null); list.replaceChildren(); }
        data.comments.forEach(function (comment) { renderComment(comment, "", list); });
        if (!list.children.length) list.appendChild(el("li", { "class": "comment-list__empty", text: t.none }));
        moreButton.hidden = !data.next;
        form.node.hidden = !data.open;
        if (!data.open) say(t.closed);
        Array.prototype.forEach.call(sorts.children, function (a) {
          if (a.getAttribute("data-sort") === state.sort) a.setAttribute("aria-current", "true"); else a.removeAttribute("aria-current");
        });
      }, function () { say(t.failed); });
    }
    load();
  }
})();
