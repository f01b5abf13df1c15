// The visitors tab: register a visitor with a photo (a warning when the
// face is already someone's), and the passes, current or past, with their
// state, their entries from the event log, and revoking one (the record
// stays for the history).

const visPageSize = 20;
let visOffset = 0, visTotal = 0, visList = [];
const visOpen = {}; // visitor id -> entries shown (the events), kept across redraws

// passDoors is the doors of a pass as a person reads them.
function passDoors(p) {
  if (!p || !p.doors || !p.doors.length) return t("vis.doors_all");
  return p.doors.map(doorName).join(lang === "zh-CN" ? "、" : ", ");
}

function drawWarning(w) {
  const box = $("visitor-warning");
  box.classList.toggle("hidden", !w);
  box.warning = w || null;
  if (!w) return;
  const kind = codeText("viskind.", w.kind, "viskind.unknown", null);
  const canRevoke = w.kind === "visitor" && w.state !== "revoked";
  box.dataset.identity = w.identity;
  $("visitor-warning-text").textContent = t(canRevoke ? "vis.same_face" : "vis.same_face_person", { kind, name: w.name || w.identity, id: w.identity });
  const b = $("visitor-warning-revoke");
  b.classList.toggle("hidden", !canRevoke);
  b.textContent = t("vis.revoke_other", { name: w.name || w.identity });
  b.onclick = () => revokeVisitor({ id: w.identity, name: w.name || w.identity }, "visitor-msg").then((ok) => { if (ok) drawWarning(null); });
}

$("visitor-form").onsubmit = async (ev) => {
  ev.preventDefault();
  const f = new FormData();
  f.append("name", $("v-name").value);
  f.append("host", $("v-host").value);
  f.append("uses", $("v-uses").value);
  f.append("until", new Date(Date.now() + $("v-hours").value * 3600e3).toISOString());
  f.append("photo", $("v-photo").files[0]);
  if ($("v-consent").checked) f.append("consent", $("v-consent").value); // the version of the text shown
  try {
    const v = await api.call("POST", "/api/v1/visitors", f);
    $("visitor-msg").dataset.id = v.id;
    sayMsg("visitor-msg", "visitor.registered", { name: v.name, id: v.id });
    drawWarning(v.warning);
    $("pass-code").dataset.code = v.pass_code;
    sayMsg("pass-code", "visitor.pass_code", { code: v.pass_code });
    $("pass-code").style.color = "";
    $("pass-qr").src = v.qr_png;
    $("pass").classList.remove("hidden");
    $("v-consent").checked = false; // the next visitor agrees for themselves
    loadVisitors();
  } catch (err) { drawWarning(null); sayErr("visitor-msg", err); }
};

// revokeVisitor asks first, then revokes v's pass; msg is where to say so.
async function revokeVisitor(v, msg) {
  if (!(await ask(t("vis.confirm_title", { name: v.name }), t("vis.confirm_text"), t("vis.confirm_yes"), "revoke"))) return false;
  try {
    await api.call("POST", "/api/v1/visitors/" + encodeURIComponent(v.id) + "/revoke");
    sayMsg(msg, "vis.revoked", { name: v.name });
    loadVisitors();
    return true;
  } catch (err) { sayErr(msg, err, "vis.revoke_failed"); return false; }
}

function drawUses(li, v) {
  let box = li.querySelector(".uses");
  if (!box) { box = document.createElement("ul"); box.className = "uses history"; li.append(box); }
  box.textContent = "";
  const evs = visOpen[v.id];
  if (evs && evs.error) {
    const p = document.createElement("li");
    const u = [];
    putText(p, t("vis.uses_failed", { error: errText(evs.error, u) }), u);
    box.append(p);
    return;
  }
  if (!evs.length) { const p = document.createElement("li"); p.textContent = t("vis.uses_none"); box.append(p); return; }
  for (const e of evs) {
    const item = document.createElement("li");
    item.dataset.seq = e.seq;
    item.dataset.kind = e.kind;
    item.className = e.kind === "access.granted" ? "granted" : e.kind === "access.denied" ? "denied" : "";
    describe(item, e);
    item.prepend(fmtDate(e.time) + " ");
    box.append(item);
  }
}

async function toggleUses(li, v) {
  if (visOpen[v.id]) { delete visOpen[v.id]; drawVisitors(); return; }
  const q = new URLSearchParams({ identity: v.id, kind: "access.*", order: "desc", limit: "50" });
  if (v.pass && v.pass.from) q.set("since", v.pass.from);
  try { visOpen[v.id] = (await api.call("GET", "/api/v1/events?" + q.toString())).events || []; }
  catch (err) { visOpen[v.id] = { error: err }; }
  drawVisitors();
}

function drawVisitors() {
  const ul = $("vis-list");
  ul.textContent = "";
  for (const v of visList) {
    const li = document.createElement("li");
    li.dataset.id = v.id;
    li.dataset.state = v.state;
    const head = document.createElement("div");
    head.className = "row";
    const badge = document.createElement("span");
    badge.className = "badge st-" + v.state;
    badge.textContent = codeText("visstate.", v.state, "visstate.unknown", null);
    const who = document.createElement("b");
    who.textContent = t("vis.item", { name: v.name, host: v.host_name || v.host });
    head.append(badge, who);
    const p = v.pass || {};
    const facts = [t("vis.window", { from: fmtTime(p.from, true), until: fmtTime(p.until, true) }), t("vis.doors", { doors: passDoors(p) }),
      p.max_uses ? t("vis.uses_limited", { uses: p.uses || 0, max: p.max_uses }) : t("vis.uses_unlimited", { uses: p.uses || 0 })];
    if (p.revoked) facts.push(t("vis.revoked_by", { account: p.revoked_by || t("who.unknown"), time: fmtTime(p.revoked, true) }));
    const info = document.createElement("div");
    info.className = "facts";
    info.textContent = facts.join(lang === "zh-CN" ? "；" : "; ");
    const buttons = document.createElement("div");
    buttons.className = "row";
    const uses = document.createElement("button");
    uses.type = "button";
    uses.className = "show-uses";
    uses.textContent = t(visOpen[v.id] ? "vis.hide_uses" : "vis.show_uses");
    uses.setAttribute("aria-expanded", visOpen[v.id] ? "true" : "false");
    uses.onclick = () => toggleUses(li, v);
    buttons.append(uses);
    if (v.state !== "revoked") {
      const rev = document.createElement("button");
      rev.type = "button";
      rev.className = "danger revoke";
      rev.textContent = t("vis.revoke");
      rev.onclick = () => revokeVisitor(v, "vis-msg");
      buttons.append(rev);
    }
    li.append(head, info, buttons);
    if (visOpen[v.id]) drawUses(li, v);
    ul.append(li);
  }
  const page = Math.floor(visOffset / visPageSize) + 1;
  $("vis-page").textContent = visList.length ? t("vis.page", { page, total: visTotal }) : t("vis.none");
  $("vis-newer").disabled = visOffset === 0;
  $("vis-older").disabled = visOffset + visList.length >= visTotal;
}

async function loadVisitors() {
  const q = new URLSearchParams({ state: $("vis-state").value, limit: visPageSize, offset: visOffset });
  if ($("vis-q").value.trim()) q.set("q", $("vis-q").value.trim());
  try {
    const p = await api.call("GET", "/api/v1/visitors?" + q.toString());
    visList = p.people || [];
    visTotal = p.total || 0;
    drawVisitors();
  } catch (err) { sayErr("vis-msg", err, "vis.load_failed"); }
}

$("vis-form").onsubmit = (ev) => { ev.preventDefault(); visOffset = 0; loadVisitors(); };
$("vis-state").onchange = () => { visOffset = 0; loadVisitors(); };
$("vis-newer").onclick = () => { visOffset = Math.max(0, visOffset - visPageSize); loadVisitors(); };
$("vis-older").onclick = () => { visOffset += visPageSize; loadVisitors(); };

tabHooks.visitors = loadVisitors;
langHooks.push(() => { drawVisitors(); if ($("visitor-warning").warning) drawWarning($("visitor-warning").warning); });
