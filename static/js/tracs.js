/* Small enhancements only: every page works without this file. */
(function () {
  "use strict";
  // Focus the error summary so screen readers announce it.
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.querySelector("[data-error-summary]");
    if (summary) summary.focus();
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
    startIdleWarning();
  });

  // Sessions end after 15 minutes idle (server-side); warn two minutes before and offer to stay.
  function startIdleWarning() {
    var body = document.body;
    var idle = parseInt(body.dataset.idleSeconds || "0", 10);
    if (!idle) return;
    var warning = document.getElementById("idle-warning");
    var stay = document.getElementById("idle-stay");
    var warnTimer, endTimer;
    function schedule() {
      clearTimeout(warnTimer); clearTimeout(endTimer);
      warnTimer = setTimeout(function () { warning.hidden = false; stay.focus(); }, Math.max(idle - 120, 1) * 1000);
      endTimer = setTimeout(function () {
        window.location.href = body.dataset.signinUrl + "?next=" + encodeURIComponent(window.location.pathname);
      }, idle * 1000);
    }
    stay.addEventListener("click", function () {
      fetch(body.dataset.keepaliveUrl, { credentials: "same-origin" }).then(function (response) {
        if (response.status === 204) { warning.hidden = true; schedule(); }
        else { window.location.href = body.dataset.signinUrl; }
      });
    });
    schedule();
  }
})();
