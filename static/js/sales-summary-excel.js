// The Sales Summary while its Excel workbook is built (templates/assessments/sales_summary.html): polls the
// export's status URL every two seconds, shows its state, and reloads the page once it is ready (or failed), which
// then offers the download. Without JavaScript the page refreshes itself (its meta refresh), which this replaces.
(function () {
  "use strict";
  var section = document.getElementById("sales-summary-excel");
  if (!section || !window.fetch) { return; }
  var refresh = document.querySelector('meta[http-equiv="refresh"]');
  if (refresh) { refresh.parentNode.removeChild(refresh); }
  var url = section.getAttribute("data-status-url");
  var state = section.querySelector("[data-excel-state]");

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (job) {
        if (!job) { window.setTimeout(poll, 5000); return; }
        if (state) { state.textContent = job.label; }
        if (job.finished) { window.location.reload(); } else { window.setTimeout(poll, 2000); }
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 1000);
})();
