// msht-hub link chart: one network drawn by Cytoscape.js (vendored in /static/vendor with its licence;
// nothing is fetched elsewhere) from the JSON the page carries. The table beside it is the accessible
// version: its "Expand" links add a node's neighbours one node at a time (from /api/v1/networks/N/chart),
// to the chart and to the table alike, and work by keyboard; without script they reload the page.
(function () {
  "use strict";

  var COLOURS = {
    incident: "#1d5c96", person: "#c25e00", phone: "#3b7d3b", email: "#6b3fa0", vehicle: "#8a5a00",
    address: "#9c2f5a", bank_account: "#2f6f73", business: "#5a5a5a", social_handle: "#4b4bb5"
  };
  var SHAPES = { incident: "round-rectangle", person: "ellipse" };

  function element(node) {
    return { group: "nodes", data: { id: node.id, label: node.label, kind: node.kind } };
  }

  function edge(e) {
    return { group: "edges", data: { id: e.source + "~" + e.target, source: e.source, target: e.target } };
  }

  function labelOf(cy, id) {
    var n = cy.getElementById(id);
    return n.nonempty() ? n.data("label") : id;
  }

  function addRow(table, cy, node, complete) {
    var tbody = table.tBodies[0];
    if (tbody.querySelector('tr[data-node="' + node.id + '"]')) { return; }
    var tr = document.createElement("tr");
    tr.setAttribute("data-node", node.id);
    var th = document.createElement("th");
    th.scope = "row";
    th.textContent = node.label;
    tr.appendChild(th);
    [node.kind.replace(/_/g, " "), "", String(node.degree)].forEach(function (text, i) {
      var td = document.createElement("td");
      td.textContent = text;
      if (i === 1) { td.setAttribute("data-links", ""); }
      if (i === 2) { td.className = "num"; }
      tr.appendChild(td);
    });
    var action = document.createElement("td");
    if (!complete) {
      var a = document.createElement("a");
      a.className = "expand";
      a.href = "?expand=" + encodeURIComponent(node.id);
      a.setAttribute("data-expand", node.id);
      a.textContent = "Expand " + node.label.split(" — ")[0];
      action.appendChild(a);
    }
    tr.appendChild(action);
    tbody.appendChild(tr);
  }

  function refreshLinks(table, cy) {
    Array.prototype.forEach.call(table.tBodies[0].rows, function (tr) {
      var id = tr.getAttribute("data-node");
      var names = cy.getElementById(id).neighborhood("node").map(function (n) { return n.data("label"); });
      tr.querySelector("[data-links]").textContent = names.join("; ");
    });
  }

  function start() {
    var box = document.getElementById("network-chart");
    var source = document.getElementById("network-data");
    var table = document.getElementById("network-table");
    var status = document.querySelector("[data-chart-status]");
    if (!box || !source || !table || typeof window.cytoscape !== "function") { return; }
    var data = JSON.parse(source.textContent);
    status.setAttribute("aria-live", "polite");
    var cy = window.cytoscape({
      container: box,
      elements: data.nodes.map(element).concat(data.edges.map(edge)),
      style: [
        { selector: "node", style: {
          "label": "data(label)", "font-size": 10, "text-wrap": "wrap", "text-max-width": 140, "color": "#1b1b1b",
          "text-valign": "bottom", "text-margin-y": 4, "width": 18, "height": 18, "border-width": 1, "border-color": "#1b1b1b"
        } },
        { selector: "node:selected", style: { "border-width": 4, "border-color": "#ffbf47" } },
        { selector: "edge", style: { "width": 1.5, "line-color": "#6f6f6f", "curve-style": "bezier" } }
      ].concat(Object.keys(COLOURS).map(function (kind) {
        return { selector: 'node[kind = "' + kind + '"]', style: {
          "background-color": COLOURS[kind], "shape": SHAPES[kind] || "diamond"
        } };
      })),
      layout: { name: "cose", animate: false, randomize: false },
      wheelSensitivity: 0.3
    });
    window.mshtNetwork = cy;  // for the browser tests
    if (data.focus) { cy.getElementById(data.focus).select(); }

    function expand(id) {
      status.textContent = "Adding the neighbours of " + labelOf(cy, id) + "…";
      return fetch(table.getAttribute("data-url") + "?expand=" + encodeURIComponent(id), { credentials: "same-origin" })
        .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
        .then(function (more) {
          var added = 0;
          more.nodes.forEach(function (n) {
            if (cy.getElementById(n.id).empty()) { cy.add(element(n)); added += 1; }
            addRow(table, cy, n, false);
          });
          more.edges.forEach(function (e) {
            if (cy.getElementById(e.source + "~" + e.target).empty()) { cy.add(edge(e)); }
          });
          cy.layout({ name: "cose", animate: false, randomize: false }).run();
          cy.elements().unselect();
          cy.getElementById(id).select();
          refreshLinks(table, cy);
          status.textContent = "Added " + added + " node" + (added === 1 ? "" : "s") + " linked to " + labelOf(cy, id) +
            "; " + cy.nodes().length + " of " + data.total_nodes + " nodes shown.";
        })
        .catch(function () { window.location.search = "?expand=" + encodeURIComponent(id); });
    }

    table.addEventListener("click", function (event) {
      var link = event.target.closest("[data-expand]");
      if (!link) { return; }
      event.preventDefault();
      expand(link.getAttribute("data-expand"));
    });
    table.addEventListener("focusin", function (event) {
      var row = event.target.closest("tr[data-node]");
      if (row) { cy.elements().unselect(); cy.getElementById(row.getAttribute("data-node")).select(); }
    });
    cy.on("tap", "node", function (event) {
      if (!data.complete) { expand(event.target.id()); }
    });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
}());
