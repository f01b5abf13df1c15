// The gates tab, at an estate's property office: each gate's link, how far
// its events have arrived and verify, its doors as the gate last reported
// them, and mode buttons the gate carries out. The page says a mode was
// set only when the gate answered that it was; a gate that does not answer
// is said not to have (or not known to have) done it.

async function loadGates() {
  try {
    const r = await api.call("GET", "/api/v1/gates");
    const first = !gateList;
    gateList = r.gates || [];
    // The live events drawn before it was known to be an office get
    // where they are from.
    if (first) for (const li of $("events").children) if (li.ev) describe(li, li.ev);
    $("gates-tab").classList.remove("hidden");
    $("hist-gate-box").classList.remove("hidden");
    drawGates();
    drawHistGates();
  } catch (err) {
    if (err.status === 404) { gateList = null; return; } // a gate, not an office
    sayErr("gates-msg", err, "gates.load_failed");
  }
}

function chainText(c) {
  if (!c || c.state === "none") return t("gates.chain.none");
  if (c.state === "break") return t("gates.chain.break", { seq: c.break_at });
  if (c.state === "waiting") return t("gates.chain.waiting", { waiting: c.waiting, received: c.received });
  return t("gates.chain.verified", { verified: c.verified });
}

function drawGates() {
  const box = $("gates");
  box.textContent = "";
  if (!gateList) return;
  if (!gateList.length) { box.textContent = t("gates.none"); return; }
  for (const g of gateList) {
    const div = document.createElement("div");
    div.className = "gate-card link-" + g.link;
    div.dataset.gate = g.name;
    div.dataset.link = g.link;
    const h = document.createElement("h3");
    h.textContent = g.name;
    const link = document.createElement("span");
    link.className = "badge link";
    link.textContent = (g.link === "up" ? "✔ " : "⛔ ") + t("gates.link." + g.link);
    h.append(" ", link);
    div.append(h);
    const info = document.createElement("p");
    info.className = "gate-info";
    info.textContent = (g.last_seen ? t("gates.last_seen", { time: fmtTime(g.last_seen, true) }) : t("gates.never_seen")) + " · " + chainText(g.chain);
    info.dataset.chain = (g.chain && g.chain.state) || "none";
    div.append(info);
    const doors = document.createElement("ul");
    doors.className = "gate-doors";
    for (const d of g.doors || []) {
      const li = document.createElement("li");
      const st = doorState(d);
      li.dataset.door = d.name;
      li.dataset.state = st;
      li.dataset.mode = d.mode;
      li.textContent = DOOR_ICONS[st] + " " + (d.display_name || d.name) + " — " + t("doorst." + st);
      doors.append(li);
    }
    div.append(doors);
    const when = document.createElement("p");
    when.className = "gate-doors-at";
    when.textContent = g.doors_at ? t("gates.doors_at", { time: fmtTime(g.doors_at, true) }) : t("gates.no_doors");
    div.append(when);
    const row = document.createElement("div");
    row.className = "row";
    for (const [mode, cls] of [["emergency_unlock", "danger"], ["lockdown", "warn"], ["normal", ""]]) {
      const b = document.createElement("button");
      b.type = "button";
      b.className = cls;
      b.dataset.mode = mode;
      b.dataset.gate = g.name;
      b.textContent = t("gates." + mode);
      b.onclick = () => setGateMode(g.name, mode);
      row.append(b, " ");
    }
    div.append(row);
    box.append(div);
  }
}

async function setGateMode(gate, mode) {
  if (mode !== "normal" && !(await askFirst(mode))) return;
  try {
    await api.call("POST", "/api/v1/emergency", { mode, gate, reason: "from the office console" });
    sayMsg("gates-msg", "gates.modeset." + mode, { gate });
  } catch (err) { sayErr("gates-msg", err, "gates.failed", { gate }); }
  loadGates();
}

// The history's gate filter: every gate, the office's own, or one gate.
function drawHistGates() {
  const sel = $("hist-gate");
  const chosen = sel.value;
  while (sel.options.length > 1) sel.remove(1);
  const add = (value, text) => { const o = document.createElement("option"); o.value = value; o.textContent = text; sel.append(o); };
  add("office", t("gates.office"));
  for (const g of gateList || []) add(g.name, g.name);
  sel.value = chosen;
}

tabHooks.gates = loadGates;
enterHooks.push(loadGates);
langHooks.push(() => { drawGates(); if (gateList) drawHistGates(); });
setInterval(() => { if (session && gateList && !$("tab-gates").classList.contains("hidden")) loadGates(); }, 5000);
