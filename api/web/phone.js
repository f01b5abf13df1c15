// The resident's phone page: pair once with a code from the gatehouse,
// then open doors with big buttons. The device token stays on the phone.
// Every sentence comes from the catalog (i18n.js); doors show their
// display names. A large-text mode is remembered on the phone.
applyI18n();

function device() { return localStorage.getItem("menwei-device"); }
function auth() { return { Authorization: "Device " + device() }; }
let doors = [];
let display = {};
let me = null;
let guest = null; // the last invitation: {name, code, doors, until, uses}
function doorName(n) { return display[n] || n; }
function doorList(names) {
  if (!names || !names.length) return t("phone.all_doors");
  return names.map(doorName).join(lang === "zh-CN" ? "、" : ", ");
}

// Large text: a class on <html>, remembered.
function drawBig() {
  const on = localStorage.getItem("menwei-big-text") === "1";
  document.documentElement.classList.toggle("big", on);
  const b = $("big-text");
  b.setAttribute("aria-pressed", on ? "true" : "false");
  b.textContent = t(on ? "phone.big_off" : "phone.big_on");
}
$("big-text").onclick = () => {
  const on = localStorage.getItem("menwei-big-text") !== "1";
  try { localStorage.setItem("menwei-big-text", on ? "1" : "0"); } catch (e) { /* private mode: this page only */ }
  drawBig();
};
drawBig();

async function open(door) {
  const name = doorName(door);
  try {
    const r = await api.call("POST", "/api/v1/doors/" + encodeURIComponent(door) + "/open", undefined, auth());
    // Only what the lock confirmed is shown as opened.
    sayMsg("open-msg", r.opened ? "phone.opened" : "phone.asked", { door: name }, !r.opened);
  } catch (err) {
    if (err.status === 401) { forgetHere("phone.revoked"); return; }
    if (err.status === 403 && err.data && err.data.reason) {
      say("open-msg", (e) => { const u = []; putText(e, t("door.denied", { door: name, reason: codeText("reason.", err.data.reason, "reason.unknown", u) }), u); }, true);
    } else sayErr("open-msg", err, "door.failed", { door: name });
  }
}

function drawDoors() {
  const box = $("door-buttons");
  box.textContent = "";
  for (const d of doors) {
    const b = document.createElement("button");
    b.className = "big";
    b.textContent = t("phone.open_door", { door: doorName(d) });
    b.dataset.door = d;
    b.onclick = () => open(d);
    box.appendChild(b);
  }
  // The doors a guest may use: every one ticked at first, kept across redraws.
  const fs = $("guest-doors");
  const was = {};
  for (const c of fs.querySelectorAll("input")) was[c.value] = c.checked;
  for (const l of fs.querySelectorAll("label")) l.remove();
  for (const d of doors) {
    const l = document.createElement("label");
    const c = document.createElement("input");
    c.type = "checkbox";
    c.value = d;
    c.checked = was[d] !== undefined ? was[d] : true;
    l.append(c, doorName(d));
    fs.append(l);
  }
}

function drawMe() {
  if (!me) { $("who").textContent = ""; return; }
  $("who").textContent = me.unit ? t("phone.me", { name: me.name, unit: me.unit }) : me.name;
}

// forgetHere drops the credential from this phone and shows pairing again.
function forgetHere(key) {
  localStorage.removeItem("menwei-device");
  me = null;
  drawMe();
  $("doors-view").classList.add("hidden");
  $("pair-view").classList.remove("hidden");
  sayMsg("pair-msg", key, {}, key !== "phone.unpaired");
}

async function showDoors() {
  $("pair-view").classList.add("hidden");
  $("doors-view").classList.remove("hidden");
  try {
    const list = await api.call("GET", "/api/v1/phone/doors", undefined, auth());
    doors = list.doors || [];
    display = list.display_names || {};
    timeZone = list.timezone || "";
    drawDoors();
    me = await api.call("GET", "/api/v1/phone/me", undefined, auth());
    drawMe();
  } catch (err) {
    if (err.status === 401) forgetHere("phone.revoked"); // revoked at the gatehouse
    else sayErr("open-msg", err);
  }
}

function guestText() {
  return t("phone.share_text", { name: guest.name, code: guest.code, doors: doorList(guest.doors), until: fmtTime(guest.until, true) });
}

function drawGuest() {
  if (!guest) return;
  say("invite-msg", (e) => {
    e.textContent = t("phone.invited_pass", { name: guest.name, doors: doorList(guest.doors), until: fmtTime(guest.until, true),
      uses: guest.uses ? t("phone.uses_limited", { uses: guest.uses }) : t("phone.uses_unlimited") });
  });
}
langHooks.push(drawDoors, drawMe, drawBig, drawGuest);

$("pair").onclick = async () => {
  try {
    const r = await api.call("POST", "/api/v1/pair", { code: $("code").value, name: $("phone-name").value });
    localStorage.setItem("menwei-device", r.token);
    $("pair-msg").textContent = "";
    $("pair-msg").redraw = null;
    await showDoors();
  } catch (err) { sayErr("pair-msg", err); }
};
$("invite").onclick = async () => {
  const chosen = [...$("guest-doors").querySelectorAll("input:checked")].map((c) => c.value);
  if (doors.length && !chosen.length) { sayMsg("invite-msg", "phone.no_doors", {}, true); return; }
  // Every door ticked is "every door" (also the doors added later).
  const body = { name: $("guest-name").value, hours: Number($("guest-hours").value), uses: Number($("guest-uses").value) };
  if (chosen.length < doors.length) body.doors = chosen;
  try {
    const r = await api.call("POST", "/api/v1/phone/invite", body, auth());
    guest = { name: r.name, code: r.pass_code, doors: r.pass.doors || [], until: r.pass.until, uses: r.pass.max_uses || 0 };
    drawGuest();
    $("guest-code").dataset.code = r.pass_code;
    sayMsg("guest-code", "phone.guest_code", { code: r.pass_code });
    $("guest-code").style.color = "";
    $("guest-qr").src = r.qr_png;
    $("guest-pass").classList.remove("hidden");
    $("share-msg").textContent = "";
    $("share-msg").redraw = null;
  } catch (err) {
    if (err.status === 401) { forgetHere("phone.revoked"); return; }
    sayErr("invite-msg", err);
  }
};

// copyText puts text on the clipboard: the Clipboard API where the page
// may use it, else a selected text area and the copy command (older
// phones, or a page served over plain http on the estate's network).
async function copyText(text) {
  try {
    if (navigator.clipboard && navigator.clipboard.writeText) { await navigator.clipboard.writeText(text); return true; }
  } catch (e) { /* fall back below */ }
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.className = "sr";
  document.body.append(area);
  area.select();
  let ok = false;
  try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
  area.remove();
  return ok;
}

// Share the code: the phone's share sheet (WeChat, SMS…) where it has the
// Web Share API, else copy it.
$("share").onclick = async () => {
  if (!guest) return;
  const text = guestText();
  if (navigator.share) {
    try { await navigator.share({ title: t("phone.share_title"), text }); sayMsg("share-msg", "phone.shared"); return; }
    catch (e) { if (e && e.name === "AbortError") return; /* else copy below */ }
  }
  const ok = await copyText(text);
  $("share-msg").dataset.copied = ok ? "1" : "0";
  sayMsg("share-msg", ok ? "phone.copied" : "phone.copy_failed", {}, !ok);
};

// Unpairing asks first; then the server revokes this phone's credential
// and only then does the phone forget it.
$("forget").onclick = () => {
  const d = $("unpair-dialog");
  d.returnValue = "";
  d.showModal();
  $("unpair-cancel").focus();
};
$("unpair-dialog").onclose = async () => {
  if ($("unpair-dialog").returnValue !== "yes") return;
  try {
    await api.call("DELETE", "/api/v1/phone/device", undefined, auth());
    forgetHere("phone.unpaired");
  } catch (err) {
    if (err.status === 401) forgetHere("phone.unpaired"); // already revoked on the server
    else sayErr("forget-msg", err, "phone.unpair_failed");
  }
};
if (device()) showDoors();
