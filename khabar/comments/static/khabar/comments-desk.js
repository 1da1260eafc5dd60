/* Keyboard moderation on the desk's comment list: j/k move, x selects, a/r/s apply. */
(function () {
  "use strict";
  var rows = Array.prototype.slice.call(document.querySelectorAll("#result_list tbody tr"));
  if (!rows.length) return;
  var current = -1;
  var actionsByKey = { a: "approve", r: "reject", s: "spam" };
  function focusRow(i) {
    if (i < 0 || i >= rows.length) return;
    if (current >= 0) rows[current].classList.remove("khabar-current");
    current = i;
    rows[i].classList.add("khabar-current");
    var box = rows[i].querySelector("input.action-select");
    if (box) box.focus();
  }
  document.addEventListener("keydown", function (event) {
    var tag = (event.target.tagName || "").toLowerCase();
    if ((tag === "input" && event.target.type !== "checkbox") || tag === "textarea" || tag === "select") return;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var key = event.key;
    if (key === "j") { focusRow(current + 1); event.preventDefault(); }
    else if (key === "k") { focusRow(current - 1); event.preventDefault(); }
    else if (key === "x" && current >= 0) {
      var box = rows[current].querySelector("input.action-select");
      if (box) box.click();
      event.preventDefault();
    } else if (actionsByKey[key]) {
      var select = document.querySelector("select[name=action]");
      var form = document.getElementById("changelist-form");
      if (!select || !form) return;
      if (current >= 0 && !document.querySelector("input.action-select:checked")) {
        rows[current].querySelector("input.action-select").click();
      }
      if (!document.querySelector("input.action-select:checked")) return;
      select.value = actionsByKey[key];
      form.submit();
      event.preventDefault();
    }
  });
})();
