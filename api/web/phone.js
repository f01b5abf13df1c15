// The resident's phone page: pair once with a code from the gatehouse,
// then open doors with big buttons. The device token stays on the phone.
// Every sentence comes from the catalog (i18n.js); doors show their
// display names.
applyI18n();

function device() { return localStorage.getItem("menwei-device"); }
let doors = [];
let display = {};
function doorName(n) { return display[n] || n; }

async function open(door) {
  const name = doorName(door);
  try {
    const r = await api.call("POST", "/api/v1/doors/" + encodeURIComponent(door) + "/open", undefined, { Authorization: "Device " + device() });
    // Only what the lock confirmed is shown as opened.
    sayMsg("open-msg", r.opened ? "phone.opened" : "phone.asked", { door: name }, !r.opened);
  } catch (err) {
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
}

async function showDoors() {
  $("pair-view").classList.add("hidden");
  $("doors-view").classList.remove("hidden");
  const list = await api.call("GET", "/api/v1/phone/doors", undefined, { Authorization: "Device " + device() });
  doors = list.doors || [];
  display = list.display_names || {};
  timeZone = list.timezone || "";
  drawDoors();
}
langHooks.push(drawDoors);

$("pair").onclick = async () => {
  try {
    const r = await api.call("POST", "/api/v1/pair", { code: $("code").value, name: $("phone-name").value });
    localStorage.setItem("menwei-device", r.token);
    await showDoors();
  } catch (err) { sayErr("pair-msg", err); }
};
$("invite").onclick = async () => {
  try {
    const r = await api.call("POST", "/api/v1/phone/invite", { name: $("guest-name").value, hours: Number($("guest-hours").value), uses: 2 },
      { Authorization: "Device " + device() });
    say("invite-msg", (e) => { e.textContent = t("phone.invited", { name: r.name, until: fmtTime(r.pass.until, true) }); });
    $("guest-code").dataset.code = r.pass_code;
    sayMsg("guest-code", "phone.guest_code", { code: r.pass_code });
    $("guest-code").style.color = "";
    $("guest-qr").src = r.qr_png;
    $("guest-pass").classList.remove("hidden");
  } catch (err) { sayErr("invite-msg", err); }
};
$("forget").onclick = () => { localStorage.removeItem("menwei-device"); location.reload(); };
if (device()) showDoors();
