/* Charts from server-generated ECharts options: every <div data-chart='{option json}'> is drawn with the
   SVG renderer in the product's theme, again after an htmx swap; a swapped-out chart is disposed. */
(function () {
  "use strict";

  // Line colours at 4.5:1 or more on white; text in the stylesheet's ink and muted colours.
  var INK = "#1b1f24", MUTED = "#4a5563", GRID = "#e5e7eb";
  var AXIS = {
    axisLine: { lineStyle: { color: MUTED } },
    axisTick: { lineStyle: { color: MUTED } },
    axisLabel: { color: MUTED },
    splitLine: { lineStyle: { color: GRID } },
    nameTextStyle: { color: MUTED }
  };
  var THEME = {
    color: ["#1d4ed8", "#b91c1c", "#166534", "#92400e", "#6d28d9", "#0e7490", "#be185d", "#374151"],
    textStyle: { color: INK, fontFamily: "system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', sans-serif" },
    legend: { textStyle: { color: INK } },
    tooltip: { backgroundColor: "#ffffff", borderColor: "#d4d9e0", textStyle: { color: INK } },
    timeAxis: AXIS,
    valueAxis: AXIS,
    categoryAxis: AXIS,
    line: { symbolSize: 5, lineStyle: { width: 2 } }
  };
  var registered = false;

  function draw(root) {
    if (typeof echarts === "undefined") return;
    if (!registered) {
      echarts.registerTheme("factory", THEME);
      registered = true;
    }
    var nodes = root.matches && root.matches("[data-chart]") ? [root] : [];
    root.querySelectorAll("[data-chart]").forEach(function (el) { nodes.push(el); });
    nodes.forEach(function (el) {
      if (echarts.getInstanceByDom(el)) return;
      var chart = echarts.init(el, "factory", { renderer: "svg" });
      chart.setOption(JSON.parse(el.dataset.chart));
    });
  }

  function dispose(root) {
    if (typeof echarts === "undefined" || !root.querySelectorAll) return;
    root.querySelectorAll("[data-chart]").forEach(function (el) {
      var chart = echarts.getInstanceByDom(el);
      if (chart) chart.dispose();
    });
  }

  window.addEventListener("resize", function () {
    if (typeof echarts === "undefined") return;
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var chart = echarts.getInstanceByDom(el);
      if (chart) chart.resize();
    });
  });
  document.addEventListener("htmx:beforeSwap", function (event) { dispose(event.detail.target); });
  document.addEventListener("htmx:load", function (event) { draw(event.detail.elt); });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { draw(document); });
  } else {
    draw(document);
  }
})();
