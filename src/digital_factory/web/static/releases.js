// Release pages: draw the evaluation charts, and show rollout percentages only when a rollout is chosen.
(function () {
  "use strict";

  function drawCharts(root) {
    if (typeof echarts === "undefined") return;
    root.querySelectorAll("[data-echarts]").forEach(function (el) {
      if (el.dataset.drawn) return;
      el.dataset.drawn = "1";
      var chart = echarts.init(el, null, { renderer: "svg" });
      chart.setOption(JSON.parse(el.dataset.echarts));
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }

  function syncServe(select) {
    var box = select.closest("fieldset");
    var rollout = box && box.querySelector("[data-rollout]");
    if (rollout) rollout.hidden = select.value !== "rollout";
  }

  function init(root) {
    drawCharts(root);
    root.querySelectorAll("[data-serve-select]").forEach(syncServe);
  }

  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("[data-serve-select]")) syncServe(event.target);
  });
  document.addEventListener("htmx:load", function (event) { init(event.detail.elt); });
  document.addEventListener("DOMContentLoaded", function () { init(document); });
})();
