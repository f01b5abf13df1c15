// The accounts tab: everyone changes their own password; admins list the
// accounts, add one, disable or enable it and reset its password. The
// roles offered come from the API (the store's one list of roles).

let accounts = [], roles = [];

function roleText(r) { return hasMsg("role." + r) ? t("role." + r) : t("role.unknown"); }

$("pw-form").onsubmit = async (ev) => {
  ev.preventDefault();
  const old = $("pw-old").value, next = $("pw-new").value;
  if (next !== $("pw-new2").value) { sayMsg("pw-msg", "acct.mismatch", {}, true); return; }
  if ([...next].length < 10) { sayMsg("pw-msg", "acct.too_short", {}, true); return; }
  try {
    await api.call("POST", "/api/v1/session/password", { old, new: next });
    for (const id of ["pw-old", "pw-new", "pw-new2"]) $(id).value = "";
    sayMsg("pw-msg", "acct.changed");
  } catch (err) { sayErr("pw-msg", err, "acct.failed"); }
};

function drawRoles() {
  const sel = $("acct-role");
  const chosen = sel.value;
  sel.textContent = "";
  for (const r of roles) {
    const o = document.createElement("option");
    o.value = r;
    o.textContent = roleText(r);
    sel.append(o);
  }
  if (roles.includes(chosen)) sel.value = chosen;
  else if (roles.includes("guard")) sel.value = "guard";
}

function drawAccounts() {
  const ul = $("acct-list");
  ul.textContent = "";
  for (const a of accounts) {
    const li = document.createElement("li");
    li.dataset.name = a.name;
    li.dataset.disabled = a.disabled ? "1" : "0";
    li.className = a.disabled ? "disabled" : "";
    const name = document.createElement("b");
    name.textContent = t("acct.item", { name: a.name, role: roleText(a.role) });
    const st = document.createElement("span");
    st.className = "state";
    st.textContent = t(a.disabled ? "acct.state_disabled" : "acct.state_enabled");
    li.append(name, " ", st);
    const row = document.createElement("span");
    row.className = "row";
    if (session && a.name === session.account) {
      const you = document.createElement("small");
      you.textContent = t("acct.you");
      row.append(you);
    } else {
      const toggle = document.createElement("button");
      toggle.type = "button";
      toggle.className = a.disabled ? "enable" : "warn disable";
      toggle.textContent = t(a.disabled ? "acct.enable" : "acct.disable");
      toggle.onclick = () => setDisabled(a, !a.disabled);
      row.append(toggle);
    }
    const reset = document.createElement("button");
    reset.type = "button";
    reset.className = "reset";
    reset.textContent = t("acct.reset");
    reset.onclick = () => resetPassword(a);
    row.append(reset);
    li.append(row);
    ul.append(li);
  }
}

async function loadAccounts() {
  const admin = !!session && session.role === "admin";
  $("acct-admin").classList.toggle("hidden", !admin);
  if (!admin) return;
  try {
    const r = await api.call("GET", "/api/v1/accounts");
    accounts = r.accounts || [];
    roles = r.roles || [];
    drawRoles();
    drawAccounts();
  } catch (err) { sayErr("acct-msg", err, "acct.load_failed"); }
}

async function setDisabled(a, on) {
  try {
    await api.call("POST", "/api/v1/accounts/" + encodeURIComponent(a.name) + (on ? "/disable" : "/enable"));
    sayMsg("acct-msg", on ? "acct.disabled_done" : "acct.enabled_done", { name: a.name });
  } catch (err) { sayErr("acct-msg", err, "acct.failed"); }
  loadAccounts();
}

// resetPassword asks for the new password in a dialog; only "reset" with a
// password long enough sends it.
function resetPassword(a) {
  const d = $("reset-dialog");
  $("reset-title").textContent = t("acct.reset_title", { name: a.name });
  $("reset-text").textContent = t("acct.reset_text", { name: a.name });
  $("reset-password").value = "";
  $("reset-msg").textContent = "";
  $("reset-msg").redraw = null;
  d.dataset.name = a.name;
  d.returnValue = "";
  d.showModal();
  $("reset-password").focus();
}
$("reset-cancel").onclick = () => $("reset-dialog").close("cancel");
$("reset-yes").onclick = async (ev) => {
  ev.preventDefault(); // the dialog stays open until the reset is done
  const d = $("reset-dialog"), name = d.dataset.name, pw = $("reset-password").value;
  if ([...pw].length < 10) { sayMsg("reset-msg", "acct.too_short", {}, true); return; }
  try {
    await api.call("POST", "/api/v1/accounts/" + encodeURIComponent(name) + "/password", { password: pw });
    d.close("yes");
    sayMsg("acct-msg", "acct.reset_done", { name });
  } catch (err) { sayErr("reset-msg", err, "acct.failed"); }
};

$("acct-form").onsubmit = async (ev) => {
  ev.preventDefault();
  const body = { name: $("acct-name").value.trim(), role: $("acct-role").value, password: $("acct-password").value };
  try {
    const a = await api.call("POST", "/api/v1/accounts", body);
    $("acct-name").value = "";
    $("acct-password").value = "";
    sayMsg("acct-add-msg", "acct.added", { name: a.name, role: roleText(a.role) });
    loadAccounts();
  } catch (err) { sayErr("acct-add-msg", err, "acct.failed"); }
};

tabHooks.accounts = loadAccounts;
langHooks.push(() => { drawRoles(); drawAccounts(); });
