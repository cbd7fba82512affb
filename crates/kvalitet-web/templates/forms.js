// Staff pages: asks before leaving a page whose form (marked data-unsaved-warning) has
// changes that were not sent. The pages work without it; it only guards typed work.
(function () {
  var changed = false;
  document.querySelectorAll("form[data-unsaved-warning]").forEach(function (form) {
    form.addEventListener("input", function () { changed = true; });
    form.addEventListener("change", function () { changed = true; });
    form.addEventListener("submit", function () { changed = false; });
  });
  window.addEventListener("beforeunload", function (event) {
    if (changed) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
})();
