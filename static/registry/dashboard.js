/* Draw the dashboard's charts from the figures the page carries as JSON (#dashboard-data).
   Without JavaScript, or without Chart.js, the charts stay hidden and the tables say it all. */
(function () {
  "use strict";

  var COLOURS = {
    // legal status
    licensed: "#2e7d32",
    pending: "#f9a825",
    licence_lapsed: "#8d6e63",
    suspected_illegal: "#ef6c00",
    illegal: "#c62828",
    closed_voluntarily: "#5c6bc0",
    cancelled: "#37474f",
    // enforcement outcomes
    voluntary_closure: "#5c6bc0",
    operation_cancelled: "#37474f",
    // capacity against load
    licensed_mw: "#2e7d32",
    suspected_load_mw: "#ef6c00",
    // flag severity
    high: "#c62828",
    medium: "#f9a825",
    low: "#90a4ae"
  };
  var FALLBACK = "#79aec8";

  function draw(canvas, spec, locale) {
    var numbers = new Intl.NumberFormat(locale, { maximumFractionDigits: 1 });
    return new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: spec.labels,
        datasets: spec.datasets.map(function (dataset) {
          return {
            label: dataset.label,
            data: dataset.data,
            backgroundColor: COLOURS[dataset.key] || FALLBACK
          };
        })
      },
      options: {
        locale: locale,
        maintainAspectRatio: false,
        animation: false,
        plugins: {
          legend: { position: "bottom" },
          tooltip: {
            callbacks: {
              label: function (item) {
                return item.dataset.label + ": " + numbers.format(item.parsed.y) + " " + spec.unit;
              }
            }
          }
        },
        scales: {
          x: { stacked: spec.stacked, ticks: { autoSkip: false, maxRotation: 60 } },
          y: {
            stacked: spec.stacked,
            beginAtZero: true,
            title: { display: true, text: spec.unit },
            ticks: { callback: function (value) { return numbers.format(value); } }
          }
        }
      }
    });
  }

  function drawAll() {
    var source = document.getElementById("dashboard-data");
    if (!source || typeof window.Chart === "undefined") {
      return;
    }
    var figures = JSON.parse(source.textContent);
    Object.keys(figures.charts).forEach(function (name) {
      var canvas = document.getElementById("chart-" + name);
      var spec = figures.charts[name];
      // Nothing to draw (no rows, or every figure 0): the table and its text say so.
      if (!canvas || !spec.datasets.some(function (d) { return d.data.some(function (v) { return v > 0; }); })) {
        return;
      }
      canvas.parentElement.hidden = false;
      draw(canvas, spec, figures.locale);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
