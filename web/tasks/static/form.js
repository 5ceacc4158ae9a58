/* Repeating rows without a round trip (a courtesy: without JS the "Add row" and "Remove"
   buttons post the form and the server redraws it with every value kept). */
(function () {
  function renumber(node, from, to) {
    node.querySelectorAll("[name],[id],[for]").forEach(function (el) {
      ["name", "id", "for"].forEach(function (attr) {
        var v = el.getAttribute(attr);
        if (v) el.setAttribute(attr, v === from.slice(0, -1) ? to.slice(0, -1) : v.replace(from, to));
      });
    });
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[name=add_row], button[name=remove_row]");
    if (!button) return;
    var set = button.closest("fieldset.rows");
    if (!set) return;
    var rows = set.querySelectorAll(":scope > .row-item");
    if (button.name === "remove_row") {
      if (rows.length > 1) { event.preventDefault(); button.closest(".row-item").remove(); }
      return;
    }
    if (!rows.length) return;
    event.preventDefault();
    var last = rows[rows.length - 1];
    var prefix = set.getAttribute("data-rows") + "-";
    var indices = Array.prototype.map.call(rows, function (r) {
      return parseInt(r.getAttribute("data-row").slice(prefix.length), 10) || 0;
    });
    var next = Math.max.apply(null, indices) + 1;
    var oldName = last.getAttribute("data-row"), newName = prefix + next;
    var copy = last.cloneNode(true);
    copy.setAttribute("data-row", newName);
    renumber(copy, oldName + "-", newName + "-");
    copy.querySelector("button[name=remove_row]").value = newName;
    copy.querySelectorAll("input:not([type=radio]):not([type=checkbox]),textarea").forEach(function (el) { el.value = ""; });
    copy.querySelectorAll("input[type=radio],input[type=checkbox]").forEach(function (el) { el.checked = false; });
    copy.querySelectorAll("select").forEach(function (el) { el.selectedIndex = 0; });
    copy.querySelectorAll(".error").forEach(function (el) { el.remove(); });
    copy.querySelectorAll(".has-error").forEach(function (el) { el.classList.remove("has-error"); });
    var no = copy.querySelector(".row-no");
    if (no) no.textContent = rows.length + 1;
    last.after(copy);
    var first = copy.querySelector("input,textarea,select");
    if (first) first.focus();
  });
})();
