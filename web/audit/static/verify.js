// /audit/verify: verify every case batch by batch (GET /audit/verify/batch?after=N), showing
// the progress and each break as it is found. Without this script the form asks the server
// for the whole run in one request.
(function () {
  "use strict";
  const form = document.getElementById("verify-all");
  const run = document.getElementById("verify-run");
  if (!form || !run) return;
  const status = document.getElementById("verify-status");
  const progress = document.getElementById("verify-progress");
  const table = document.getElementById("breaks");
  const body = table.querySelector("tbody");
  const ok = document.getElementById("verdict-ok");
  const broken = document.getElementById("verdict-broken");
  const count = document.getElementById("break-count");
  const trail = document.getElementById("verify-trail");
  const button = document.getElementById("verify-all-button");

  function fill(template, values) {
    return template.replace(/%\((\w+)\)s/g, (_, name) => String(values[name]));
  }

  function cell(row, text) {
    const td = document.createElement("td");
    td.textContent = text;
    row.appendChild(td);
    return td;
  }

  function addBreak(found) {
    const row = document.createElement("tr");
    row.className = "break break-" + found.what;
    const where = cell(row, "");
    const link = document.createElement("a");
    link.href = found.link;
    link.textContent = found.where;
    where.appendChild(link);
    cell(row, found.seq);
    const event = cell(row, found.event);
    if (found.at) {
      event.appendChild(document.createElement("br"));
      const at = document.createElement("span");
      at.className = "muted small";
      at.textContent = found.at;
      event.appendChild(at);
    }
    cell(row, found.found);
    body.appendChild(row);
  }

  async function verifyAll() {
    run.dataset.done = "false";  // "true" again once this run has its verdict
    run.hidden = false;
    body.textContent = "";
    table.hidden = ok.hidden = broken.hidden = trail.hidden = true;
    button.disabled = true;
    let after = 0, breaks = 0;
    try {
      for (;;) {
        const response = await fetch(run.dataset.batchUrl + "?after=" + after,
                                     {headers: {"Accept": "application/json"}});
        if (!response.ok) throw new Error(String(response.status));
        const batch = await response.json();
        progress.max = Math.max(batch.total, 1);
        progress.value = batch.total ? batch.checked : 1;
        status.textContent = fill(status.dataset.running, batch);
        batch.breaks.forEach(addBreak);
        breaks += batch.breaks.length;
        if (breaks) {
          table.hidden = broken.hidden = false;
          count.textContent = fill(count.dataset.template, {n: breaks});
        }
        if (batch.after === null) {
          if (batch.trail !== null) {
            trail.textContent = fill(trail.dataset.template, {n: batch.trail});
            trail.hidden = false;
          }
          status.textContent = fill(status.dataset.done, batch);
          ok.textContent = ok.dataset.all;
          ok.hidden = breaks > 0;
          run.dataset.done = "true";
          return;
        }
        after = batch.after;
      }
    } catch (error) {
      status.textContent = status.dataset.failed;
    } finally {
      button.disabled = false;
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    verifyAll();
  });
})();
