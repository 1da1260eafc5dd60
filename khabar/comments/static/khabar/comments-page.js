/* Story page: move the comment form under the comment being answered, without a reload.
   Without this script the "Reply" link reloads the page with ?reply=<id>, which also works. */
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

  function replyTo(link) {
    var item = link.closest("li.comment");
    if (!item) return;
    item.appendChild(form);
    parentInput.value = link.getAttribute("data-reply");
    nameSlot.textContent = link.getAttribute("data-name");
    banner.hidden = false;
    var text = form.querySelector("textarea");
    if (text) text.focus();
  }

  function reset() {
    home.insertBefore(form, homeNext);
    parentInput.value = "";
    nameSlot.textContent = "";
    banner.hidden = true;
  }

  section.addEventListener("click", function (event) {
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
})();
