// A marked-fuel file's page while it is processed (templates/filings/sales/file.html): polls the status URL each
// second and updates the progress bar and the counts, then reloads the page for the acknowledgement once the file
// has been processed. Without JavaScript the page refreshes itself (its meta refresh), which this replaces.
(function () {
  "use strict";
  var section = document.getElementById("sales-progress");
  if (!section || !window.fetch) { return; }
  var refresh = document.querySelector('meta[http-equiv="refresh"]');
  if (refresh) { refresh.parentNode.removeChild(refresh); }
  var bar = document.getElementById("sales-progress-bar");
  var url = section.getAttribute("data-status-url");

  function show(progress) {
    document.querySelectorAll("[data-progress]").forEach(function (element) {
      var key = element.getAttribute("data-progress");
      if (key in progress) { element.textContent = String(progress[key]); }
    });
    if (bar) { bar.value = progress.percent; bar.textContent = progress.percent + "%"; }
  }

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (progress) {
        if (!progress) { window.setTimeout(poll, 3000); return; }
        show(progress);
        if (progress.finished) { window.location.reload(); } else { window.setTimeout(poll, 1000); }
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 500);
})();
