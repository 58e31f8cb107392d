/* Live tax totals on the fuel tax return form: progressive enhancement only.
 *
 * The form works without this file (the server computes the tax on "Review the return"). With it, each change
 * of a litres box posts the form to data-compute-url, where the same service function that files the return
 * computes every line's tax and the total; this file only writes the answers into the page. No arithmetic
 * here: the server is the authority. CSP script-src 'self': no inline script, no eval.
 */
(function () {
  "use strict";

  function start(form) {
    var url = form.dataset.computeUrl;
    var total = form.querySelector("[data-return-total]");
    var hint = document.querySelector("[data-live-hint]");
    var timer = null;
    var sequence = 0;
    if (!url || !total || !window.fetch || !window.FormData) return;
    if (hint) hint.textContent = "The tax is shown as you type. The figures are confirmed on the review page.";

    function cell(name) {
      return form.querySelector('[data-tax-for="' + name + '"]');
    }

    function show(answer) {
      var lines = answer.lines || {};
      var errors = answer.errors || {};
      Object.keys(lines).forEach(function (name) {
        var target = cell(name);
        var input = form.elements.namedItem(name);
        if (!target) return;
        if (errors[name]) {
          target.textContent = errors[name];
          target.classList.add("field-error");
          if (input) input.setAttribute("aria-invalid", "true");
        } else {
          target.textContent = lines[name];
          target.classList.remove("field-error");
          if (input && !input.closest(".field--error")) input.removeAttribute("aria-invalid");
        }
      });
      total.textContent = answer.complete ? answer.total : answer.total + " (some boxes need correcting)";
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
      if (!event.target.hasAttribute("data-litres")) return;
      clearTimeout(timer);
      timer = setTimeout(compute, 300);
    });
    compute();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-return-form]").forEach(start);
  });
})();
