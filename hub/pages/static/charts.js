// msht-hub dashboard charts: Vega-Lite specs drawn by vega-embed (vendored in /static/vendor, with
// their licences; nothing is fetched elsewhere) from the data table printed beside each chart, so
// the table stays the accessible, exact version and a chart never shows a figure the page does not.
// Runs under the hub's Content-Security-Policy (script-src 'self', no eval): expressions go through
// the vendored vega-interpreter, and no style element is injected (the styles are in dashboard.css).
(function () {
  "use strict";

  var FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
  var COLOURS = ["#1d5c96", "#c25e00", "#3b7d3b", "#6b3fa0"];
  var DASHES = [[1, 0], [6, 3], [2, 2], [8, 3, 2, 3]];
  var SHAPES = ["circle", "square", "triangle-up", "diamond"];
  var CONFIG = {
    font: FONT,
    view: { stroke: null },
    axis: { labelFontSize: 13, titleFontSize: 13, labelColor: "#1b1b1b", titleColor: "#1b1b1b", gridColor: "#e2e2e2", labelLimit: 0 },
    legend: { labelFontSize: 13, titleFontSize: 13, orient: "top", labelLimit: 0 },
    text: { fontSize: 13 },
    title: { fontSize: 14 }
  };

  function rows(table) {
    return Array.prototype.slice.call(table.querySelectorAll("tbody tr[data-row]")).map(function (tr, i) {
      var cell = tr.querySelector("td[data-value]");
      var raw = cell ? cell.getAttribute("data-value") : "";
      return {
        order: i,
        label: tr.querySelector("th").textContent.trim(),
        value: raw === "" ? null : Number(raw),
        display: cell ? cell.getAttribute("data-display") : ""
      };
    });
  }

  function embed(box, spec) {
    var options = {
      renderer: "svg",
      actions: false,
      defaultStyle: false,
      ast: true,
      expr: window.vegaExpressionInterpreter,
      tooltip: { disableDefaultStyle: true, theme: "msht" }
    };
    return window.vegaEmbed(box, spec, options).then(function () {
      box.setAttribute("data-drawn", "true");
    });
  }

  function barChart(box, table) {
    var data = rows(table);
    var percent = box.hasAttribute("data-percent");
    var unit = box.getAttribute("data-unit") || (percent ? "% filled in" : "count");
    var values = data.filter(function (d) { return d.value !== null; }).map(function (d) { return d.value; });
    var top = values.length ? Math.max.apply(null, values) : 1;
    var spec = {
      $schema: "https://vega.github.io/schema/vega-lite/v6.json",
      width: "container",
      height: { step: 26 },
      autosize: { type: "fit-x", contains: "padding" },
      data: { values: data },
      encoding: {
        y: {
          field: "label", type: "nominal", sort: null, title: null,
          scale: { domain: data.map(function (d) { return d.label; }) }, axis: { labelFontSize: 13, labelLimit: 0 }
        }
      },
      layer: [
        {
          mark: { type: "bar", color: COLOURS[0], cornerRadiusEnd: 2 },
          encoding: {
            x: {
              field: "value", type: "quantitative", title: unit,
              scale: percent ? { domain: [0, 100] } : { domainMin: 0, nice: true },
              axis: { tickMinStep: 1, tickCount: 5, format: percent ? "d" : ",d", labelFontSize: 13, titleFontSize: 13 }
            },
            tooltip: [
              { field: "label", type: "nominal", title: "Category" },
              { field: "display", type: "nominal", title: percent ? "Filled in" : "Figure" }
            ]
          }
        },
        {
          mark: { type: "text", align: "left", dx: 4, fontSize: 13, color: "#1b1b1b" },
          encoding: {
            x: { datum: 0, type: "quantitative" },
            text: { field: "display" },
            opacity: { condition: { test: "datum.value === null", value: 1 }, value: 0 },
            tooltip: [
              { field: "label", type: "nominal", title: "Category" },
              { field: "display", type: "nominal", title: "Figure" }
            ]
          }
        },
        {
          mark: { type: "text", align: "left", dx: 4, fontSize: 13, color: "#1b1b1b" },
          transform: [{ filter: "datum.value !== null && datum.value <= " + (top * 0.8) }],
          encoding: { x: { field: "value", type: "quantitative" }, text: { field: "display" } }
        },
        {
          mark: { type: "text", align: "right", dx: -4, fontSize: 13, color: "#ffffff" },
          transform: [{ filter: "datum.value !== null && datum.value > " + (top * 0.8) }],
          encoding: { x: { field: "value", type: "quantitative" }, text: { field: "display" } }
        }
      ],
      config: CONFIG
    };
    return embed(box, spec);
  }

  function lineChart(box, table) {
    var heads = Array.prototype.slice.call(table.querySelectorAll("thead th[data-series]"));
    var data = [];
    Array.prototype.slice.call(table.querySelectorAll("tbody tr[data-row]")).forEach(function (tr) {
      var quarter = tr.querySelector("th").textContent.trim();
      var cells = tr.querySelectorAll("td[data-value]");
      heads.forEach(function (h, j) {
        var raw = cells[j] ? cells[j].getAttribute("data-value") : "";
        data.push({
          quarter: quarter,
          series: h.textContent.trim(),
          value: raw === "" ? null : Number(raw),
          display: cells[j] ? cells[j].getAttribute("data-display") : ""
        });
      });
    });
    var names = heads.map(function (h) { return h.textContent.trim(); });
    var spec = {
      $schema: "https://vega.github.io/schema/vega-lite/v6.json",
      width: "container",
      height: 320,
      autosize: { type: "fit-x", contains: "padding" },
      data: { values: data },
      encoding: {
        x: { field: "quarter", type: "ordinal", title: "Quarter", axis: { labelAngle: 0, labelFontSize: 13 } },
        y: {
          field: "value", type: "quantitative", title: "count",
          scale: { domainMin: 0, nice: true }, axis: { tickMinStep: 1, format: ",d", labelFontSize: 13 }
        },
        color: { field: "series", type: "nominal", title: null, scale: { domain: names, range: COLOURS.slice(0, names.length) } },
        strokeDash: { field: "series", type: "nominal", title: null, scale: { domain: names, range: DASHES.slice(0, names.length) } },
        shape: { field: "series", type: "nominal", title: null, scale: { domain: names, range: SHAPES.slice(0, names.length) } },
        tooltip: [
          { field: "series", type: "nominal", title: "Series" },
          { field: "quarter", type: "ordinal", title: "Quarter" },
          { field: "display", type: "nominal", title: "Figure" }
        ]
      },
      layer: [
        { mark: { type: "line", strokeWidth: 2.5 }, transform: [{ filter: "datum.value !== null" }] },
        { mark: { type: "point", filled: true, size: 70 }, transform: [{ filter: "datum.value !== null" }] }
      ],
      config: CONFIG
    };
    return embed(box, spec);
  }

  function hotspotMap(svg) {
    var tip = document.querySelector("[data-map-tip]");
    Array.prototype.slice.call(svg.querySelectorAll(".cell")).forEach(function (cell) {
      function show() {
        cell.classList.add("hl");
        if (tip) { tip.textContent = cell.getAttribute("data-label") + ": " + cell.getAttribute("data-display"); }
      }
      function hide() { cell.classList.remove("hl"); }
      cell.addEventListener("mouseenter", show); cell.addEventListener("focus", show);
      cell.addEventListener("mouseleave", hide); cell.addEventListener("blur", hide);
    });
  }

  function init() {
    Array.prototype.slice.call(document.querySelectorAll(".chart[data-chart]")).forEach(function (box) {
      var table = document.getElementById(box.getAttribute("data-for"));
      if (!table || !window.vegaEmbed) { return; }
      var kind = box.getAttribute("data-chart");
      var drawn = kind === "line" ? lineChart(box, table) : barChart(box, table);
      drawn.catch(function (err) { box.setAttribute("data-failed", String(err)); });
    });
    Array.prototype.slice.call(document.querySelectorAll("svg[data-map]")).forEach(hotspotMap);
    Array.prototype.slice.call(document.querySelectorAll("[data-print]")).forEach(function (b) {
      b.addEventListener("click", function () { window.print(); });
    });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
}());
