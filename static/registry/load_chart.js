/* Draw a flag's load chart from the figures the page carries as JSON (#flag-chart-data, built by
   registry/selectors/loads.py flag_chart): the series in MW over local-time hours, the thresholds as dashed
   horizontal lines. Labels come translated from the server; without JavaScript (or without Chart.js) the page
   keeps its list of the figures instead. */
(function () {
  "use strict";

  var STYLES = {
    load: { color: "#b71c1c", width: 1.5 },
    sum: { color: "#b71c1c", width: 3 },
    parent: { color: "#1565c0", width: 1.5 },
    children: { color: "#2e7d32", width: 1.5 },
    threshold: { color: "#424242", width: 1.5, dash: [6, 4] },
    baseline: { color: "#1565c0", width: 2, dash: [6, 4] },
    recent: { color: "#e65100", width: 2, dash: [6, 4] }
  };
  // Members of a group: thin lines, told apart by colour.
  var MEMBER_COLOURS = ["#5c6bc0", "#26a69a", "#8d6e63", "#ab47bc", "#29b6f6", "#9ccc65", "#ffa726", "#78909c",
    "#ec407a", "#7e57c2", "#66bb6a", "#d4e157", "#26c6da", "#ff7043"];

  // "2026-11-12T18:00+05:00" -> the local wall time as a Date in UTC, so formatting needs no time zone.
  function wallTime(label) {
    return new Date(Date.UTC(+label.slice(0, 4), +label.slice(5, 7) - 1, +label.slice(8, 10),
      +label.slice(11, 13), +label.slice(14, 16)));
  }

  // Ticks at the first hour of a local day, every few days; within a short range, every 6 hours.
  function tickIndexes(labels) {
    var chosen = {};
    var days = labels.length ? (wallTime(labels[labels.length - 1]) - wallTime(labels[0])) / 864e5 : 0;
    if (days <= 2) {
      labels.forEach(function (label, i) { if (+label.slice(11, 13) % 6 === 0) { chosen[i] = true; } });
      return chosen;
    }
    var every = Math.max(1, Math.ceil(days / 10));
    var day = -1;
    var seen = "";
    labels.forEach(function (label, i) {
      if (label.slice(0, 10) !== seen) {
        seen = label.slice(0, 10);
        day += 1;
        if (day % every === 0) { chosen[i] = true; }
      }
    });
    return chosen;
  }

  function draw(canvas, spec) {
    var locale = spec.locale || document.documentElement.lang || "en";
    // English as written in Kazakhstan: day before month ("12 Nov"), as in Russian and Kazakh.
    var dates = locale === "en" ? "en-GB" : locale;
    var dayFormat = new Intl.DateTimeFormat(dates, { timeZone: "UTC", day: "numeric", month: "short" });
    var yearFormat = new Intl.DateTimeFormat(dates, { timeZone: "UTC", day: "numeric", month: "short", year: "numeric" });
    // "12 Nov 18:00": the hour comes from the label itself, already local.
    function tickText(label) { return dayFormat.format(wallTime(label)) + " " + label.slice(11, 16); }
    function tipText(label) { return yearFormat.format(wallTime(label)) + " " + label.slice(11, 16); }
    var numbers = new Intl.NumberFormat(locale, { maximumFractionDigits: 3 });
    var labels = spec.labels;
    var index = {};
    labels.forEach(function (label, i) { index[label] = i; });
    var ticks = tickIndexes(labels);

    function blank() { return labels.map(function () { return null; }); }

    var datasets = spec.series.map(function (series, n) {
      var style = STYLES[series.kind] || { color: MEMBER_COLOURS[n % MEMBER_COLOURS.length], width: 1 };
      var values = blank();
      series.points.forEach(function (point) {
        if (point[0] in index) { values[index[point[0]]] = point[1]; }
      });
      return {
        label: series.label, data: values, borderColor: style.color, backgroundColor: style.color,
        borderWidth: style.width, pointRadius: 0, pointHitRadius: 4, spanGaps: false, fill: false
      };
    });
    spec.thresholds.forEach(function (line) {
      var style = STYLES[line.kind] || STYLES.threshold;
      var values = blank();
      var from = line.start in index ? index[line.start] : 0;
      var to = line.end in index ? index[line.end] : labels.length - 1;
      for (var i = from; i <= to; i += 1) { values[i] = line.value_mw; }
      datasets.push({
        label: line.label, data: values, borderColor: style.color, backgroundColor: style.color,
        borderWidth: style.width, borderDash: style.dash, pointRadius: 0, pointHitRadius: 0, fill: false,
        isLevel: true
      });
    });

    return new window.Chart(canvas, {
      type: "line",
      data: { labels: labels, datasets: datasets },
      options: {
        locale: locale,
        animation: false,
        maintainAspectRatio: false,
        interaction: { mode: "index", intersect: false },
        plugins: {
          legend: { position: "bottom", labels: { boxHeight: 2 } },
          tooltip: {
            filter: function (item) { return !item.dataset.isLevel && item.parsed.y !== null; },
            callbacks: {
              title: function (items) { return items.length ? tipText(labels[items[0].dataIndex]) : ""; },
              label: function (item) {
                return item.dataset.label + ": " + numbers.format(item.parsed.y) + " " + spec.unit;
              }
            }
          }
        },
        scales: {
          x: {
            title: { display: true, text: spec.x_title },
            grid: { display: true },
            ticks: {
              autoSkip: false,
              maxRotation: 0,
              callback: function (value, i) { return ticks[i] ? tickText(labels[i]) : null; }
            }
          },
          y: {
            beginAtZero: true,
            title: { display: true, text: spec.y_title },
            ticks: { callback: function (value) { return numbers.format(value); } }
          }
        }
      }
    });
  }

  function drawAll() {
    var source = document.getElementById("flag-chart-data");
    var canvas = document.getElementById("flag-chart");
    if (!source || !canvas || typeof window.Chart === "undefined") {
      return;
    }
    canvas.parentElement.hidden = false;
    draw(canvas, JSON.parse(source.textContent));
    // The chart says what the list of figures said.
    document.querySelectorAll(".flag-chart-figures").forEach(function (list) { list.hidden = true; });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
