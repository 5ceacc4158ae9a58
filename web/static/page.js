// Small behaviours any page may ask for with a data attribute (the CSP allows no inline
// script): data-print prints the page, data-autosubmit submits its form when changed,
// data-confirm asks before a form is sent.
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) window.print();
});
document.addEventListener("change", (event) => {
  const field = event.target.closest("[data-autosubmit]");
  if (field && field.form) field.form.submit();
});
document.addEventListener("submit", (event) => {
  const question = event.target.getAttribute("data-confirm");
  if (question && !window.confirm(question)) event.preventDefault();
});
