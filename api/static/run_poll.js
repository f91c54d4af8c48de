// While a run job is queued or running, ask for its status every two seconds and reload the page
// when it is done (or failed). Plain script; without it the page can be reloaded by hand.
(function () {
  "use strict";
  var box = document.querySelector(".job[data-job]");
  if (!box || box.dataset.status === "failed") { return; }
  var label = box.querySelector(".job-status");
  function poll() {
    fetch("/lan/korning/jobb/" + box.dataset.job, { credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (job) {
        if (job.status === "done" || job.status === "failed") {
          // Back to the job's round (the default round may have moved on, e.g. after an approval).
          var day = box.dataset.round;
          window.location.assign(box.dataset.return ||
            ("/lan/korning" + (day ? "?datum=" + encodeURIComponent(day) : "")));
          return;
        }
        if (label) { label.textContent = job.status === "running" ? "pågår" : "i kö"; }
        window.setTimeout(poll, 2000);
      })
      .catch(function () { window.setTimeout(poll, 4000); });
  }
  window.setTimeout(poll, 1000);
})();
