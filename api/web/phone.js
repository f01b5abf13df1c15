// The resident's phone page: pair once with a code from the gatehouse,
// then open doors with big buttons. The device token stays on the phone.
function device() { return localStorage.getItem("menwei-device"); }

async function open(door) {
  try {
    const r = await api.call("POST", "/api/v1/doors/" + encodeURIComponent(door) + "/open", undefined, { Authorization: "Device " + device() });
    // Only what the lock confirmed is shown as opened.
    say("open-msg", door + ": " + (r.opened ? "opened" : "asked to open, not confirmed yet"), !r.opened);
  } catch (err) { say("open-msg", door + ": " + err.message, true); }
}

async function showDoors() {
  $("pair-view").classList.add("hidden");
  $("doors-view").classList.remove("hidden");
  const list = await api.call("GET", "/api/v1/phone/doors", undefined, { Authorization: "Device " + device() });
  const box = $("door-buttons");
  box.textContent = "";
  for (const d of list.doors) {
    const b = document.createElement("button");
    b.className = "big";
    b.textContent = "Open " + d;
    b.dataset.door = d;
    b.onclick = () => open(d);
    box.appendChild(b);
  }
}

$("pair").onclick = async () => {
  try {
    const r = await api.call("POST", "/api/v1/pair", { code: $("code").value, name: $("phone-name").value });
    localStorage.setItem("menwei-device", r.token);
    await showDoors();
  } catch (err) { say("pair-msg", err.message, true); }
};
$("invite").onclick = async () => {
  try {
    const r = await api.call("POST", "/api/v1/phone/invite", { name: $("guest-name").value, hours: Number($("guest-hours").value), uses: 2 },
      { Authorization: "Device " + device() });
    say("invite-msg", "send this to " + r.name + ": valid until " + new Date(r.pass.until).toLocaleString());
    $("guest-code").textContent = "Code: " + r.pass_code + " then #";
    $("guest-qr").src = r.qr_png;
    $("guest-pass").classList.remove("hidden");
  } catch (err) { say("invite-msg", err.message, true); }
};
$("forget").onclick = () => { localStorage.removeItem("menwei-device"); location.reload(); };
if (device()) showDoors();
