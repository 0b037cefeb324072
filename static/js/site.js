// Progressive enhancement only: every page works without this file.
// Move focus to the error summary, as the GOV.UK Design System does, so that screen reader
// users hear the problems first.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.querySelector(".error-summary");
  if (summary) {
    summary.focus();
  }
});
