// The caseworkers' page: the returns the hub still expects from you, and the operator's reminders (uses api() and busy() from app.js).
"use strict";
async function loadReturns() {
  const result = await api("/api/returns");
  const list = document.getElementById("returns-list"); list.replaceChildren();
  const late = result.returns.filter((r) => r.late).length;
  document.getElementById("returns-status").textContent = result.returns.length
    ? `${result.returns.length} return(s) owed${late ? `, ${late} late` : ""}.`
    : "No return is owed: you have sent every quarter the hub expects so far.";
  for (const r of result.returns) {
    const li = document.createElement("li");
    li.textContent = r.line;
    if (r.late) li.className = "late";
    list.append(li);
  }
  list.hidden = !result.returns.length;
}
document.getElementById("returns-load").addEventListener("click", (ev) => busy(ev.target, loadReturns));
