// Long drop-downs (organisations) become searchable pickers: tom-select from npm, served by
// web/vendor. Mark a <select> with class="searchable"; without JavaScript it stays a select.
(function () {
  function enhance() {
    if (typeof TomSelect === "undefined") return;
    document.querySelectorAll("select.searchable").forEach(function (select) {
      if (select.tomselect || select.options.length < 12) return;
      new TomSelect(select, {
        maxOptions: null,
        allowEmptyOption: true,
        placeholder: select.dataset.placeholder || "",
        searchField: ["text", "value"],
      });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", enhance);
  else enhance();
})();
