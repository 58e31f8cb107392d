/* Live figures on the tourism levy return form: progressive enhancement only.
 *
 * The form works without this file (the server computes on "Review the return"). With it, each change of an
 * amount posts the form to data-compute-url, where the function that files the return computes the taxable
 * price, the levy and the amount payable; this file only writes the answers into the page (no arithmetic
 * here). CSP script-src 'self': no inline script, no eval.
 */
(function () {
  "use strict";

  function start(form) {
    var url = form.dataset.computeUrl;
    var status = form.querySelector("[data-live-status]");
    var timer = null;
    var sequence = 0;
    if (!url || !status || !window.fetch || !window.FormData) return;
    form.querySelector("[data-live-figures]").hidden = false;

    function show(answer) {
      var figures = answer.figures || {};
      Object.keys(figures).forEach(function (name) {
        var target = form.querySelector('[data-figure="' + name + '"]');
        if (target) target.textContent = figures[name];
      });
      var errors = Object.values(answer.errors || {});
      status.textContent = errors.length ? errors.join(" ") : "";
    }

    function compute() {
      var mine = ++sequence;
      var body = new FormData(form);
      body.delete("step");
      fetch(url, {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { "X-Requested-With": "fetch", Accept: "application/json" },
      })
        .then(function (response) {
          return response.ok ? response.json() : null;
        })
        .then(function (answer) {
          if (answer && mine === sequence) show(answer);
        })
        .catch(function () {
          /* offline or signed out: the review step still computes everything */
        });
    }

    form.addEventListener("input", function (event) {
      if (!event.target.hasAttribute("data-amount")) return;
      clearTimeout(timer);
      timer = setTimeout(compute, 300);
    });
    compute();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-levy-form]").forEach(start);
  });
})();
