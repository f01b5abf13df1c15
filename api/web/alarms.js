// The alarm panel, above the tabs: every open (unacknowledged) alarm with
// a banner and a beep until a guard acknowledges it with a note. The list
// comes from the API (read from the event log, so it survives a reload and
// a restart of the controller); live alarm events make it reload.

let openAlarms = [];
let alarmTotal = 0;
const alarmNotes = {}; // seq -> the note being typed, kept across redraws

// A beep made in the page (WebAudio), every 2 s while an alarm is open.
// Browsers start sound only after a click or key press on the page; until
// then the banner alone shows. alarmBeeps counts the beeps (for tests).
let audio = null;
let alarmBeeps = 0;
function beep() {
  alarmBeeps++;
  try {
    if (!audio) audio = new AudioContext();
    if (audio.state === "suspended") audio.resume();
    const o = audio.createOscillator(), g = audio.createGain();
    o.type = "square";
    o.frequency.value = 880;
    g.gain.setValueAtTime(0.15, audio.currentTime);
    g.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.4);
    o.connect(g).connect(audio.destination);
    o.start();
    o.stop(audio.currentTime + 0.4);
  } catch (e) { /* no audio on this machine: the banner stays */ }
}
for (const ev of ["click", "keydown"]) document.addEventListener(ev, () => { if (audio && audio.state === "suspended") audio.resume(); });
setInterval(() => { if (openAlarms.length && session) beep(); }, 2000);

function drawAlarms() {
  const panel = $("alarm-panel");
  panel.classList.toggle("hidden", alarmTotal === 0);
  $("alarm-heading").textContent = t("alarmp.heading", { count: alarmTotal });
  const more = alarmTotal - openAlarms.length;
  $("alarm-more").classList.toggle("hidden", more <= 0);
  $("alarm-more").textContent = more > 0 ? t("alarmp.more", { count: more }) : "";
  const ul = $("alarm-list");
  const focused = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.seq : "";
  ul.textContent = "";
  for (const a of openAlarms) {
    const e = a.event;
    const li = document.createElement("li");
    li.dataset.seq = e.seq;
    li.dataset.kind = e.kind;
    if (a.gate) li.dataset.gate = a.gate;
    const what = document.createElement("span");
    what.className = "what";
    describe(what, a.gate ? { ...e, gate: a.gate } : e);
    li.append("⚠ ", what);
    if (a.cleared) {
      const c = document.createElement("span");
      c.className = "cleared";
      c.textContent = t("alarmp.cleared", { time: fmtTime(a.cleared.time) });
      li.append(" ", c);
    }
    const key = a.gate ? a.gate + "-" + e.seq : String(e.seq); // seqs are per gate
    const id = "alarm-note-" + key;
    const label = document.createElement("label");
    label.htmlFor = id;
    label.className = "sr";
    label.textContent = t("alarmp.note_label");
    const note = document.createElement("input");
    note.id = id;
    note.dataset.seq = key;
    note.maxLength = 200;
    note.placeholder = t("alarmp.note_placeholder");
    note.value = alarmNotes[key] || "";
    note.oninput = () => { alarmNotes[key] = note.value; };
    const ack = document.createElement("button");
    ack.type = "button";
    ack.className = "warn";
    ack.dataset.seq = e.seq;
    ack.textContent = t("alarmp.ack");
    ack.onclick = () => acknowledge(e.seq, note, a.gate, key);
    note.onkeydown = (k) => { if (k.key === "Enter") acknowledge(e.seq, note, a.gate, key); };
    const row = document.createElement("div");
    row.className = "row";
    row.append(label, note, ack);
    li.append(row);
    ul.append(li);
  }
  if (focused) { const el = $("alarm-note-" + focused); if (el) el.focus(); }
}

async function acknowledge(seq, input, gate, key) {
  const note = input.value.trim();
  if (!note) { sayMsg("alarm-msg", "alarmp.note_required", {}, true); input.focus(); return; }
  try {
    const r = await api.call("POST", "/api/v1/alarms/" + seq + "/ack", gate ? { note, gate } : { note });
    delete alarmNotes[key];
    if (!gate) sayMsg("alarm-msg", "alarmp.acked");
    else if (r.gate_ack === "acknowledged") sayMsg("alarm-msg", "alarmp.acked_at_gate", { gate });
    else {
      // Recorded at the office; the gate did not record it: say so.
      say("alarm-msg", (el) => {
        const unknown = [];
        putText(el, t("alarmp.acked_office_only", { gate, error: errText({ code: r.gate_ack }, unknown) }), unknown);
      }, true);
    }
  } catch (err) { sayErr("alarm-msg", err, "alarmp.failed"); }
  loadAlarms();
}

let alarmsLoading = null;
async function loadAlarms() {
  if (alarmsLoading) return alarmsLoading; // one request at a time
  alarmsLoading = (async () => {
    try {
      const r = await api.call("GET", "/api/v1/alarms");
      openAlarms = r.alarms || [];
      alarmTotal = r.total || 0;
      drawAlarms();
    } catch (err) {
      if (err.status !== 503) sayErr("alarm-msg", err, "alarmp.load_failed"); // 503: still starting, the next poll tries again
    } finally { alarmsLoading = null; }
  })();
  return alarmsLoading;
}

// A live alarm, an acknowledgement or an alarm clearing: reload (once for
// a burst of events).
let alarmReload = 0;
eventHooks.push((e) => {
  if (!e.alarm && e.kind !== "alarm.acknowledged" && !openAlarms.length) return;
  clearTimeout(alarmReload);
  alarmReload = setTimeout(loadAlarms, 200);
});
setInterval(() => { if (session) loadAlarms(); }, 15000);
langHooks.push(drawAlarms);
enterHooks.push(loadAlarms);
