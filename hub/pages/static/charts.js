/* msht-hub charts: hand-written SVG bar and line charts drawn from the data tables beside them,
   and the interactive hotspot map. No libraries, nothing fetched: the table is the data, and the
   accessible version of every chart. Suppressed figures are drawn as hatched stubs, never as a
   number they are not. */
(function () {
  "use strict";
  var NS = "http://www.w3.org/2000/svg";

  function el(name, attrs, parent) {
    var node = document.createElementNS(NS, name);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, String(attrs[k])); });
    if (parent) { parent.appendChild(node); }
    return node;
  }

  function title(node, text) { el("title", {}, node).textContent = text; }

  function readCell(td) {
    var raw = td.getAttribute("data-value");
    return { value: raw === "" || raw === null ? null : Number(raw), display: td.getAttribute("data-display") || td.textContent.trim() };
  }

  function linkRow(shape, row) {
    function on() { row.classList.add("hl"); shape.classList.add("hl"); }
    function off() { row.classList.remove("hl"); shape.classList.remove("hl"); }
    shape.addEventListener("mouseenter", on); shape.addEventListener("mouseleave", off);
    shape.addEventListener("focus", on); shape.addEventListener("blur", off);
    row.addEventListener("mouseenter", on); row.addEventListener("mouseleave", off);
  }

  function ensureHatch(svg) {
    var defs = el("defs", {}, svg);
    var p = el("pattern", { id: "hatch-" + Math.random().toString(36).slice(2), width: 6, height: 6, patternUnits: "userSpaceOnUse", patternTransform: "rotate(45)" }, defs);
    el("rect", { width: 6, height: 6, "class": "hatch-bg" }, p);
    el("line", { x1: 0, y1: 0, x2: 0, y2: 6, "class": "hatch-line" }, p);
    return p.getAttribute("id");
  }

  function barChart(box, table) {
    var rows = Array.prototype.slice.call(table.querySelectorAll("tbody tr[data-row]"));
    var percent = box.hasAttribute("data-percent");
    var data = rows.map(function (tr) {
      var c = readCell(tr.querySelector("td"));
      return { label: tr.querySelector("th").textContent.trim(), value: c.value, display: c.display, row: tr };
    });
    var max = percent ? 100 : Math.max.apply(null, data.map(function (d) { return d.value || 0; }).concat([1]));
    var rowH = 22, labelW = 170, width = 460, barW = width - labelW - 70;
    var svg = el("svg", { viewBox: "0 0 " + width + " " + (data.length * rowH + 6), "class": "bar-chart", "aria-hidden": "true", focusable: "false" });
    var hatch = ensureHatch(svg);
    data.forEach(function (d, i) {
      var y = i * rowH + 3;
      var g = el("g", { "class": "bar", tabindex: 0 }, svg);
      var text = el("text", { x: labelW - 6, y: y + 15, "text-anchor": "end", "class": "bar-label" }, g);
      text.textContent = d.label.length > 26 ? d.label.slice(0, 25) + "…" : d.label;
      if (d.value === null) {
        el("rect", { x: labelW, y: y + 3, width: 14, height: rowH - 8, fill: "url(#" + hatch + ")", "class": "bar-suppressed" }, g);
        el("text", { x: labelW + 20, y: y + 15, "class": "bar-value muted" }, g).textContent = d.display;
      } else {
        var w = Math.max(d.value > 0 ? 2 : 0, barW * d.value / max);
        el("rect", { x: labelW, y: y + 3, width: w.toFixed(1), height: rowH - 8, "class": "bar-fill" }, g);
        el("text", { x: labelW + w + 5, y: y + 15, "class": "bar-value" }, g).textContent = d.display;
      }
      title(g, d.label + ": " + d.display);
      linkRow(g, d.row);
    });
    box.appendChild(svg);
  }

  function lineChart(box, table) {
    var heads = Array.prototype.slice.call(table.querySelectorAll("thead th[data-series]"));
    var rows = Array.prototype.slice.call(table.querySelectorAll("tbody tr[data-row]"));
    var labels = rows.map(function (tr) { return tr.querySelector("th").textContent.trim(); });
    var series = heads.map(function (th, j) {
      return { name: th.textContent.trim(), points: rows.map(function (tr) { return readCell(tr.querySelectorAll("td")[j]); }) };
    });
    var max = 1;
    series.forEach(function (s) { s.points.forEach(function (p) { if (p.value !== null && p.value > max) { max = p.value; } }); });
    var W = 640, H = 280, L = 48, R = 40, T = 22, B = 40;
    var svg = el("svg", { viewBox: "0 0 " + W + " " + H, "class": "line-chart", "aria-hidden": "true", focusable: "false" });
    var x = function (i) { return L + (labels.length < 2 ? 0 : i * (W - L - R) / (labels.length - 1)); };
    var y = function (v) { return H - B - v * (H - T - B) / max; };
    for (var k = 0; k <= 4; k++) {
      var v = Math.round(max * k / 4);
      el("line", { x1: L, x2: W - R, y1: y(v), y2: y(v), "class": "grid-line" }, svg);
      el("text", { x: L - 6, y: y(v) + 4, "text-anchor": "end", "class": "axis" }, svg).textContent = String(v);
    }
    labels.forEach(function (q, i) {
      el("text", { x: x(i), y: H - B + 18, "text-anchor": "middle", "class": "axis" }, svg).textContent = q;
    });
    series.forEach(function (s, j) {
      var d = "", pen = false;
      s.points.forEach(function (p, i) {
        if (p.value === null) { pen = false; return; }
        d += (pen ? " L" : " M") + x(i).toFixed(1) + " " + y(p.value).toFixed(1);
        pen = true;
      });
      el("path", { d: d.trim() || "M0 0", "class": "series series-" + j }, svg);
      s.points.forEach(function (p, i) {
        var dot = el("circle", { cx: x(i), cy: p.value === null ? H - B : y(p.value), r: 4, tabindex: 0, "class": "dot series-" + j + (p.value === null ? " suppressed" : "") }, svg);
        title(dot, s.name + ", " + labels[i] + ": " + p.display);
        linkRow(dot, rows[i]);
      });
      var key = el("g", { "class": "legend-item" }, svg);
      el("rect", { x: L + j * 170, y: 2, width: 12, height: 4, "class": "swatch-line series-" + j }, key);
      el("text", { x: L + j * 170 + 16, y: 8, "class": "axis" }, key).textContent = s.name;
    });
    box.appendChild(svg);
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
      if (!table) { return; }
      if (box.getAttribute("data-chart") === "bar") { barChart(box, table); }
      if (box.getAttribute("data-chart") === "line") { lineChart(box, table); }
      box.setAttribute("data-drawn", "true");
    });
    Array.prototype.slice.call(document.querySelectorAll("svg[data-map]")).forEach(hotspotMap);
    Array.prototype.slice.call(document.querySelectorAll("[data-print]")).forEach(function (b) {
      b.addEventListener("click", function () { window.print(); });
    });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
}());
