// The caseworkers' page: every call goes to this machine's msht-client with the secret token.
"use strict";
const TOKEN = new URLSearchParams(location.search).get("t") || "";
history.replaceState(null, "", "/");  // keep the token out of the address bar once loaded
const $ = (id) => document.getElementById(id);
let state = { fileId: null, choices: [], bundleId: null, targets: {}, identifiers: [] };

async function api(path, options = {}) {
  const headers = Object.assign({ "X-Msht-Token": TOKEN }, options.headers || {});
  const response = await fetch(path, Object.assign({}, options, { headers }));
  const body = await response.json().catch(() => ({}));
  if (!response.ok) { throw body; }
  return body;
}

function showProblems(error) {
  const box = $("problems");
  box.replaceChildren();
  const title = document.createElement("p");
  title.textContent = error.error || error.detail || "Something went wrong.";
  box.append(title);
  const list = document.createElement("ul");
  for (const p of error.problems || []) {
    const li = document.createElement("li");
    li.textContent = (p.where ? p.where + ": " : "") + p.message + (p.hint ? " — " + p.hint : "");
    list.append(li);
  }
  if (list.children.length) box.append(list);
  if (error.hint) { const h = document.createElement("p"); h.className = "hint"; h.textContent = "What to do: " + error.hint; box.append(h); }
  box.hidden = false;
}
function clearProblems() { $("problems").hidden = true; }
function goTo(step) {
  for (let i = 1; i <= 4; i++) {
    $("step" + i).hidden = i !== step && !(step === 3 && i === 2);
    document.querySelector(`.steps li[data-step="${i}"]`).classList.toggle("current", i === step);
  }
}
async function busy(button, work) {
  button.disabled = true; clearProblems();
  try { await work(); } catch (e) { showProblems(e); } finally { button.disabled = false; }
}

function renderColumns() {
  const body = document.querySelector("#columns tbody");
  body.replaceChildren();
  const options = [["ignore", "not sent (left out)"]];
  for (const k of state.identifiers) options.push(["id:" + k, "identifier: " + k.replace("_", " ") + " (never sent)"]);
  for (const t of Object.keys(state.targets)) options.push([t, t]);
  for (const c of state.choices) {
    const tr = document.createElement("tr");
    const th = document.createElement("th"); th.scope = "row"; th.textContent = c.column;
    const td = document.createElement("td");
    const select = document.createElement("select");
    select.setAttribute("aria-label", "What column " + c.column + " holds");
    select.dataset.column = c.column;
    for (const [value, label] of options) {
      const o = document.createElement("option"); o.value = value; o.textContent = label;
      if (value === c.choice) o.selected = true;
      select.append(o);
    }
    select.addEventListener("change", () => { c.choice = select.value; });
    td.append(select); tr.append(th, td); body.append(tr);
  }
}
function currentChoices() { const out = {}; for (const c of state.choices) out[c.column] = c.choice; return out; }

function renderSample(sample) {
  const host = $("sample"); host.replaceChildren();
  for (const [table, rows] of Object.entries(sample)) {
    if (!rows.length) continue;
    const h = document.createElement("h4"); h.textContent = table; host.append(h);
    const wrap = document.createElement("div"); wrap.className = "sample";
    const t = document.createElement("table"); const head = document.createElement("tr");
    const cols = Object.keys(rows[0]);
    for (const c of cols) { const th = document.createElement("th"); th.scope = "col"; th.textContent = c; head.append(th); }
    t.append(head);
    for (const r of rows.slice(0, 5)) {
      const tr = document.createElement("tr");
      for (const c of cols) { const td = document.createElement("td"); td.textContent = Array.isArray(r[c]) ? r[c].join(", ") : (r[c] ?? ""); tr.append(td); }
      t.append(tr);
    }
    wrap.append(t); host.append(wrap);
  }
}

function renderNotes(notes) {
  const host = $("notes"); host.replaceChildren();
  if (!notes.length) { const li = document.createElement("li"); li.textContent = "No notes will leave."; host.append(li); return; }
  for (const note of notes) {
    const li = document.createElement("li");
    for (const piece of note) {
      if (piece.kind === "text") { li.append(document.createTextNode(piece.text)); continue; }
      const m = document.createElement("mark"); m.className = piece.kind === "guard" ? "guard" : "ph"; m.textContent = piece.text;
      if (piece.kind === "guard") m.title = "removed because it is not an ordinary word";
      li.append(m);
    }
    host.append(li);
  }
}

async function init() {
  const ctx = await api("/api/context").catch((e) => { showProblems(e); return null; });
  if (!ctx) return;
  state.targets = ctx.targets; state.identifiers = ctx.identifiers;
  $("who").textContent = ctx.enrolled ? `Sending as ${ctx.org_id} to ${ctx.hub_url}` : ctx.error + " " + (ctx.hint || "");
  for (const name of ctx.examples) { const o = document.createElement("option"); o.value = name; o.textContent = "example: " + name; $("example").append(o); }
  goTo(1);
}

$("read").addEventListener("click", (ev) => busy(ev.target, async () => {
  const file = $("csv").files[0];
  if (!file) throw { error: "Choose the CSV export first." };
  const postcodes = $("postcodes").files[0];
  if (postcodes) { const f = new FormData(); f.append("file", postcodes); f.append("kind", "postcodes"); await api("/api/files", { method: "POST", body: f }); }
  const form = new FormData(); form.append("file", file); form.append("kind", "export");
  const result = await api("/api/files", { method: "POST", body: form });
  state.fileId = result.file_id; state.choices = result.choices; $("profile").value = result.profile_yaml;
  renderColumns(); goTo(2);
}));

$("example").addEventListener("change", (ev) => busy(ev.target, async () => {
  if (!ev.target.value) return;
  const result = await api(`/api/examples/${encodeURIComponent(ev.target.value)}?file_id=${state.fileId}`);
  state.choices = result.choices; $("profile").value = result.profile_yaml; renderColumns();
}));

$("prepare").addEventListener("click", (ev) => busy(ev.target, async () => {
  const body = { file_id: state.fileId, profile_yaml: $("profile").value, choices: currentChoices(), quarter: $("quarter").value };
  const checked = await api("/api/check", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ file_id: body.file_id, profile_yaml: body.profile_yaml, choices: body.choices }) });
  if (!checked.ok) throw { error: "The mapping does not fit the file yet.", problems: checked.problems.filter((p) => p.severity === "error"), hint: "Adjust the columns above and try again." };
  const result = await api("/api/prepare", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  state.bundleId = result.bundle_id;
  $("counts").textContent = "Records that will leave: " + Object.entries(result.record_counts).map(([t, n]) => `${n} ${t}`).join(", ");
  $("review").textContent = result.review.join("\n");
  const w = $("warnings"); w.replaceChildren();
  for (const p of result.warnings) { const d = document.createElement("p"); d.className = "warning"; d.textContent = (p.where ? p.where + ": " : "") + p.message; w.append(d); }
  renderNotes(result.notes || []); renderSample(result.sample); goTo(3);
}));

$("send").addEventListener("click", (ev) => busy(ev.target, async () => {
  $("receipt-status").textContent = "Sending…";
  const result = await api("/api/send", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ bundle_id: state.bundleId }) });
  goTo(4);
  $("receipt-status").textContent = `Accepted by the hub: submission ${result.receipt.submission_id} for ${result.receipt.quarter}. The receipt's signature was checked.`;
  $("receipt").textContent = JSON.stringify(result, null, 2);
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
  $("alerts-status").textContent = result.alerts.length ? `${result.alerts.length} alert(s).` : "No alerts: none of your records links to a record another partner holds.";
  for (const a of result.alerts) {
    const tr = document.createElement("tr");
    for (const text of [String(a.id), a.case, a.quarter, a.link, a.month]) { const td = document.createElement("td"); td.textContent = text; tr.append(td); }
    const td = document.createElement("td"); td.append(document.createTextNode(a.contact_line + " "));
    const r = a.contact_request;
    if (!r) td.append(alertAction("Ask to be put in touch", `/api/alerts/${a.id}/contact`, a));
    else if (r.direction === "received" && r.status === "pending") {
      td.append(alertAction("Accept", `/api/contact-requests/${r.id}/accept`, a), alertAction("Decline", `/api/contact-requests/${r.id}/decline`, a));
    }
    tr.append(td); body.append(tr);
  }
  table.hidden = !result.alerts.length;
}
$("alerts-load").addEventListener("click", (ev) => busy(ev.target, loadAlerts));

init();
