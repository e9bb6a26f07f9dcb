/* Teams area charts: the topology graph (/teams) and the cognitive-load trend (/teams/{key}).
   Data comes from <script type="application/json"> blocks rendered by the server (no inline scripts). */
(function () {
  "use strict";

  var TYPE_COLORS = {
    "stream-aligned": "#f5c542",
    "platform": "#5b8def",
    "enabling": "#b57edc",
    "complicated-subsystem": "#f08c3c"
  };

  function readJson(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  // A tooltip shows what people typed (team names, an interaction's purpose) as text: ECharts puts a
  // formatter's answer into the page as HTML, and a string formatter also fills in {a}, {b} and {c}.
  function plain(text) {
    return function () { return echarts.format.encodeHTML(text); };
  }

  function edgeStyle(mode) {
    if (mode === "collaboration") {
      return { lineStyle: { width: 4, type: "solid", color: "#475569" }, symbol: ["none", "none"] };
    }
    if (mode === "facilitating") {
      return { lineStyle: { width: 2, type: "dashed", color: "#7c3aed" }, symbol: ["none", "arrow"] };
    }
    return { lineStyle: { width: 2, type: "solid", color: "#1d4ed8" }, symbol: ["none", "arrow"] };
  }

  function topology(element, data) {
    var chart = echarts.init(element, null, { renderer: "svg" });
    var nodes = data.teams.map(function (team) {
      return {
        id: team.key,
        name: team.name,
        value: team.key,
        symbolSize: 36 + Math.min(team.members, 9) * 3,
        itemStyle: {
          color: TYPE_COLORS[team.team_type] || "#94a3b8",
          borderColor: team.warnings ? "#b91c1c" : "#334155",
          borderWidth: team.warnings ? 3 : 1
        },
        tooltip: { formatter: plain(team.name + " (" + team.team_type + "), " + team.members + " member(s)") }
      };
    });
    var links = data.interactions.map(function (link) {
      // x-as-a-service: the arrow points at the provider; facilitating: at the team being helped
      var style = edgeStyle(link.mode);
      return {
        source: link.team,
        target: link.with_team,
        label: { show: true, formatter: link.label, fontSize: 11, color: "#1b1f24" },
        lineStyle: style.lineStyle,
        symbol: style.symbol,
        tooltip: { formatter: plain(link.team + " " + link.label + " " + link.with_team + (link.purpose ? ": " + link.purpose : "")) }
      };
    });
    chart.setOption({
      animation: false,
      tooltip: { confine: true },
      series: [{
        type: "graph",
        layout: "circular",
        circular: { rotateLabel: false },
        roam: false,
        label: { show: true, position: "bottom", fontSize: 12, color: "#1b1f24" },
        edgeSymbolSize: 10,
        edgeLabel: { show: true },
        lineStyle: { curveness: 0.15 },
        emphasis: { focus: "adjacency" },
        data: nodes,
        links: links
      }]
    });
    chart.on("click", function (params) {
      if (params.dataType === "node") {
        window.location.href = "/teams/" + encodeURIComponent(params.data.id);
      }
    });
    return chart;
  }

  function loadTrend(element, data) {
    var chart = echarts.init(element, null, { renderer: "svg" });
    function series(name, values, main) {
      return {
        name: name,
        type: "line",
        data: values,
        symbolSize: main ? 8 : 5,
        lineStyle: { width: main ? 3 : 1.5, type: main ? "solid" : "dashed" },
        label: { show: main, position: "top", formatter: function (p) { return p.value.toFixed(1); } }
      };
    }
    var index = series("Cognitive-load index", data.index, true);
    index.markArea = {
      silent: true,
      itemStyle: { opacity: 0.08 },
      data: [
        [{ yAxis: 0, itemStyle: { color: "#16a34a" } }, { yAxis: 40 }],
        [{ yAxis: 40, itemStyle: { color: "#f59e0b" } }, { yAxis: 60 }],
        [{ yAxis: 60, itemStyle: { color: "#dc2626" } }, { yAxis: 100 }]
      ]
    };
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { bottom: 0 },
      grid: { left: 40, right: 20, top: 30, bottom: 60 },
      xAxis: { type: "category", data: data.periods },
      yAxis: { type: "value", min: 0, max: 100, name: "load" },
      series: [
        index,
        series("Intrinsic", data.intrinsic, false),
        series("Extraneous", data.extraneous, false),
        series("Germane (no room to learn)", data.germane, false)
      ]
    });
    return chart;
  }

  function start() {
    if (typeof echarts === "undefined") {
      return;
    }
    var charts = [];
    var graph = readJson("topology-data");
    var topologyElement = document.getElementById("topology");
    if (graph && topologyElement) {
      charts.push(topology(topologyElement, graph));
    }
    var load = readJson("load-data");
    var loadElement = document.getElementById("load-chart");
    if (load && loadElement) {
      charts.push(loadTrend(loadElement, load));
    }
    window.addEventListener("resize", function () {
      charts.forEach(function (chart) { chart.resize(); });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
