// The caseworkers' page: every call goes to this machine's msht-client with the secret token.
// This file: setup (enrol, linkage key), the export, the columns and their codes. preview.js: steps 3 and 4.
"use strict";
const TOKEN = new URLSearchParams(location.search).get("t") || "";
history.replaceState(null, "", "/");  // keep the token out of the address bar once loaded
const $ = (id) => document.getElementById(id);
const state = {
  fileId: null, choices: [], bundleId: null, fields: [], coded: [], constants: [],
  valueCodes: {}, constantValues: {}, ctx: null,
};

async function api(path, options = {}) {
  const headers = Object.assign({ "X-Msht-Token": TOKEN }, options.headers || {});
  let response;
  try { response = await fetch(path, Object.assign({}, options, { headers })); }
  catch (e) { throw { error: "This page lost touch with msht-client on this computer.", hint: "Check the msht-client window is still open, then reload." }; }
  const body = await response.json().catch(() => ({}));
  if (!response.ok) { throw body; }
  return body;
}
function postJson(path, body) {
  return api(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
}
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v; else if (k === "text") node.textContent = v; else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c);
  return node;
}

function showProblems(error) {
  const box = $("problems");
  box.replaceChildren(el("h2", { text: "There is a problem" }), el("p", { text: error.error || "Something went wrong." }));
  const list = el("ul");
  for (const p of error.problems || []) list.append(el("li", { text: (p.where ? p.where + ": " : "") + p.message + (p.hint ? " — " + p.hint : "") }));
  if (list.children.length) box.append(list);
  if (error.hint) box.append(el("p", { class: "hint", text: "What to do: " + error.hint }));
  box.hidden = false;
  box.focus();
}
function clearProblems() { $("problems").hidden = true; }
function goTo(step) {
  for (let i = 0; i <= 4; i++) {
    $("step" + i).hidden = i !== step && !(step === 3 && i === 2);
    const li = document.querySelector(`.steps li[data-step="${i}"]`);
    li.classList.toggle("current", i === step);
    if (i === step) li.setAttribute("aria-current", "step"); else li.removeAttribute("aria-current");
  }
}
async function busy(button, work) {
  button.disabled = true; clearProblems();
  try { await work(); } catch (e) { showProblems(e); } finally { button.disabled = false; }
}

// --- setup: enrolment and the linkage key -------------------------------------------------------
function renderWho(ctx) {
  state.ctx = ctx;
  const parts = [];
  parts.push(ctx.enrolled ? `Sending as ${ctx.org_name} to ${ctx.hub_url}.` : "This computer is not enrolled yet.");
  parts.push(ctx.key ? `Linkage key version ${ctx.key.version} (fingerprint ${ctx.key.fingerprint}).` : "No linkage key yet.");
  $("who").textContent = parts.join(" ");
  $("enrol-box").hidden = ctx.enrolled;
  $("enrol-done").hidden = !ctx.enrolled;
  $("enrol-done").textContent = ctx.enrolled ? `✓ Enrolled as ${ctx.org_name}.` : "";
  $("enrol-done").title = ctx.enrolled ? "on the hub: " + ctx.org_id : "";
  $("key-box").hidden = !!ctx.key;
  $("key-done").hidden = !ctx.key;
  $("key-done").textContent = ctx.key ? `✓ Linkage key imported; fingerprint ${ctx.key.fingerprint}. Check it with your agreement's lead partner.` : "";
  $("setup-next").hidden = !(ctx.enrolled && ctx.key);
}
async function refreshContext() { const ctx = await api("/api/context"); renderWho(ctx); return ctx; }

$("enrol").addEventListener("click", (ev) => busy(ev.target, async () => {
  await postJson("/api/enrol", { hub_url: $("hub-url").value, token: $("enrol-token").value });
  $("enrol-token").value = "";
  await refreshContext();
}));
$("import-key").addEventListener("click", (ev) => busy(ev.target, async () => {
  const file = $("key-file").files[0];
  if (!file) throw { error: "Choose the linkage key file first." };
  const form = new FormData(); form.append("file", file); form.append("version", $("key-version").value || "1");
  await api("/api/key", { method: "POST", body: form });
  $("key-file").value = "";
  await refreshContext();
}));
$("setup-next").addEventListener("click", () => goTo(1));

// --- step 2: the columns, their values and codes ------------------------------------------------
function fieldSelect(c) {
  const select = el("select", { id: "col-" + state.choices.indexOf(c), "data-column": c.column });
  const groups = {};
  for (const f of state.fields) {
    if (!groups[f.group]) { groups[f.group] = el("optgroup", { label: f.group }); select.append(groups[f.group]); }
    const o = el("option", { value: f.value, text: f.label });
    if (f.value === c.choice) o.selected = true;
    groups[f.group].append(o);
  }
  select.addEventListener("change", () => busy(select, async () => { c.choice = select.value; await refreshValues(); }));
  return select;
}
function renderColumns() {
  const body = document.querySelector("#columns tbody");
  body.replaceChildren();
  for (const c of state.choices) {
    const select = fieldSelect(c);
    const label = el("label", { for: select.id, class: "column-name", text: c.column });
    body.append(el("tr", {}, el("th", { scope: "row" }, label), el("td", {}, select)));
  }
}
function currentChoices() { const out = {}; for (const c of state.choices) out[c.column] = c.choice; return out; }
function mappingBody() {
  // Every listed value is sent with the code shown: what the page shows is what is applied.
  const codes = {};
  for (const col of state.coded) {
    codes[col.field] = {};
    for (const v of col.values) if (v.code) codes[col.field][v.value] = v.code;
  }
  return { file_id: state.fileId, profile_yaml: $("profile").value, choices: currentChoices(), value_codes: codes, constants: state.constantValues };
}
function unknownRows(col) { return col.values.filter((v) => v.code === "unknown" || v.code === "").reduce((n, v) => n + v.count, 0) + col.blank_rows; }
function renderCoded() {
  const host = $("coded"); host.replaceChildren();
  if (!state.coded.length) { host.append(el("p", { text: "No coded column is mapped yet." })); return; }
  state.coded.forEach((col, n) => {
    const caption = el("caption", { text: `${col.label} — from your column “${col.column}”` });
    const summary = el("p", { class: "unknown-summary", id: "unknown-" + col.field.replace(".", "-") });
    const table = el("table", { class: "coded" }, caption,
      el("thead", {}, el("tr", {}, el("th", { scope: "col", text: "Value in your file" }), el("th", { scope: "col", text: "Rows" }), el("th", { scope: "col", text: "Sent as" }))));
    const body = el("tbody");
    const update = () => {
      const unknown = unknownRows(col);
      summary.textContent = unknown ? `${unknown} row(s) will be sent as Unknown for ${col.label.toLowerCase()}.` : `Every row has a code for ${col.label.toLowerCase()}.`;
      summary.classList.toggle("has-unknown", unknown > 0);
    };
    col.values.forEach((v, i) => {
      const id = `code-${n}-${i}`;
      const select = el("select", { id, "data-field": col.field, "data-value": v.value });
      if (!v.code) select.append(el("option", { value: "", text: "Not recognised: choose one" }));
      for (const c of col.codes) { const o = el("option", { value: c.code, text: c.label }); if (c.code === v.code) o.selected = true; select.append(o); }
      const unknownClass = (code) => (code === "unknown" || code === "" ? "unknown" : "");
      const tr = el("tr", { class: unknownClass(v.code) },
        el("th", { scope: "row" }, el("label", { for: id, text: v.value })), el("td", { class: "num", text: String(v.count) }), el("td", {}, select));
      select.addEventListener("change", () => { v.code = select.value; tr.className = unknownClass(v.code); update(); });
      body.append(tr);
    });
    if (col.blank_rows) body.append(el("tr", { class: "unknown" }, el("th", { scope: "row", text: "(blank)" }), el("td", { class: "num", text: String(col.blank_rows) }), el("td", { text: "Unknown" })));
    if (col.too_many) body.append(el("tr", {}, el("td", { colspan: "3", text: "Too many different values to list: this column is probably not a code list." })));
    table.append(body);
    host.append(table, summary);
    update();
  });
}
function renderConstants() {
  const host = $("constants"); host.replaceChildren();
  for (const c of state.constants) {
    if (c.from_column) { host.append(el("p", { text: `${c.label}: taken from a column of your file.` })); continue; }
    const id = "const-" + c.field.replace(".", "-");
    const select = el("select", { id, "data-constant": c.field }, el("option", { value: "", text: "Not set (sent as unknown)" }));
    const current = state.constantValues[c.field] ?? c.value ?? "";
    for (const code of c.codes) { const o = el("option", { value: code.code, text: code.label }); if (code.code === current) o.selected = true; select.append(o); }
    const note = el("p", { class: current ? "hint" : "warning", text: current ? "" : "Not set: every person will be sent with role Unknown and will not count as a victim." });
    select.addEventListener("change", () => {
      state.constantValues[c.field] = select.value;
      note.className = select.value ? "hint" : "warning";
      note.textContent = select.value ? "" : "Not set: every person will be sent with role Unknown and will not count as a victim.";
    });
    host.append(el("label", { for: id, text: `${c.label} for everyone in this file` }), select, note);
  }
}
function showMapping(result) {
  if (result.choices) state.choices = result.choices;
  state.coded = result.coded || []; state.constants = result.constants || [];
  if (result.profile_yaml) $("profile").value = result.profile_yaml;
  renderColumns(); renderCoded(); renderConstants();
  $("notices").replaceChildren(...(result.notices || []).map((n) => el("li", { class: "warning", text: "Warning: " + n })));
  $("notices").hidden = !(result.notices || []).length;
}
let refreshes = 0;
async function refreshValues() {
  // Only the newest answer is shown: a column changed while an earlier answer is on its way is not undone by it.
  const mine = ++refreshes;
  document.body.dataset.busy = "yes";
  try {
    const result = await postJson("/api/values", mappingBody());
    if (mine === refreshes) showMapping(result);
  } finally { if (mine === refreshes) delete document.body.dataset.busy; }
}

async function init() {
  const ctx = await api("/api/context").catch((e) => { showProblems(e); return null; });
  if (!ctx) return;
  state.fields = ctx.fields;
  renderWho(ctx);
  for (const name of ctx.saved) $("example").append(el("option", { value: "saved:" + name, text: "Your saved mapping: " + name }));
  for (const name of ctx.examples) $("example").append(el("option", { value: "example:" + name, text: "Example: " + name.replace("_", " ") }));
  for (const q of ctx.quarters) $("quarter").append(el("option", { value: q.value, text: q.label }));
  goTo(ctx.enrolled && ctx.key ? 1 : 0);
}

$("read").addEventListener("click", (ev) => busy(ev.target, async () => {
  const file = $("csv").files[0];
  if (!file) throw { error: "Choose the CSV export first." };
  const postcodes = $("postcodes").files[0];
  if (postcodes) { const f = new FormData(); f.append("file", postcodes); f.append("kind", "postcodes"); await api("/api/files", { method: "POST", body: f }); }
  const form = new FormData(); form.append("file", file); form.append("kind", "export");
  const result = await api("/api/files", { method: "POST", body: form });
  state.fileId = result.file_id; state.valueCodes = {}; state.constantValues = {};
  showMapping(result); goTo(2);
}));

$("example").addEventListener("change", (ev) => busy(ev.target, async () => {
  if (!ev.target.value) return;
  document.body.dataset.busy = "yes";  // until the values are read again (refreshValues clears it)
  const [kind, name] = ev.target.value.split(/:(.*)/s);
  const path = kind === "saved" ? "/api/saved/" : "/api/examples/";
  const result = await api(`${path}${encodeURIComponent(name)}?file_id=${state.fileId}`);
  state.choices = result.choices; $("profile").value = result.profile_yaml; state.constantValues = {}; state.coded = [];
  await refreshValues();
}));
$("profile").addEventListener("change", (ev) => busy(ev.target, async () => {
  // A hand-edited profile: its own column assignments and codes are taken as they are.
  const body = mappingBody(); body.choices = null; body.value_codes = {};
  showMapping(await postJson("/api/values", body));
}));

function alertAction(label, path, alert) {
  const b = document.createElement("button"); b.type = "button"; b.textContent = label;
  b.setAttribute("aria-label", label + " (alert " + alert.id + ", your case " + alert.case + ")");
  b.addEventListener("click", (ev) => busy(ev.target, async () => { await api(path, { method: "POST" }); await loadAlerts(); }));
  return b;
}
async function loadAlerts() {
  const result = await api("/api/alerts");
  const table = $("alerts-table"); const body = table.querySelector("tbody"); body.replaceChildren();
  $("alerts-status").textContent = result.alerts.length
    ? `${result.cases.length} case(s) of yours link to records another partner holds (${result.alerts.length} link(s)).`
    : "No alerts: none of your records links to a record another partner holds.";
  for (const c of result.cases) {
    // One row per case of yours; its links (one alert each) listed in it, each with its own contact request.
    const tr = document.createElement("tr");
    const th = document.createElement("th"); th.scope = "row"; th.textContent = c.case; tr.append(th);
    for (const text of [c.quarter, c.summary, c.first_found]) { const td = document.createElement("td"); td.textContent = text; tr.append(td); }
    const td = document.createElement("td"); const list = document.createElement("ul");
    for (const a of c.links) {
      const li = document.createElement("li");
      li.append(document.createTextNode(`alert ${a.id} (${a.link}, ${a.month}): ${a.contact_line} `));
      const r = a.contact_request;
      if (!r) li.append(alertAction("Ask to be put in touch", `/api/alerts/${a.id}/contact`, a));
      else if (r.direction === "received" && r.status === "pending") {
        li.append(alertAction("Accept", `/api/contact-requests/${r.id}/accept`, a), alertAction("Decline", `/api/contact-requests/${r.id}/decline`, a));
      }
      list.append(li);
    }
    td.append(list); tr.append(td); body.append(tr);
  }
  table.hidden = !result.alerts.length;
}
$("alerts-load").addEventListener("click", (ev) => busy(ev.target, loadAlerts));

init();
