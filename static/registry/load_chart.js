// Draws each <canvas class="load-chart" data-points="ISO|MW;ISO|MW;…"> as a line chart of hourly load.
document.addEventListener("DOMContentLoaded", function () {
  if (typeof Chart === "undefined") { return; }
  document.querySelectorAll("canvas.load-chart").forEach(function (canvas) {
    var points = (canvas.dataset.points || "").split(";").filter(Boolean).map(function (pair) {
      var parts = pair.split("|");
      return { x: parts[0].slice(0, 16).replace("T", " "), y: parseFloat(parts[1]) };
    });
    new Chart(canvas, {
      type: "line",
      data: {
        labels: points.map(function (p) { return p.x; }),
        datasets: [{ label: canvas.getAttribute("aria-label"), data: points.map(function (p) { return p.y; }),
                     borderColor: "#b71c1c", borderWidth: 1, pointRadius: 0, fill: false }],
      },
      options: { animation: false, scales: { x: { ticks: { maxTicksLimit: 10 } }, y: { beginAtZero: true } } },
    });
  });
});
