// The guard console: sign in, doors with open and emergency buttons,
// visitor registration with a photo, live events and alerts. Every
// sentence comes from the catalog (i18n.js); door and terminal names are
// their display names.
applyI18n();

const doorNames = {}; // config name -> display name
const pdNames = {};
let session = null;
let doorList = [];
let gateList = null; // an estate's office: its gates (gates.js); null elsewhere

function doorName(n) { return doorNames[n] || n; }
function pdName(n) { return pdNames[n] || n; }

// describe fills li with the event as a sentence in the chosen language.
function describe(li, e) {
  const unknown = [];
  const vars = {
    door: e.door ? doorName(e.door) : (e.pd ? pdName(e.pd) : t("place.unknown")),
    pd: e.pd ? pdName(e.pd) : (e.door ? doorName(e.door) : t("place.unknown")),
    person: e.name || e.identity || t("who.unknown"),
    account: e.account || t("who.unknown"),
    ref: e.ref || "",
    note: e.kind === "alarm.acknowledged" ? (e.detail || "") : "",
  };
  let key = hasMsg("ev." + e.kind) ? "ev." + e.kind : "";
  // A guard's open from the console: who asked (the detail is "by <account>").
  const by = /^by (\S+)$/.exec(e.detail || "");
  if (e.kind === "access.granted" && e.reason === "opened_by_guard" && by) { key = "evx.guard_open"; vars.account = by[1]; }
  const template = key ? MESSAGES[key].en : "";
  // Only codes the sentence shows are translated (or shown as unknown).
  if (template.includes("{reason}")) vars.reason = codeText("reason.", e.reason, "reason.unknown", unknown);
  if (template.includes("{mode}")) vars.mode = codeText("mode.", (e.detail || "").split(":")[0], "mode.unknown", unknown); // door.mode_requested: "mode: why"
  const text = key ? t(key, vars) : codeText("ev.", e.kind, "ev.unknown", unknown, vars);
  putText(li, fmtTime(e.time) + " " + text, unknown);
  // At the office: where the event is from, a gate or the office itself
  // (a label, not a sentence).
  const from = e.gate || (gateList ? t("gates.office") : "");
  if (from) {
    const g = document.createElement("span");
    g.className = "gate-label";
    g.textContent = from;
    li.prepend(g, " ");
  }
}

// eventHooks run for every live event (the alarm panel listens).
const eventHooks = [];

function addEvent(e) {
  for (const h of eventHooks) h(e);
  const li = document.createElement("li");
  li.ev = e;
  describe(li, e);
  li.dataset.kind = e.kind;
  if (e.identity) li.dataset.identity = e.identity;
  if (e.kind === "access.granted") li.className = "granted";
  else if (e.kind === "access.denied") li.className = "denied";
  else if (e.alarm) li.className = "alarm";
  $("events").prepend(li);
}

// doorState is the one word a guard reads first, most urgent first: a
// lock that cannot be driven, a forced or held door, then the mode, then
// whether it stands open.
function doorState(door) {
  const alarms = door.alarms || [];
  if (!door.lock_online) return "lock_offline";
  if (alarms.includes("forced_open")) return "forced";
  if (alarms.includes("held_open")) return "held";
  if (door.mode === "emergency_unlock") return "emergency";
  if (door.mode === "lockdown") return "lockdown";
  if (door.open) return "open";
  return "normal";
}
const DOOR_ICONS = { lock_offline: "⛔", forced: "🚨", held: "⚠", emergency: "🔓", lockdown: "🔒", open: "🚪", normal: "✔" };

function drawDoors() {
  const box = $("doors");
  box.textContent = "";
  if (!doorList.length) { box.textContent = t("doors.none"); return; }
  for (const door of doorList) {
    const div = document.createElement("div");
    const st = doorState(door);
    div.className = "door st-" + st;
    div.dataset.door = door.name;
    div.dataset.state = st;
    const b = document.createElement("b");
    b.textContent = doorName(door.name);
    const badge = document.createElement("span");
    badge.className = "badge";
    badge.textContent = DOOR_ICONS[st] + " " + t("doorst." + st);
    div.append(badge, " ", b, " ");
    const unknown = [];
    const states = [codeText("mode.", door.mode, "mode.unknown", unknown), t(door.open ? "door.state.open" : "door.state.closed")];
    if (!door.lock_online) states.push(t("door.state.lock_offline"));
    for (const s of states) {
      div.append(" ");
      const span = document.createElement("span");
      span.className = "state";
      span.textContent = s;
      div.append(span);
    }
    for (const a of door.alarms || []) {
      const span = document.createElement("span");
      div.append(" ");
      span.className = "alarm state";
      putText(span, codeText("alarm.", a, "alarm.unknown", unknown), []);
      div.append(span);
    }
    for (const c of unknown) { const s = document.createElement("small"); s.className = "code"; s.textContent = c; div.append(" ", s); }
    const open = document.createElement("button");
    open.textContent = t("doors.open");
    open.dataset.door = door.name;
    open.onclick = async () => {
      const name = doorName(door.name);
      try {
        const r = await api.call("POST", "/api/v1/doors/" + encodeURIComponent(door.name) + "/open");
        // Only what the lock confirmed is shown as opened.
        if (r.opened) sayMsg("door-msg", "door.opened", { door: name });
        else sayMsg("door-msg", "door.asked", { door: name }, true);
      } catch (err) {
        if (err.status === 403 && err.data && err.data.reason) {
          say("door-msg", (e) => { const u = []; putText(e, t("door.denied", { door: name, reason: codeText("reason.", err.data.reason, "reason.unknown", u) }), u); }, true);
        } else sayErr("door-msg", err, "door.failed", { door: name });
      }
    };
    div.append(" ", open);
    box.appendChild(div);
  }
}

async function loadDoors() {
  const d = await api.call("GET", "/api/v1/doors");
  doorList = d.doors || [];
  for (const door of doorList) doorNames[door.name] = door.display_name || door.name;
  drawDoors();
}

async function loadPDs() {
  try {
    const d = await api.call("GET", "/api/v1/pds");
    for (const p of d.pds || []) pdNames[p.name] = p.display_name || p.name;
  } catch (e) { /* names stay the config names */ }
}

// askFirst shows the confirmation dialog for mode (emergency_unlock or
// lockdown) and resolves true only when the guard confirms.
function askFirst(mode) {
  return ask(t("confirm." + mode + ".title"), t("confirm." + mode + ".text"), t("confirm." + mode + ".yes"), mode);
}

// ask shows the confirmation dialog with a title, a text and the label of
// the button that goes ahead; it resolves true only when that is pressed.
// Cancel has the focus: the safe choice is the default.
function ask(title, text, yes, what) {
  const d = $("confirm-dialog");
  $("confirm-title").textContent = title;
  $("confirm-text").textContent = text;
  $("confirm-yes").textContent = yes;
  d.dataset.mode = what || "";
  d.returnValue = "";
  return new Promise((resolve) => {
    d.onclose = () => { d.onclose = null; resolve(d.returnValue === "yes"); };
    d.showModal();
    $("confirm-cancel").focus(); // the safe choice is the default
  });
}

async function setMode(mode) {
  if (mode !== "normal" && !(await askFirst(mode))) return;
  try { await api.call("POST", "/api/v1/emergency", { mode, reason: "from the guard console" }); sayMsg("door-msg", "modeset." + mode); loadDoors(); }
  catch (err) { sayErr("door-msg", err); }
}

// startEvents shows the last recentEvents events, then follows the stream
// from the newest of them (not the whole log from the start).
const recentEvents = 50;
async function startEvents() {
  let from = ""; // no replay: what happens from now on
  try {
    const p = await api.call("GET", "/api/v1/events?order=desc&limit=" + recentEvents);
    const evs = p.events || [];
    for (let i = evs.length - 1; i >= 0; i--) addEvent(evs[i]);
    from = "?after=" + (evs.length ? evs[0].seq : 0); // and whatever came in since
  } catch (e) { /* the stream below still shows what happens from now on */ }
  const src = new EventSource("/api/v1/events/stream" + from);
  if (liveSource) liveSource.close();
  liveSource = src;
  src.onmessage = (m) => addEvent(JSON.parse(m.data));
  // Every kind the catalog knows is listened for.
  for (const key of Object.keys(MESSAGES)) {
    if (!key.startsWith("ev.") || key === "ev.unknown") continue;
    const k = key.slice(3);
    src.addEventListener(k, (m) => { addEvent(JSON.parse(m.data)); if (k.startsWith("door.")) loadDoors(); });
  }
}

function drawWho() {
  for (const id of ["expiry", "sign-out"]) $(id).classList.toggle("hidden", !session);
  if (!session) { $("who").textContent = ""; return; }
  const role = hasMsg("role." + session.role) ? t("role." + session.role) : t("role.unknown");
  $("who").textContent = t("who.session", { account: session.account, role });
  $("expiry").textContent = t("acct.expires", { time: fmtTime(session.expires, true) });
}

// leave goes back to the sign-in form (signed out, or the session ended:
// expired, disabled, password changed elsewhere) and says why.
let liveSource = null;
function leave(key) {
  if (liveSource) { liveSource.close(); liveSource = null; }
  session = null;
  api.csrf = "";
  sessionStorage.removeItem("csrf");
  drawWho();
  $("console-view").classList.add("hidden");
  $("login-view").classList.remove("hidden");
  $("password").value = "";
  sayMsg("login-msg", key, {}, key !== "acct.signed_out");
}
api.onUnauthorized = (path) => { if (session && path !== "/api/v1/login") leave("acct.ended"); };
$("sign-out").onclick = async () => {
  try { await api.call("POST", "/api/v1/logout"); } catch (err) { /* already signed out: the form below is the truth */ }
  leave("acct.signed_out");
};

// Tabs: one <main class="tab" id="tab-NAME"> per workflow and a button
// data-tab=NAME in #tabs; the open tab is kept in the address (#NAME) so a
// reload stays on it. A workflow file registers what to do when its tab
// opens in tabHooks[NAME].
const tabHooks = {};
function showTab(name) {
  if (!$("tab-" + name)) name = "gate";
  for (const m of document.querySelectorAll("main.tab")) m.classList.toggle("hidden", m.id !== "tab-" + name);
  for (const b of document.querySelectorAll("#tabs button")) b.setAttribute("aria-current", b.dataset.tab === name ? "page" : "false");
  if (location.hash !== "#" + name) history.replaceState(null, "", "#" + name);
  if (tabHooks[name]) tabHooks[name]();
}
for (const b of document.querySelectorAll("#tabs button")) b.onclick = () => showTab(b.dataset.tab);

// enterHooks run once signed in (the alarm panel loads).
const enterHooks = [];

async function enter() {
  $("login-view").classList.add("hidden");
  $("console-view").classList.remove("hidden");
  session = await api.call("GET", "/api/v1/session");
  document.body.dataset.role = session.role; // style.css hides what the role may not use
  timeZone = session.timezone || "";
  drawWho();
  await loadPDs();
  await loadDoors();
  $("events").textContent = ""; // a second sign-in starts afresh
  await startEvents();
  for (const h of enterHooks) h();
  showTab(location.hash.slice(1));
}

langHooks.push(() => {
  drawWho();
  drawDoors();
  for (const li of $("events").children) if (li.ev) describe(li, li.ev);
});

$("login-form").onsubmit = async (ev) => {
  ev.preventDefault();
  try {
    const r = await api.call("POST", "/api/v1/login", { name: $("name").value, password: $("password").value });
    api.csrf = r.csrf;
    sessionStorage.setItem("csrf", r.csrf);
    $("login-msg").textContent = "";
    $("login-msg").redraw = null;
    await enter();
  } catch (err) { sayErr("login-msg", err); }
};

$("pair-button").onclick = async () => {
  try {
    const r = await api.call("POST", "/api/v1/residents/" + encodeURIComponent($("pair-resident").value) + "/pairing");
    $("pair-msg").dataset.code = r.code;
    sayMsg("pair-msg", "pair.issued", { code: r.code });
  } catch (err) { sayErr("pair-msg", err); }
};
$("emergency-unlock").onclick = () => setMode("emergency_unlock");
$("lockdown").onclick = () => setMode("lockdown");
$("normal").onclick = () => setMode("normal");

api.call("GET", "/api/v1/session").then(enter, () => {});
