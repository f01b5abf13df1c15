// The guard console: sign in, doors with open and emergency buttons,
// visitor registration with a photo, live events and alerts.
function describe(e) {
  const who = e.name || e.identity || "";
  const parts = [new Date(e.time).toLocaleTimeString(), e.kind, e.door || e.pd || "", who, e.reason || "", e.detail || ""];
  return parts.filter(Boolean).join(" · ");
}

function addEvent(e) {
  const li = document.createElement("li");
  li.textContent = describe(e);
  li.dataset.kind = e.kind;
  if (e.identity) li.dataset.identity = e.identity;
  if (e.kind === "access.granted") li.className = "granted";
  else if (e.kind === "access.denied") li.className = "denied";
  else if (e.alarm) li.className = "alarm";
  $("events").prepend(li);
}

async function loadDoors() {
  const d = await api.call("GET", "/api/v1/doors");
  const box = $("doors");
  box.textContent = "";
  for (const door of d.doors) {
    const div = document.createElement("div");
    div.className = "door";
    const alarms = (door.alarms || []).join(", ");
    div.innerHTML = "<b></b> <span></span> <span class='alarm'></span> ";
    div.children[0].textContent = door.name;
    div.children[1].textContent = door.mode + (door.open ? " · open" : " · closed") + (door.lock_online ? "" : " · lock offline");
    div.children[2].textContent = alarms;
    const open = document.createElement("button");
    open.textContent = "Open";
    open.dataset.door = door.name;
    open.onclick = async () => {
      try {
        const r = await api.call("POST", "/api/v1/doors/" + encodeURIComponent(door.name) + "/open");
        // Only what the lock confirmed is shown as opened.
        if (r.opened) say("door-msg", door.name + " opened");
        else say("door-msg", door.name + ": asked to open, the lock has not confirmed yet", true);
      }
      catch (err) { say("door-msg", err.message, true); }
    };
    div.appendChild(open);
    box.appendChild(div);
  }
}

async function setMode(mode) {
  try { await api.call("POST", "/api/v1/emergency", { mode, reason: "from the guard console" }); say("door-msg", "doors: " + mode); loadDoors(); }
  catch (err) { say("door-msg", err.message, true); }
}

function startEvents() {
  const src = new EventSource("/api/v1/events/stream?after=0");
  src.onmessage = (m) => addEvent(JSON.parse(m.data));
  for (const k of ["access.granted", "access.denied", "door.opened", "door.closed", "door.forced_open", "door.held_open", "door.mode",
    "emergency.fire", "alarm.duress", "alert.denial_burst", "alert.door_forced", "alert.unknown_repeated", "alert.tamper",
    "alert.terminal_offline", "pd.online", "pd.offline", "visitor.registered", "auth.login"]) {
    src.addEventListener(k, (m) => { addEvent(JSON.parse(m.data)); if (k.startsWith("door.")) loadDoors(); });
  }
}

async function enter() {
  $("login-view").classList.add("hidden");
  $("console-view").classList.remove("hidden");
  const s = await api.call("GET", "/api/v1/session");
  $("who").textContent = s.account + " (" + s.role + ")";
  await loadDoors();
  startEvents();
}

$("login-form").onsubmit = async (ev) => {
  ev.preventDefault();
  try {
    const r = await api.call("POST", "/api/v1/login", { name: $("name").value, password: $("password").value });
    api.csrf = r.csrf;
    sessionStorage.setItem("csrf", r.csrf);
    await enter();
  } catch (err) { say("login-msg", err.message, true); }
};

$("visitor-form").onsubmit = async (ev) => {
  ev.preventDefault();
  const f = new FormData();
  f.append("name", $("v-name").value);
  f.append("host", $("v-host").value);
  f.append("uses", $("v-uses").value);
  f.append("until", new Date(Date.now() + $("v-hours").value * 3600e3).toISOString());
  f.append("photo", $("v-photo").files[0]);
  try {
    const v = await api.call("POST", "/api/v1/visitors", f);
    say("visitor-msg", "registered " + v.name + " (" + v.id + ")");
    $("pass-code").textContent = "Pass code: " + v.pass_code + " then #";
    $("pass-qr").src = v.qr_png;
    $("pass").classList.remove("hidden");
  } catch (err) { say("visitor-msg", err.message, true); }
};

$("pair-button").onclick = async () => {
  try {
    const r = await api.call("POST", "/api/v1/residents/" + encodeURIComponent($("pair-resident").value) + "/pairing");
    say("pair-msg", "code " + r.code + " — open /phone.html on the phone within 10 minutes");
  } catch (err) { say("pair-msg", err.message, true); }
};
$("emergency-unlock").onclick = () => setMode("emergency_unlock");
$("lockdown").onclick = () => setMode("lockdown");
$("normal").onclick = () => setMode("normal");

api.call("GET", "/api/v1/session").then(enter, () => {});
