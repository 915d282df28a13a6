// Draws the analytics dashboard's charts from the JSON the page carries
// (no inline script, so a strict Content-Security-Policy holds).
(function () {
  "use strict";
  var source = document.getElementById("analytics-charts");
  if (!source || typeof Chart === "undefined") return;
  var palette = ["#4f46e5", "#0ea5e9", "#10b981", "#f59e0b", "#ef4444", "#8b5cf6", "#14b8a6", "#f97316", "#64748b", "#ec4899", "#84cc16", "#06b6d4"];
  var charts = JSON.parse(source.textContent);
  charts.forEach(function (chart) {
    var canvas = document.getElementById("chart-" + chart.name);
    if (!canvas) return;
    var type = chart.type, horizontal = false;
    if (type === "bar-horizontal") { type = "bar"; horizontal = true; }
    var round = type === "pie" || type === "doughnut";
    var datasets = chart.datasets.map(function (set, i) {
      var colour = palette[i % palette.length];
      return Object.assign({}, set, {
        backgroundColor: round ? palette.slice(0, set.data.length) : colour,
        borderColor: round ? "#fff" : colour,
        fill: false,
        tension: 0.2,
        pointRadius: chart.labels.length > 60 ? 0 : 2
      });
    });
    var options = { responsive: true, maintainAspectRatio: false, animation: false, plugins: { legend: { display: datasets.length > 1 || round } } };
    if (!round) {
      options.indexAxis = horizontal ? "y" : "x";
      options.scales = { y: { beginAtZero: true } };
      if (datasets.some(function (d) { return d.yAxisID === "y1"; })) {
        options.scales.y1 = { beginAtZero: true, position: "right", grid: { drawOnChartArea: false } };
      }
    }
    new Chart(canvas, { type: type, data: { labels: chart.labels, datasets: datasets }, options: options });
  });
})();
