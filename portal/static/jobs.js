// Poll a background job shown on a page (CSP: no inline scripts); reload when it is done.
(function () {
  "use strict";
  var DONE = { finished: true, failed: true };
  function poll(box) {
    fetch(box.dataset.statusUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        var bar = box.querySelector("progress");
        if (bar) { bar.value = data.progress; bar.textContent = data.progress + "%"; }
        var msg = box.querySelector(".job-message");
        if (msg) { msg.textContent = data.status_label + " · " + data.progress + "% " + (data.message || ""); }
        if (DONE[data.status]) { window.location.reload(); } else { window.setTimeout(function () { poll(box); }, 1500); }
      })
      .catch(function () { window.setTimeout(function () { poll(box); }, 5000); });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".job-box").forEach(function (box) {
      if (!DONE[box.dataset.status]) { poll(box); }
    });
  });
})();
