/* Draws every Plotly figure on the page from its JSON script element.
 * The figures are built on the server; this file only renders them and makes the
 * timeline's markers open their event. Without JavaScript the tables stand in. */
(function () {
  "use strict";

  function isLocalPath(url) {
    return typeof url === "string" && url.charAt(0) === "/" && url.charAt(1) !== "/";
  }

  function webglAvailable() {
    try {
      var canvas = document.createElement("canvas");
      return Boolean(canvas.getContext("webgl") || canvas.getContext("experimental-webgl"));
    } catch (error) {
      return false;
    }
  }

  /* Large timelines come as WebGL traces; without WebGL, draw them as SVG instead. */
  function withoutWebgl(data) {
    data.forEach(function (trace) {
      if (trace.type === "scattergl") {
        trace.type = "scatter";
      }
    });
    return data;
  }

  function draw(element) {
    var source = document.getElementById(element.dataset.figure);
    if (!source || !window.Plotly) {
      return;
    }
    var figure = JSON.parse(source.textContent);
    element.querySelectorAll(".chart-fallback").forEach(function (fallback) {
      fallback.remove();
    });
    var config = {
      responsive: true,
      displaylogo: false,
      modeBarButtonsToRemove: ["lasso2d", "select2d", "toImage"],
    };
    var data = webglAvailable() ? figure.data : withoutWebgl(figure.data);
    window.Plotly.newPlot(element, data, figure.layout, config).then(function () {
      element.classList.add("is-drawn");
      element.on("plotly_click", function (event) {
        var point = event.points && event.points[0];
        var url = point && point.customdata && point.customdata[0];
        if (isLocalPath(url)) {
          window.location.assign(url);
        }
      });
    });
  }

  function drawAll() {
    document.querySelectorAll("[data-figure]").forEach(draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
