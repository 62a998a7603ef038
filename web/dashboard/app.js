// upshift dashboard: draws the State that /api/events streams (see
// internal/dashboard/state.go for its fields). Every value from the hub is
// set as text, never as HTML.
"use strict";

const OK = new Set(["Completed", "Succeeded", "Promoted", "Finished", "Skipped", "True"]);
const BAD = new Set(["Failed", "RolledBack", "RollingBack", "Aborted", "Aborting", "False"]);
const WAIT = new Set(["Pending", "Paused", "Stopped", "Stopping", "NotStarted"]);

function kindOf(state) {
  if (OK.has(state)) return "ok";
  if (BAD.has(state)) return "bad";
  if (WAIT.has(state)) return "wait";
  return "run";
}

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}

function badge(state) {
  return el("span", "badge " + kindOf(state), state);
}

function command(text) {
  const row = el("div", "cmd");
  row.append(el("code", "", text));
  const copy = el("button", "", "copy");
  copy.type = "button";
  copy.addEventListener("click", () => {
    navigator.clipboard.writeText(text).then(() => { copy.textContent = "copied"; setTimeout(() => { copy.textContent = "copy"; }, 1500); });
  });
  row.append(copy);
  return row;
}

function weightsBar(from, to, weights) {
  const bar = el("div", "bar");
  const f = (weights && weights[from]) || 0;
  const t = (weights && weights[to]) || 0;
  const total = f + t || 100;
  for (const [name, w, cls] of [[from, f, "from"], [to, t, "to"]]) {
    if (w <= 0) continue;
    const part = el("span", cls, name + " " + w + "%");
    part.style.width = (100 * w / total) + "%";
    bar.append(part);
  }
  return bar;
}

function swapCard(s) {
  const card = el("div", "card");
  card.dataset.name = s.name;
  const title = el("div", "title");
  title.append(el("b", "", s.name), badge(s.phase), el("span", "muted", s.kind === "CanaryIntake" ? "canary" : "blue-green"));
  if (s.step) title.append(el("span", "muted", "step " + s.step));
  card.append(title);
  card.append(el("div", "muted", s.from + " \u2192 " + s.to + " at " + s.version + (s.namespace ? "  (" + s.namespace + ")" : "")));
  if (s.weights) card.append(weightsBar(s.from, s.to, s.weights));
  if (s.message) card.append(el("div", "msg", s.message));
  for (const c of s.commands || []) card.append(command(c));
  return card;
}

function gateCard(g) {
  const card = el("div", "card");
  const title = el("div", "title");
  title.append(el("b", "", g.displayName || g.name), badge(g.state), el("span", "muted", g.type + " gate, " + g.timing.toLowerCase() + " stage " + g.stage));
  card.append(title);
  card.append(el("div", "muted", "update run " + g.run + "  (" + g.namespace + ")"));
  if (g.message) card.append(el("div", "msg", g.message));
  if (g.type === "Approval") card.append(command(g.approve));
  return card;
}

function runBlock(r) {
  const box = el("div", "run");
  box.dataset.name = r.name;
  const title = el("div", "title");
  title.append(el("b", "", r.name), badge(r.state), el("span", "muted", r.type + (r.version ? " to " + r.version : "")));
  if (r.progress) title.append(el("span", "muted", r.progress));
  box.append(title);
  if (r.error) box.append(el("div", "msg", r.error));
  else if (r.message) box.append(el("div", "msg", r.message));
  const stages = el("div", "stages");
  for (const s of r.stages) {
    const st = el("div", "stage " + kindOf(s.state));
    const head = el("div", "title");
    head.append(el("b", "", s.name), badge(s.state), el("span", "muted", s.done + "/" + s.total + (s.failed ? ", " + s.failed + " failed" : "")));
    st.append(head);
    const p = el("div", "progress");
    const done = el("span");
    done.style.width = (s.total ? 100 * s.done / s.total : 0) + "%";
    p.append(done);
    st.append(p);
    if (s.upgrading && s.upgrading.length) st.append(el("div", "msg", "upgrading: " + s.upgrading.join(", ")));
    for (const g of s.gates || []) {
      st.append(el("div", "muted", g.type + " gate " + g.state + (g.message ? ": " + g.message : "")));
    }
    if (s.message) st.append(el("div", "msg", s.message));
    stages.append(st);
  }
  box.append(stages);
  for (const c of r.commands || []) box.append(command(c));
  return box;
}

function fill(container, items, render, none) {
  container.replaceChildren(...(items.length ? items.map(render) : [el("div", "empty", none)]));
}

function draw(state) {
  document.getElementById("scope").textContent = state.namespace ? "namespace " + state.namespace : "all namespaces";
  document.getElementById("updated").textContent = "hub read at " + new Date(state.generatedAt).toLocaleTimeString();
  const banner = document.getElementById("error");
  banner.hidden = !state.error;
  banner.textContent = state.error ? "The hub cannot be read (showing the last snapshot): " + state.error : "";

  const swaps = [...state.blueGreen, ...state.canaries];
  const attention = [
    ...state.gates.map(gateCard),
    ...swaps.filter((s) => s.phase === "Paused" || s.phase === "RolledBack" || s.phase === "Aborted" || s.phase === "Failed").map(swapCard),
  ];
  const list = document.getElementById("attention-list");
  list.replaceChildren(...(attention.length ? attention : [el("div", "empty", "Nothing waits for you.")]));

  fill(document.getElementById("swaps"), swaps, swapCard, "No blue-green upgrade or canary intake.");
  fill(document.getElementById("runs"), state.runs, runBlock, "No update run.");

  const body = document.querySelector("#members tbody");
  const rows = state.members.map((m) => {
    const tr = el("tr");
    tr.append(el("td", "", m.name), el("td", "", m.group), el("td", "", m.provider), el("td", "", m.cluster), el("td", "", m.version || "?"));
    const reach = el("td");
    reach.append(badge(m.reachable));
    if (m.message) reach.append(el("div", "muted", m.message));
    tr.append(reach, el("td", "", (m.pools || []).join(", ")));
    return tr;
  });
  if (!rows.length) {
    const tr = el("tr");
    const td = el("td", "empty", "No member has joined; 'upshift fleet join' adds one.");
    td.colSpan = 7;
    tr.append(td);
    rows.push(tr);
  }
  body.replaceChildren(...rows);
  document.body.dataset.generatedAt = state.generatedAt;
}

function setLive(on) {
  const live = document.getElementById("live");
  live.className = "live " + (on ? "on" : "off");
  live.textContent = on ? "live" : "reconnecting";
}

function connect() {
  // The server puts its last snapshot in the page: draw it at once, then
  // follow the stream.
  const initial = document.getElementById("state");
  if (initial && initial.textContent) draw(JSON.parse(initial.textContent));
  const events = new EventSource("api/events");
  events.addEventListener("state", (e) => { setLive(true); draw(JSON.parse(e.data)); });
  events.onerror = () => setLive(false); // EventSource reconnects by itself
}

connect();
