/* Story page: move the comment form under the comment being answered, without a reload,
   and bring in "More replies" in place. Without this script the "Reply" link reloads the
   page with ?reply=<id> and "More replies" opens the replies page, which also works. */
(function () {
  "use strict";
  var form = document.getElementById("comment-form");
  var section = document.getElementById("comments");
  if (!form || !section) return;
  var home = form.parentNode;
  var homeNext = form.nextSibling;
  var parentInput = form.querySelector("input[name=parent]");
  var banner = form.querySelector(".comment-form__replying");
  var nameSlot = form.querySelector(".comment-form__parent");
  var cancel = form.querySelector(".comment-form__cancel");
  var text = form.querySelector("textarea");
  // The Reply link that opened the form: Cancel gives focus back to it.
  var opener = null;

  // Where the reader's keyboard goes: into the reply's text box (its description says whom
  // it answers), and back to the Reply link on cancel.
  function replyTo(link) {
    var item = link.closest("li.comment");
    if (!item) return;
    opener = link;
    item.appendChild(form);
    parentInput.value = link.getAttribute("data-reply");
    nameSlot.textContent = link.getAttribute("data-name");
    banner.hidden = false;
    if (text) {
      text.setAttribute("aria-describedby", banner.id);
      text.focus();
    }
  }

  function reset() {
    home.insertBefore(form, homeNext);
    parentInput.value = "";
    nameSlot.textContent = "";
    banner.hidden = true;
    if (text) text.removeAttribute("aria-describedby");
    if (opener && document.contains(opener)) opener.focus();
    opener = null;
  }

  // The replies page lists the top-level comment, then the next replies (and its own
  // "More replies" if still more follow): those not on the page yet take the link's place.
  function moreReplies(link) {
    var slot = link.closest("li.comment-more");
    link.setAttribute("aria-busy", "true");
    fetch(link.href, { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.text();
      })
      .then(function (html) {
        var found = new DOMParser().parseFromString(html, "text/html");
        var items = found.querySelectorAll("ol.comment-list > li");
        var added = 0;
        Array.prototype.forEach.call(items, function (item) {
          if (item.id && document.getElementById(item.id)) return;
          slot.parentNode.insertBefore(document.importNode(item, true), slot);
          added += 1;
        });
        slot.remove();
        if (!added) location.href = link.href;
      })
      .catch(function () { location.href = link.href; });
  }

  section.addEventListener("click", function (event) {
    var more = event.target.closest("li.comment-more a[data-more]");
    if (more) {
      event.preventDefault();
      moreReplies(more);
      return;
    }
    var link = event.target.closest("a.comment__reply");
    if (link) {
      event.preventDefault();
      replyTo(link);
      history.replaceState(null, "", "?reply=" + link.getAttribute("data-reply") + "#comment-form");
      return;
    }
    if (event.target.closest("a.comment-form__cancel")) {
      event.preventDefault();
      reset();
      history.replaceState(null, "", location.pathname + "#comments");
    }
  });
  if (cancel && !parentInput.value) banner.hidden = true;
  // After posting (or deleting) the page comes back with a notice: focus it, so a screen
  // reader reads it (a live region already filled at load is not announced) and the keyboard
  // goes on from there. A like, a report or an edit comes back to its comment and stays.
  var notice = section.querySelector(".comments__notice");
  // On "load": Chromium's scroll to the address's #fragment, which comes after this script,
  // would clear a focus given earlier.
  if (notice && !/--(liked|reported|edited)\b/.test(notice.className)) {
    window.addEventListener("load", function () { notice.focus(); });
  }
})();
