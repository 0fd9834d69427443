// The caseworkers' page, steps 3 and 4: the honest preview (every record, paged; every note in full;
// the risk the manifest holds) and the receipt in words. Uses $, el, api, postJson, state from app.js.
"use strict";
const preview = { tables: [], table: null, page: 1, pages: 1 };

function renderRisk(risk) {
  const host = $("risk"); host.replaceChildren();
  const pairs = [
    ["What someone who knows a person could match on", risk.quasi_identifiers.join(", ")],
    ["People unique on those, before protection", `${risk.unique_before} of ${risk.persons}`],
    ["People unique on those, as sent", `${risk.unique_after} of ${risk.persons}`],
    ["Agreement's minimum group size (k)", String(risk.k)],
    ["Nationalities widened to a world region", String(risk.nationality_generalised)],
    ["Cases whose map location was dropped to the borough", String(risk.cells_dropped)],
    ["People whose age, gender and nationality were withheld", String(risk.persons_suppressed)],
  ];
  for (const [term, value] of pairs) host.append(el("dt", { text: term }), el("dd", { text: value }));
}

function renderNotes(notes) {
  const host = $("notes"); host.replaceChildren();
  if (!notes.length) { host.append(el("li", { text: "No notes will leave." })); return; }
  notes.forEach((note, n) => {
    const li = el("li", { id: "note-" + (n + 1) });
    for (const piece of note) {
      if (piece.kind === "text") { li.append(document.createTextNode(piece.text)); continue; }
      const m = el("mark", { class: piece.kind === "guard" ? "guard" : "ph", text: piece.text });
      if (piece.kind === "guard") m.title = "removed because it is not an ordinary word";
      li.append(m);
    }
    host.append(li);
  });
}

function renderCell(cell) {
  const td = el("td");
  if (cell.kind === "pseudonym") td.append(el("span", { class: "badge", text: "pseudonym " + cell.n }));
  else if (cell.kind === "note") td.append(el("a", { href: "#note-" + cell.n, text: "note " + cell.n }));
  else if (cell.kind === "text") { td.textContent = cell.text; if (cell.code) td.title = "sent as " + cell.code; }
  return td;
}

async function showPage(table, page) {
  const result = await api(`/api/bundles/${state.bundleId}/page?table=${encodeURIComponent(table)}&page=${page}`);
  preview.table = table; preview.page = result.page; preview.pages = result.pages;
  const head = el("tr");
  for (const c of result.columns) head.append(el("th", { scope: "col", text: c.label }));
  const body = el("tbody");
  for (const row of result.rows) { const tr = el("tr"); for (const cell of row) tr.append(renderCell(cell)); body.append(tr); }
  const last = result.first + result.rows.length - 1;
  $("records").replaceChildren(el("table", {}, el("caption", { text: `${result.label}: records ${result.first} to ${last} of ${result.count}` }), el("thead", {}, head), body));
  $("page-status").textContent = `Page ${result.page} of ${result.pages}`;
  $("prev-page").disabled = result.page <= 1;
  $("next-page").disabled = result.page >= result.pages;
}

function renderPreview(result) {
  state.bundleId = result.bundle_id;
  $("counts").textContent = "Records that will leave: " + result.record_words + ".";
  $("review").textContent = result.review.join("\n");
  const w = $("warnings"); w.replaceChildren();
  if (result.warnings.length) {
    const list = el("ul", { class: "warnings" });
    for (const p of result.warnings) list.append(el("li", { class: "warning", text: "Warning: " + (p.where ? p.where + ": " : "") + p.message + (p.hint ? " — " + p.hint : "") }));
    w.append(list);
  }
  renderRisk(result.risk);
  renderNotes(result.notes || []);
  preview.tables = result.tables;
  const choice = $("table-choice"); choice.replaceChildren();
  for (const t of result.tables) choice.append(el("option", { value: t.table, text: `${t.label} (${t.count})` }));
  goTo(3);
  if (result.tables.length) return showPage(result.tables[0].table, 1);
  $("records").replaceChildren(el("p", { text: "No records will leave." }));
  return null;
}

$("table-choice").addEventListener("change", (ev) => busy(ev.target, () => showPage(ev.target.value, 1)));
$("prev-page").addEventListener("click", (ev) => busy(ev.target, () => showPage(preview.table, preview.page - 1)));
$("next-page").addEventListener("click", (ev) => busy(ev.target, () => showPage(preview.table, preview.page + 1)));

$("prepare").addEventListener("click", (ev) => busy(ev.target, async () => {
  const body = mappingBody();
  if (!$("quarter").value) throw { error: "Choose the reporting quarter: the three months these cases belong to.", hint: "Pick it in the list above the Check and prepare button." };
  $("prepare-status").textContent = "Checking the mapping…";
  try {
    const checked = await postJson("/api/check", { file_id: body.file_id, profile_yaml: body.profile_yaml, choices: body.choices, value_codes: body.value_codes, constants: body.constants });
    if (!checked.ok) throw { error: "The mapping does not fit the file yet.", problems: checked.problems.filter((p) => p.severity === "error"), hint: "Adjust the columns or codes above and try again." };
    $("prepare-status").textContent = "Preparing: scrubbing notes and making pseudonyms…";
    await renderPreview(await postJson("/api/prepare", Object.assign(body, { quarter: $("quarter").value })));
  } finally { $("prepare-status").textContent = ""; }
}));

$("send").addEventListener("click", (ev) => busy(ev.target, async () => {
  $("page-status").textContent = "Sending…";
  const result = await postJson("/api/send", { bundle_id: state.bundleId, save_as: $("save-as").value });
  goTo(4);
  $("receipt-status").textContent = `Accepted by the hub: submission ${result.receipt.submission_id} for ${result.receipt.quarter}. The receipt's signature was checked.`;
  const host = $("receipt"); host.replaceChildren();
  for (const line of result.lines) {
    const dd = el("dd", { text: line.value });
    if (line.code) dd.title = "on the hub: " + line.code;
    host.append(el("dt", { text: line.label }), dd);
  }
  $("saved-status").textContent = result.saved_as
    ? `Your mapping is saved as “${result.saved_as}”: next quarter, choose “Your saved mapping: ${result.saved_as}” in step 2.`
    : "The mapping was not saved.";
}));
