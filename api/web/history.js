// The history tab: the event log filtered (time range in the controller's
// zone, door, person, result, kind), newest first, a page at a time, with
// the face crop beside a refused face and the same filters exported as CSV.

const histPageSize = 50;
// The kinds each choice of the kind filter stands for (the API takes a
// comma-separated list; "door.*" is a family).
const HIST_KINDS = {
  access: "access.*",
  door: "door.*",
  alarm: "alarm.duress,door.forced_open,door.held_open,door.unsecured,door.lock_failed,emergency.fire,pd.tamper,pd.power,pd.offline,alert.*",
  terminal: "pd.*",
  admin: "auth.*,identity.*,credential.*,device.*,visitor.*,enrol.*,door.mode_requested,alarm.acknowledged",
};
let histBefore = [0]; // the before= of each page shown so far (0 = the newest)
let histNext = 0, histMore = false, histEvents = [];

// zoned turns a datetime-local value, read as a time in the controller's
// zone (the browser's when none is known), into RFC 3339 UTC.
function zoned(v) {
  if (!v) return "";
  const [d, tm] = v.split("T");
  const [y, mo, da] = d.split("-").map(Number);
  const [h, mi, se] = (tm + ":0:0").split(":").map(Number);
  const wall = Date.UTC(y, mo - 1, da, h, mi, se || 0);
  if (!timeZone) return new Date(y, mo - 1, da, h, mi, se || 0).toISOString();
  // The zone's offset at that moment: format the guess in the zone and
  // compare; twice, in case the guess crossed a change of offset.
  const off = (ms) => {
    const p = {};
    for (const x of new Intl.DateTimeFormat("en-US", { timeZone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" }).formatToParts(new Date(ms))) p[x.type] = x.value;
    return Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute, +p.second) - ms;
  };
  let ms = wall - off(wall);
  ms = wall - off(ms);
  return new Date(ms).toISOString().replace(/\.000Z$/, "Z");
}

// fmtDate is the day of iso in the controller's zone.
function fmtDate(iso) {
  const o = { year: "numeric", month: "2-digit", day: "2-digit" };
  try { return new Intl.DateTimeFormat(lang, timeZone ? { ...o, timeZone } : o).format(new Date(iso)); }
  catch (e) { return new Intl.DateTimeFormat(lang, o).format(new Date(iso)); }
}

// histQuery is the filters as a query string (without paging).
function histQuery() {
  const q = new URLSearchParams();
  const from = zoned($("hist-from").value), to = zoned($("hist-to").value);
  if (from) q.set("since", from);
  if (to) q.set("until", to);
  if ($("hist-gate").value) q.set("gate", $("hist-gate").value);
  if ($("hist-door").value) q.set("door", $("hist-door").value);
  if ($("hist-person").value.trim()) q.set("person", $("hist-person").value.trim());
  if ($("hist-result").value) q.set("result", $("hist-result").value);
  if ($("hist-kind").value) q.set("kind", HIST_KINDS[$("hist-kind").value]);
  return q;
}

function histRangeOK() {
  const from = zoned($("hist-from").value), to = zoned($("hist-to").value);
  return !(from && to && Date.parse(to) <= Date.parse(from));
}

function drawHistDoors() {
  const sel = $("hist-door");
  const chosen = sel.value;
  while (sel.options.length > 1) sel.remove(1);
  for (const d of doorList) {
    const o = document.createElement("option");
    o.value = d.name;
    o.textContent = doorName(d.name);
    sel.append(o);
  }
  sel.value = chosen;
}

function drawHistory() {
  const ul = $("hist-list");
  ul.textContent = "";
  for (const e of histEvents) {
    const li = document.createElement("li");
    li.dataset.seq = e.seq;
    li.dataset.kind = e.kind;
    if (e.identity) li.dataset.identity = e.identity;
    if (e.door) li.dataset.door = e.door;
    if (e.gate) li.dataset.gate = e.gate;
    li.className = e.kind === "access.granted" ? "granted" : e.kind === "access.denied" ? "denied" : e.alarm ? "alarm" : "";
    const text = document.createElement("span");
    describe(text, e);
    // describe starts with the time of day (after where it is from, at the
    // office); the history shows the date too.
    const from = text.querySelector(".gate-label");
    if (from) from.after(" " + fmtDate(e.time));
    else text.prepend(fmtDate(e.time) + " ");
    li.append(text);
    // A refused face keeps a crop (unless retention removed it); a gate's
    // crops stay at the gate.
    if (!e.gate && e.kind === "access.denied" && (e.face_ref || /face/.test(e.factor || ""))) {
      const img = document.createElement("img");
      img.className = "crop";
      img.alt = t("hist.crop_alt");
      img.width = 96;
      img.onerror = () => img.remove();
      img.src = "/api/v1/events/" + e.seq + "/crop";
      li.append(img);
    }
    ul.append(li);
  }
  const page = histBefore.length;
  if (!histEvents.length && !histMore) $("hist-page").textContent = t(page > 1 ? "hist.end" : "hist.none");
  else $("hist-page").textContent = t(histMore && histEvents.length < histPageSize ? "hist.page_more" : "hist.page", { page, count: histEvents.length });
  $("hist-newer").disabled = page <= 1;
  $("hist-older").disabled = !histMore;
  const q = histQuery();
  q.set("format", "csv");
  $("hist-export").href = "/api/v1/events/export?" + q.toString();
}

async function loadHistory() {
  if (!histRangeOK()) { sayMsg("hist-msg", "hist.bad_range", {}, true); return; }
  const q = histQuery();
  q.set("order", "desc");
  q.set("limit", histPageSize);
  // At the office over every gate, a page goes on from a cursor (where
  // each gate's log stopped); elsewhere from a seq.
  const before = histBefore[histBefore.length - 1];
  if (typeof before === "string") q.set("cursor", before);
  else if (before) q.set("before", before);
  try {
    const p = await api.call("GET", "/api/v1/events?" + q.toString());
    histEvents = p.events || [];
    histNext = p.cursor || p.next;
    histMore = p.more;
    $("hist-msg").textContent = "";
    $("hist-msg").redraw = null;
    drawHistory();
  } catch (err) { sayErr("hist-msg", err, "hist.failed"); }
}

$("hist-form").onsubmit = (ev) => { ev.preventDefault(); histBefore = [0]; loadHistory(); };
$("hist-reset").onclick = () => {
  for (const id of ["hist-from", "hist-to", "hist-person"]) $(id).value = "";
  for (const id of ["hist-gate", "hist-door", "hist-result", "hist-kind"]) $(id).value = "";
  histBefore = [0];
  loadHistory();
};
$("hist-older").onclick = () => { if (!histMore) return; histBefore.push(histNext); loadHistory(); };
$("hist-newer").onclick = () => { if (histBefore.length > 1) { histBefore.pop(); loadHistory(); } };
// The export link follows the filters as they are typed.
for (const id of ["hist-from", "hist-to", "hist-gate", "hist-door", "hist-person", "hist-result", "hist-kind"]) $(id).addEventListener("change", drawHistory);

tabHooks.history = () => { drawHistDoors(); loadHistory(); };
langHooks.push(() => { drawHistDoors(); drawHistory(); });
