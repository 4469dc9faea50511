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

// A run after these pages failed (static/run-status.js, see reports/freshness.py): say so first.
function showFailedRun() {
  var status = window.MENTORLENS_RUN_STATUS;
  var banner = document.getElementById("failed-run");
  if (!status || !banner || !status.failed_after || !status.failed_after.length) return;
  var latest = status.failed_after[status.failed_after.length - 1];
  var count = status.failed_after.length;
  banner.textContent =
    "These pages are from the last good run (built " + status.built_at + "). " +
    (count > 1 ? count + " runs have failed since; the latest, on " : "The latest run, on ") +
    latest.at + ", failed: " + latest.message;
  banner.hidden = false;
}

document.addEventListener("DOMContentLoaded", showFailedRun);
document.addEventListener("DOMContentLoaded", drawCharts);
window.addEventListener("beforeprint", forPrint);
window.addEventListener("afterprint", forScreen);
if (window.matchMedia) {
  var printing = window.matchMedia("print");
  var follow = function (query) { (query.matches ? forPrint : forScreen)(); };
  if (printing.addEventListener) printing.addEventListener("change", follow);
  else if (printing.addListener) printing.addListener(follow);
}
