// Live run page: follows /delivery/runs/<id>/events (server-sent events) and updates statuses and logs.
(function () {
  "use strict";
  var root = document.getElementById("run");
  if (!root || root.dataset.finished === "true" || !window.EventSource) { return; }
  var runId = root.dataset.runId;
  var initialStatus = root.dataset.status;

  function cursors() {
    var parts = [];
    document.querySelectorAll("pre[data-step-log]").forEach(function (pre) {
      parts.push(pre.dataset.stepLog + "." + pre.dataset.attempt + "." + pre.dataset.cursor);
    });
    return parts.join(",");
  }

  function setStatus(el, status) {
    if (!el || el.textContent === status) { return; }
    el.textContent = status;
    el.className = "status status-" + status;
  }

  var source = new EventSource("/delivery/runs/" + runId + "/events?c=" + encodeURIComponent(cursors()));

  source.addEventListener("status", function (event) {
    var data = JSON.parse(event.data);
    setStatus(document.querySelector("[data-run-status]"), data.run);
    Object.keys(data.stages).forEach(function (id) {
      setStatus(document.querySelector('[data-stage-status="' + id + '"]'), data.stages[id]);
    });
    Object.keys(data.steps).forEach(function (id) {
      var status = data.steps[id][0];
      setStatus(document.querySelector('[data-step-status="' + id + '"]'), status);
      if (status === "running") {
        var pre = document.querySelector('pre[data-step-log="' + id + '"]');
        if (pre && pre.parentElement) { pre.parentElement.open = true; }
      }
    });
    // a new gate or a finished run brings new buttons: show them
    if (data.run !== initialStatus && (data.run === "waiting" || initialStatus === "waiting")) {
      source.close();
      window.location.reload();
    }
  });

  source.addEventListener("log", function (event) {
    var data = JSON.parse(event.data);
    var pre = document.querySelector('pre[data-step-log="' + data.step + '"]');
    if (!pre) { return; }
    if (String(data.attempt) !== pre.dataset.attempt) {
      pre.textContent = "";
      pre.dataset.attempt = String(data.attempt);
    }
    var atBottom = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
    pre.appendChild(document.createTextNode(data.text));
    pre.dataset.cursor = String(data.cursor);
    if (atBottom) { pre.scrollTop = pre.scrollHeight; }
  });

  source.addEventListener("end", function () {
    source.close();
    window.location.reload();
  });
})();
