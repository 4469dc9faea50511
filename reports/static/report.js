// Draws every chart of the page from its JSON block with the shared plotly.min.js.
"use strict";

function drawCharts() {
  document.querySelectorAll("[data-chart]").forEach(function (element) {
    var spec = JSON.parse(document.getElementById(element.dataset.chart).textContent);
    Plotly.newPlot(element, spec.data, spec.layout, {
      displaylogo: false,
      displayModeBar: false, // the toolbar would cover labels; every chart has its table
      responsive: true,
    });
  });
}

function resizeCharts() {
  document.querySelectorAll("[data-chart]").forEach(function (element) {
    Plotly.Plots.resize(element);
  });
}

document.addEventListener("DOMContentLoaded", drawCharts);
window.addEventListener("beforeprint", resizeCharts);
window.addEventListener("afterprint", resizeCharts);
