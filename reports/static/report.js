// Draws every chart of the page from its JSON block with the shared plotly.min.js.
"use strict";

// Narrow enough for the printable width of A4 and of Letter (see print.css).
var PRINT_WIDTH = 680;

function charts() {
  return document.querySelectorAll("[data-chart]");
}

function drawCharts() {
  charts().forEach(function (element) {
    var spec = JSON.parse(document.getElementById(element.dataset.chart).textContent);
    Plotly.newPlot(element, spec.data, spec.layout, {
      displaylogo: false,
      displayModeBar: false, // the toolbar would cover labels; every chart has its table
      responsive: true,
    });
  });
}

function forPrint() {
  charts().forEach(function (element) {
    if (element.data) Plotly.relayout(element, { width: PRINT_WIDTH, autosize: false });
  });
}

function forScreen() {
  charts().forEach(function (element) {
    if (element.data) Plotly.relayout(element, { width: null, autosize: true });
  });
}

document.addEventListener("DOMContentLoaded", drawCharts);
window.addEventListener("beforeprint", forPrint);
window.addEventListener("afterprint", forScreen);
if (window.matchMedia) {
  var printing = window.matchMedia("print");
  var follow = function (query) { (query.matches ? forPrint : forScreen)(); };
  if (printing.addEventListener) printing.addEventListener("change", follow);
  else if (printing.addListener) printing.addListener(follow);
}
