// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  var target = document.body.getAttribute("data-quick-exit");
  function quickExit(event) {
    if (event) { event.preventDefault(); }
    // replace(), not assign(): the page we leave is not kept in history, so Back does not return to it.
    try { document.body.innerHTML = ""; document.title = ""; } catch (e) { /* nothing to hide */ }
    window.location.replace(target);
  }
  var button = document.getElementById("quick-exit");
  if (button) { button.addEventListener("click", quickExit); }
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { quickExit(event); }
  });
  var language = document.getElementById("lang-select");
  if (language && language.form) {
    language.addEventListener("change", function () { language.form.submit(); });
  }
  document.querySelectorAll("[data-copy]").forEach(function (el) {
    el.addEventListener("click", function () {
      var source = document.getElementById(el.getAttribute("data-copy"));
      if (source && navigator.clipboard) { navigator.clipboard.writeText(source.textContent.trim()); }
    });
  });
})();
