// Charts of the statistics page, drawn with the vendored Apache ECharts. The same
// numbers are in the tables below (screen readers, printing); the charts only draw them.
(function () {
  "use strict";
  var source = document.getElementById("oversight-chart-data");
  if (!source || typeof echarts === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var red = "#b0161b";
  function make(id, option) {
    var el = document.getElementById(id);
    if (!el) { return; }
    var chart = echarts.init(el, null, { renderer: "canvas" });
    option.title = { text: el.getAttribute("data-title"), textStyle: { fontSize: 15 } };
    option.grid = { left: 48, right: 16, top: 64, bottom: 48, containLabel: true };
    chart.setOption(option);
    window.addEventListener("resize", function () { chart.resize(); });
  }
  make("chart-uses", {
    tooltip: { trigger: "axis" },
    legend: { type: "scroll", top: 28 },
    xAxis: { type: "category", data: data.months },
    yAxis: { type: "value", minInterval: 1 },
    series: data.uses.map(function (s) { return { name: s.name, type: "bar", stack: "uses", data: s.data }; })
  });
  make("chart-steps", {
    tooltip: { trigger: "axis" },
    xAxis: { type: "category", data: data.steps.map(function (s) { return s.name; }), axisLabel: { interval: 0, rotate: 30 } },
    yAxis: { type: "value", max: 100 },
    series: [{ type: "bar", itemStyle: { color: red }, data: data.steps.map(function (s) { return s.rate; }) }]
  });
  var rules = {};
  data.warnings.forEach(function (w) { rules[w.rule__name] = (rules[w.rule__name] || 0) + w.n; });
  make("chart-warnings", {
    tooltip: { trigger: "item" },
    series: [{ type: "pie", radius: ["35%", "65%"], data: Object.keys(rules).map(function (k) { return { name: k, value: rules[k] }; }) }]
  });
  make("chart-matters", {
    tooltip: { trigger: "axis" },
    xAxis: { type: "value", minInterval: 1 },
    yAxis: { type: "category", inverse: true, data: data.matters.map(function (m) { return m.name; }) },
    series: [{ type: "bar", itemStyle: { color: red }, data: data.matters.map(function (m) { return m.value; }) }]
  });
}());
