// Poll the status of documents still being generated (CSP: no inline scripts).
(function () {
  "use strict";
  var DONE = { ready: true, failed: true };
  function update(row, data) {
    row.dataset.status = data.status;
    var bar = row.querySelector(".doc-progress");
    if (bar) { bar.value = data.progress; bar.textContent = data.progress + "%"; }
    var pct = row.querySelector(".doc-pct");
    if (pct) { pct.textContent = data.progress + "%"; }
    var st = row.querySelector(".doc-status");
    if (st) {
      st.textContent = "";
      var badge = document.createElement("span");
      badge.className = "badge";
      badge.textContent = data.status_label;
      st.appendChild(badge);
      if (data.error) {
        var err = document.createElement("span");
        err.className = "muted";
        err.textContent = " " + data.error.slice(0, 100);
        st.appendChild(err);
      }
    }
    var link = row.querySelector(".doc-link");
    if (link && data.download_url && !link.querySelector("a")) {
      var a = document.createElement("a");
      a.className = "btn";
      a.href = data.download_url;
      a.textContent = link.dataset.label || "下载";  // the label in the page's language, from the template
      link.appendChild(a);
    }
  }
  function poll() {
    var rows = document.querySelectorAll("tr.doc-row");
    var pending = 0;
    rows.forEach(function (row) {
      if (DONE[row.dataset.status]) { return; }
      pending += 1;
      fetch(row.dataset.statusUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) { if (data) { update(row, data); } })
        .catch(function () {});
    });
    if (pending) { window.setTimeout(poll, 1500); }
  }
  document.addEventListener("DOMContentLoaded", poll);
})();
