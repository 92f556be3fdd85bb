// The registration form, keyboard first: Ctrl/⌘+Enter submits from any field, Alt+1/2/3 picks the
// type (咨询/建议/投诉) and opens that type's section.
(function () {
  "use strict";
  var form = document.getElementById("intake-form");
  if (!form) { return; }
  var radios = form.querySelectorAll("input[name=kind]");
  function showKind(kind) {
    form.querySelectorAll(".kind-section").forEach(function (d) {
      d.classList.toggle("current", d.dataset.kind === kind);
    });
  }
  radios.forEach(function (r) {
    r.addEventListener("change", function () { showKind(r.value); });
    if (r.checked) { showKind(r.value); }
  });
  document.addEventListener("keydown", function (e) {
    if ((e.ctrlKey || e.metaKey) && e.key === "Enter") {
      e.preventDefault();
      if (form.requestSubmit) { form.requestSubmit(document.getElementById("submit")); } else { form.submit(); }
    } else if (e.altKey && ["1", "2", "3"].indexOf(e.key) >= 0) {
      var r = radios[Number(e.key) - 1];
      if (r) { e.preventDefault(); r.checked = true; r.dispatchEvent(new Event("change")); r.focus(); }
    }
  });
}());
