// msht-hub: move focus to a form's error summary when a page is drawn again with problems
// (GOV.UK Design System pattern), so keyboard and screen-reader users hear it first.
document.addEventListener("DOMContentLoaded", () => {
  const summary = document.querySelector("[data-error-summary]");
  if (summary) summary.focus();
});
