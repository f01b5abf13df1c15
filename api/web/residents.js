// The residents tab (issue 11, workflows 1 and 3): find residents by name,
// flat or card number; add, edit and move them out; their cards in the
// forms installers read them (the 10 digits printed on the card, Wiegand
// 26 facility,card, hex), added by number or captured at a reader, lost
// ones blacklisted at once; PIN, face photo, and their paired phones.
// Guards see residents and may blacklist a card or revoke a phone; the
// property office and admins change everything (style.css hides the
// .office-only controls from guards, and the API refuses them anyway).
// Loaded after console.js: it uses session, tabHooks, doorName, pdName.

const res = { q: "", offset: 0, limit: 20, total: 0, people: [], current: null, phones: [], schedules: [], readers: [], modules: [], captured: null, imported: null, importedKey: "" };

function manages() { return !!session && (session.role === "admin" || session.role === "office"); }
function enc(s) { return encodeURIComponent(s); }
function node(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}
function actionButton(key, action, cls) {
  const b = node("button", cls, t(key));
  b.type = "button";
  b.dataset.action = action;
  return b;
}

// fieldOf is the field an API refusal names: its message starts with it
// ("phone: …", "groups[0]: …", `identity "x": name required`).
function fieldOf(err) {
  const m = err && err.data && err.data.error && err.data.error.message;
  const r = m ? /^(?:identity "[^"]*": )?([a-z]+)/.exec(m) : null;
  if (!r) return "";
  return r[1] === "group" ? "groups" : r[1];
}
// sayFieldErr says which field to correct, as a sentence (FAMILY.bad.FIELD
// in the catalog), when the API names one the catalog knows; otherwise the
// error's own sentence.
function sayFieldErr(id, err, family) {
  const key = family + ".bad." + fieldOf(err);
  if (err.code === "bad_request" && hasMsg(key)) sayMsg(id, key, null, true);
  else sayErr(id, err);
}

// The list.
async function loadResidents() {
  try {
    const p = await api.call("GET", "/api/v1/residents?q=" + enc(res.q) + "&limit=" + res.limit + "&offset=" + res.offset);
    res.people = p.people || [];
    res.total = p.total;
    drawResidents();
  } catch (err) { sayErr("res-list-msg", err); }
}

// waysCell says, for the privacy rules, whether the person consented to a
// face or a fingerprint, and how they enter without one: who declined is
// visible, and so is a person left with no way in.
const consentText = {
  face: { given: "res.consent.face.given", withdrawn: "res.consent.face.withdrawn", none: "res.consent.face.none" },
  finger: { given: "res.consent.finger.given", withdrawn: "res.consent.finger.withdrawn", none: "res.consent.finger.none" },
};
const wayText = { card: "res.way.card", pin: "res.way.pin", phone: "res.way.phone" };
function waysCell(p) {
  const td = node("td");
  td.className = "ways";
  const consent = p.consent || {};
  const parts = ["face", "finger"].map((b) => t(consentText[b][consent[b] || "none"]));
  const ways = (p.ways_in || []).filter((w) => wayText[w]).map((w) => t(wayText[w]));
  const sep = lang === "en" ? ", " : "、";
  const declined = !Object.values(consent).includes("given");
  td.dataset.declined = String(declined);
  td.append(node("span", "", parts.join(" · ")), node("br"));
  if (ways.length) td.append(node("span", declined ? "declined" : "", t(declined ? "res.ways.declined" : "res.ways", { ways: ways.join(sep) })));
  else td.append(node("span", "bad", t(declined ? "res.ways.none_declined" : "res.ways.none")));
  return td;
}

function drawResidents() {
  const body = $("res-list").tBodies[0];
  body.textContent = "";
  if (!res.people.length) {
    const tr = node("tr");
    const td = node("td", "", t(res.q ? "res.none_match" : "res.none", { q: res.q }));
    td.colSpan = 6;
    tr.append(td);
    body.append(tr);
  }
  for (const p of res.people) {
    const tr = node("tr");
    tr.dataset.id = p.id;
    tr.setAttribute("aria-selected", String(!!res.current && res.current.id === p.id));
    const cards = p.card_list || [];
    const lost = cards.filter((c) => c.blacklisted).length;
    tr.append(node("td", "", p.name), node("td", "", p.unit || ""), node("td", "", p.phone || ""),
      node("td", "", lost ? t("res.cards_lost", { n: cards.length, lost }) : t("res.cards_n", { n: cards.length })),
      waysCell(p));
    const td = node("td");
    const open = actionButton(manages() ? "res.manage" : "res.view", "open");
    open.onclick = () => openResident(p.id);
    td.append(open);
    tr.append(td);
    body.append(tr);
  }
  const from = res.total ? res.offset + 1 : 0;
  $("res-count").textContent = t("res.count", { from, to: res.offset + res.people.length, total: res.total });
  $("res-prev").disabled = res.offset === 0;
  $("res-next").disabled = res.offset + res.people.length >= res.total;
}

$("res-search").onsubmit = (ev) => {
  ev.preventDefault();
  res.q = $("res-q").value.trim();
  res.offset = 0;
  $("res-list-msg").textContent = "";
  $("res-list-msg").redraw = null;
  loadResidents();
};
$("res-prev").onclick = () => { res.offset = Math.max(0, res.offset - res.limit); loadResidents(); };
$("res-next").onclick = () => { res.offset += res.limit; loadResidents(); };

// Add and edit.
function drawSchedules(selected) {
  const sel = $("res-schedule");
  sel.textContent = "";
  const none = node("option", "", t("res.schedule.none"));
  none.value = "";
  sel.append(none);
  for (const s of res.schedules) {
    const o = node("option", "", s.name ? t("res.schedule.named", { name: s.name, id: s.id }) : s.id);
    o.value = s.id;
    sel.append(o);
  }
  sel.value = selected || "";
}

function showForm(p) {
  res.editing = p ? p.id : "";
  $("res-edit").classList.remove("hidden");
  $("res-edit-heading").textContent = p ? t("res.edit_heading", { name: p.name }) : t("res.new_heading");
  $("res-id-row").classList.toggle("hidden", !!p);
  $("res-id").value = "";
  $("res-name").value = p ? p.name : "";
  $("res-unit").value = p ? (p.unit || "") : "";
  $("res-phone").value = p ? (p.phone || "") : "";
  $("res-groups").value = p ? (p.groups || []).join(", ") : "";
  drawSchedules(p ? p.schedule : "");
  $("res-form-msg").textContent = "";
  $("res-form-msg").redraw = null;
  (p ? $("res-name") : $("res-id")).focus();
}
$("res-new").onclick = () => showForm(null);
$("res-cancel").onclick = () => $("res-edit").classList.add("hidden");
$("res-edit-button").onclick = () => { if (res.current) showForm(res.current); };

$("res-form").onsubmit = async (ev) => {
  ev.preventDefault();
  const body = {
    name: $("res-name").value.trim(), unit: $("res-unit").value.trim(), phone: $("res-phone").value.trim(),
    groups: $("res-groups").value.split(/[,，\s]+/).filter((g) => g), schedule: $("res-schedule").value,
  };
  try {
    let p;
    if (res.editing) {
      body.disabled = !!(res.current && res.current.id === res.editing && res.current.disabled);
      p = await api.call("PUT", "/api/v1/residents/" + enc(res.editing), body);
    } else {
      body.id = $("res-id").value.trim();
      p = await api.call("POST", "/api/v1/residents", body);
    }
    $("res-edit").classList.add("hidden");
    sayMsg("res-list-msg", "res.saved", { name: p.name });
    await openResident(p.id);
    loadResidents();
  } catch (err) {
    if (err.code === "conflict") sayMsg("res-form-msg", "res.exists", null, true);
    else sayFieldErr("res-form-msg", err, "res");
  }
};

// One resident.
async function openResident(id) {
  try {
    res.current = await api.call("GET", "/api/v1/residents/" + enc(id));
  } catch (err) { sayErr("res-list-msg", err); return; }
  for (const m of ["res-msg", "card-msg", "capture-msg", "pin-msg", "face-msg", "finger-msg", "phones-msg"]) { $(m).textContent = ""; $(m).redraw = null; }
  res.captured = null;
  $("capture-add").classList.add("hidden");
  $("res-delete-confirm").classList.add("hidden");
  $("res-detail").classList.remove("hidden");
  drawDetail();
  for (const tr of $("res-list").tBodies[0].rows) tr.setAttribute("aria-selected", String(tr.dataset.id === id));
  await loadPhones();
}

async function reloadCurrent() {
  if (!res.current) return;
  try { res.current = await api.call("GET", "/api/v1/residents/" + enc(res.current.id)); drawDetail(); }
  catch (err) { sayErr("res-msg", err); }
}

function scheduleName(id) {
  const s = res.schedules.find((x) => x.id === id);
  return s && s.name ? s.name : id;
}

function drawDetail() {
  const p = res.current;
  if (!p) return;
  $("res-detail-heading").textContent = p.unit ? t("res.detail_heading", { name: p.name, unit: p.unit }) : p.name;
  // A resident's copy of their data (PIPL art. 45): a zip of everything
  // held about them; taking it is recorded with the account.
  $("res-export").href = "/api/v1/residents/" + enc(p.id) + "/export";
  // Withdrawing a consent is offered only while it is in force.
  for (const b of ["face", "finger"]) $(b + "-withdraw").classList.toggle("hidden", !(p.consent && p.consent[b] === "given"));
  $("res-export").setAttribute("download", "menwei-person-" + p.id + ".zip");
  const info = $("res-detail-info");
  info.textContent = "";
  const facts = [t("res.info.id", { id: p.id })];
  if (p.phone) facts.push(t("res.info.phone", { phone: p.phone }));
  if ((p.groups || []).length) facts.push(t("res.info.groups", { groups: p.groups.join(", ") }));
  facts.push(p.schedule ? t("res.info.schedule", { schedule: scheduleName(p.schedule) }) : t("res.info.no_schedule"));
  if (p.fingerprints) facts.push(t("res.info.fingers", { n: p.fingerprints }));
  if (p.faces !== undefined) facts.push(p.faces ? t("res.info.faces", { n: p.faces }) : t("res.info.no_face"));
  if (p.disabled) facts.push(t("res.info.disabled"));
  for (const f of facts) info.append(node("span", "fact", f), " ");
  drawCards();
  $("pin-state").textContent = t(p.has_pin ? "res.pin.is_set" : "res.pin.not_set");
}

function drawCards() {
  const ul = $("res-cards");
  ul.textContent = "";
  const cards = res.current.card_list || [];
  if (!cards.length) ul.append(node("li", "", t("card.none")));
  for (const c of cards) {
    const li = node("li", c.blacklisted ? "bad" : "");
    li.dataset.ref = c.ref;
    const forms = c.forms || {};
    const shown = node("div", "forms");
    let any = false;
    const label = { "8h10d": "card.form.8h10d", w26: "card.form.w26", hex: "card.form.hex" };
    for (const f of ["8h10d", "w26", "hex"]) {
      if (!forms[f]) continue;
      any = true;
      const s = node("span", "form", t(label[f], { value: forms[f] }));
      s.dataset.form = f;
      shown.append(s, " ");
    }
    if (!any) shown.append(node("span", "form", t("card.masked", { hint: c.hint })));
    li.append(shown);
    const facts = node("div");
    if (c.bits) facts.append(node("span", "", t("card.frame", { bits: c.bits })), " ");
    facts.append(node("span", "", t("card.added_on", { time: fmtTime(c.created, true) })));
    if (c.blacklisted) facts.append(" ", node("span", "alarm", t("card.is_blacklisted")));
    li.append(facts);
    const row = node("div", "row");
    if (!c.blacklisted) {
      const b = actionButton("card.blacklist", "blacklist", "warn");
      b.onclick = () => cardAction(c, "POST", "/cards/blacklist", "card.blacklisted_msg");
      row.append(b);
    } else if (manages()) {
      const b = actionButton("card.unblacklist", "unblacklist");
      b.onclick = () => cardAction(c, "DELETE", "/cards/blacklist", "card.unblacklisted_msg");
      row.append(b);
    }
    if (manages()) {
      const b = actionButton("card.remove", "remove", "danger");
      b.onclick = () => cardAction(c, "DELETE", "/cards", "card.removed_msg");
      row.append(b);
    }
    li.append(row);
    ul.append(li);
  }
}

// cardAction blacklists, clears or removes a card, naming it by its ref.
async function cardAction(c, method, path, done) {
  const name = res.current.name;
  try {
    await api.call(method, "/api/v1/residents/" + enc(res.current.id) + path, { ref: c.ref });
    sayMsg("card-msg", done, { name });
    await reloadCurrent();
    loadResidents();
  } catch (err) { sayErr("card-msg", err); }
}

$("card-format").onchange = () => { $("card-bits").disabled = $("card-format").value === ""; };
$("card-form").onsubmit = async (ev) => {
  ev.preventDefault();
  const format = $("card-format").value;
  const body = { card: $("card-number").value.trim(), format };
  if (format) body.bits = Number($("card-bits").value);
  await addCard(body, "card-msg");
  $("card-number").value = "";
};

async function addCard(body, msg) {
  try {
    const c = await api.call("POST", "/api/v1/residents/" + enc(res.current.id) + "/cards", body);
    sayMsg(msg, "card.added_msg", { name: res.current.name });
    await reloadCurrent();
    loadResidents();
    return c;
  } catch (err) {
    if (err.code === "conflict") sayMsg(msg, "card.in_use", null, true);
    else sayFieldErr(msg, err, "card");
    return null;
  }
}

// Capture a card at a reader: the next card read there comes back (and
// opens nothing); it is added only when the person says so.
function drawReaders() {
  const sel = $("capture-reader");
  const was = sel.value;
  sel.textContent = "";
  for (const r of res.readers) {
    const o = node("option", "", pdName(r.name));
    o.value = r.name;
    sel.append(o);
  }
  if (was) sel.value = was;
  $("capture-button").disabled = !res.readers.length;
}

$("capture-button").onclick = async () => {
  const reader = $("capture-reader").value;
  if (!reader || !res.current) return;
  const forWhom = res.current.id;
  res.captured = null;
  $("capture-add").classList.add("hidden");
  $("capture-button").disabled = true;
  sayMsg("capture-msg", "card.capture_waiting", { reader: pdName(reader), seconds: 20 });
  try {
    const c = await api.call("POST", "/api/v1/readers/" + enc(reader) + "/capture?wait=20");
    if (!res.current || res.current.id !== forWhom) return;
    res.captured = c;
    const forms = c.forms || {};
    const number = forms["8h10d"] || forms.w26 || c.hint;
    if (c.owner && c.owner === forWhom) sayMsg("capture-msg", "card.captured_own", { number });
    else if (c.owner) sayMsg("capture-msg", "card.captured_owned", { number, name: c.owner_name || c.owner }, true);
    else {
      sayMsg("capture-msg", "card.captured", { number, reader: pdName(reader) });
      $("capture-add").classList.remove("hidden");
      $("capture-add").focus();
    }
  } catch (err) {
    if (err.code === "capture_timeout") sayMsg("capture-msg", "card.capture_none", { reader: pdName(reader) }, true);
    else sayErr("capture-msg", err);
  } finally { $("capture-button").disabled = false; }
};
$("capture-add").onclick = async () => {
  if (!res.captured) return;
  const c = await addCard({ card: res.captured.key }, "capture-msg");
  if (c) { res.captured = null; $("capture-add").classList.add("hidden"); }
};

// PIN.
$("pin-form").onsubmit = async (ev) => {
  ev.preventDefault();
  try {
    await api.call("PUT", "/api/v1/residents/" + enc(res.current.id) + "/pin", { pin: $("pin").value });
    sayMsg("pin-msg", "res.pin.saved", { name: res.current.name });
    await reloadCurrent();
  } catch (err) {
    if (err.code === "bad_request") sayMsg("pin-msg", "res.pin.bad", null, true);
    else sayErr("pin-msg", err);
  }
  $("pin").value = "";
};

// Face: the server checks the photo (exactly one face) before it saves it.
$("face-form").onsubmit = async (ev) => {
  ev.preventDefault();
  const file = $("face-photo").files[0];
  if (!file) { sayMsg("face-msg", "res.face.choose", null, true); return; }
  const f = new FormData();
  f.append("photo", file);
  // The version of the consent text shown; without it the server takes a
  // consent recorded before, or refuses (consent_required).
  if ($("face-consent").checked) f.append("consent", $("face-consent").value);
  $("face-upload").disabled = true;
  sayMsg("face-msg", "res.face.checking");
  try {
    await api.call("POST", "/api/v1/residents/" + enc(res.current.id) + "/face", f);
    sayMsg("face-msg", "res.face.saved", { name: res.current.name });
    $("face-photo").value = "";
    await reloadCurrent();
  } catch (err) { sayErr("face-msg", err, "res.face.failed"); }
  finally { $("face-upload").disabled = false; }
};

// Fingerprint: enrolment at a chosen module takes the finger twice (the
// module's own steps, shown as instructions: the API answers once, with
// the slot the template is stored at, or why it failed).
function drawModules() {
  const sel = $("finger-module");
  const was = sel.value;
  sel.textContent = "";
  for (const m of res.modules) {
    const o = node("option", "", m.online ? m.name : t("res.finger.offline", { module: m.name }));
    o.value = m.name;
    sel.append(o);
  }
  if (was) sel.value = was;
  $("finger-enrol").disabled = !res.modules.length;
  if (!res.modules.length) sayMsg("finger-msg", "res.finger.none");
}

$("finger-enrol").onclick = async () => {
  const module = $("finger-module").value;
  if (!module || !res.current) return;
  const p = res.current;
  $("finger-enrol").disabled = true;
  $("finger-steps").classList.remove("hidden");
  sayMsg("finger-msg", "res.finger.waiting", { module, name: p.name });
  try {
    const body = { module };
    if ($("finger-consent").checked) body.consent = $("finger-consent").value;
    const r = await api.call("POST", "/api/v1/residents/" + enc(p.id) + "/fingerprint", body);
    sayMsg("finger-msg", "res.finger.enrolled", { name: p.name, module, slot: r.slot });
    if (res.current && res.current.id === p.id) await reloadCurrent();
  } catch (err) { sayErr("finger-msg", err, "res.finger.failed"); }
  finally { $("finger-enrol").disabled = false; $("finger-steps").classList.add("hidden"); }
};

// Phones.
async function loadPhones() {
  if (!res.current) return;
  try {
    const d = await api.call("GET", "/api/v1/residents/" + enc(res.current.id) + "/devices");
    res.phones = d.devices || [];
    drawPhones();
  } catch (err) { sayErr("phones-msg", err); }
}

function drawPhones() {
  const ul = $("res-phones");
  ul.textContent = "";
  if (!res.phones.length) ul.append(node("li", "", t("phones.none")));
  for (const d of res.phones) {
    const li = node("li", d.revoked ? "bad" : "");
    li.dataset.device = d.id;
    li.append(node("b", "", d.name || t("phones.unnamed")));
    const facts = node("div");
    facts.append(node("span", "", t("phones.paired_on", { time: fmtTime(d.created, true) })), " ",
      node("span", "last-used", d.last_used ? t("phones.last_used", { time: fmtTime(d.last_used, true) }) : t("phones.never_used")));
    if (d.revoked) facts.append(" ", node("span", "alarm", t("phones.is_revoked")));
    li.append(facts);
    if (!d.revoked) {
      const b = actionButton("phones.revoke", "revoke", "danger");
      b.onclick = async () => {
        try {
          await api.call("DELETE", "/api/v1/devices/" + enc(d.id));
          sayMsg("phones-msg", "phones.revoked_msg", { name: d.name || t("phones.unnamed") });
          await loadPhones();
        } catch (err) { sayErr("phones-msg", err); }
      };
      li.append(node("div", "row"));
      li.lastChild.append(b);
    }
    ul.append(li);
  }
}

// Moving out asks first, on the page (no browser dialog), then removes the
// resident everywhere: cards, PIN, faces, fingerprints, phones.
$("res-delete").onclick = () => {
  $("res-delete-question").textContent = t("res.move_out_question", { name: res.current.name });
  $("res-delete-confirm").classList.remove("hidden");
  $("res-delete-no").focus();
};
$("res-delete-no").onclick = () => { $("res-delete-confirm").classList.add("hidden"); $("res-delete").focus(); };
$("res-delete-yes").onclick = async () => {
  const p = res.current;
  try {
    await api.call("DELETE", "/api/v1/residents/" + enc(p.id));
    res.current = null;
    $("res-detail").classList.add("hidden");
    $("res-edit").classList.add("hidden");
    sayMsg("res-list-msg", "res.moved_out", { name: p.name });
    loadResidents();
  } catch (err) { sayErr("res-msg", err); }
};

// Erasure at the person's request (PIPL art. 47): everything about them is
// deleted as when they move out, and their events are pseudonymised (the
// event chain still verifies). Asked in the same box as moving out.
$("res-erase-yes").onclick = async () => {
  const p = res.current;
  try {
    const r = await api.call("POST", "/api/v1/residents/" + enc(p.id) + "/erase", { confirm: p.id });
    res.current = null;
    $("res-detail").classList.add("hidden");
    $("res-edit").classList.add("hidden");
    sayMsg("res-list-msg", r.unerasable ? "res.erased_old" : "res.erased", { name: p.name, events: r.events, old: r.unerasable });
    loadResidents();
  } catch (err) { sayErr("res-msg", err); }
};

// Bulk import from a CSV file: a dry run lists every row and its problems
// and writes nothing; Import is offered only after a dry run of the same
// file found none.
function fileKey(f) { return f ? [f.name, f.size, f.lastModified, $("imp-bits").value].join("|") : ""; }
const problemText = {
  required: "imp.problem.required", invalid: "imp.problem.invalid", duplicate: "imp.problem.duplicate",
  exists: "imp.problem.exists", in_use: "imp.problem.in_use",
};
const fieldText = {
  id: "imp.field.id", name: "imp.field.name", building: "imp.field.building", unit: "imp.field.unit",
  phone: "imp.field.phone", groups: "imp.field.groups", card: "imp.field.card",
};
function drawImport() {
  const r = res.imported;
  const table = $("imp-rows");
  const body = table.tBodies[0];
  body.textContent = "";
  table.classList.toggle("hidden", !r);
  if (!r) return;
  for (const row of r.rows) {
    const tr = node("tr");
    tr.dataset.line = row.line;
    const cell = node("td");
    if (!(row.problems || []).length) cell.textContent = t("imp.row_ok");
    for (const p of row.problems || []) {
      const unknown = [];
      const field = fieldText[p.field] ? t(fieldText[p.field]) : p.field;
      const li = node("div", "alarm");
      putText(li, codeText("", problemText[p.code] || "", "imp.problem.unknown", unknown, { field }), unknown);
      cell.append(li);
    }
    tr.append(node("td", "", String(row.line)), node("td", "", row.name), node("td", "", row.unit || ""), cell);
    body.append(tr);
  }
}
async function postImport(dry) {
  const file = $("imp-file").files[0];
  if (!file) { sayMsg("imp-msg", "imp.choose", null, true); return null; }
  const f = new FormData();
  f.append("file", file);
  return api.call("POST", "/api/v1/residents/import?bits=" + $("imp-bits").value + (dry ? "&dry_run=true" : ""), f);
}
$("imp-file").onchange = $("imp-bits").onchange = () => { $("imp-run").disabled = true; res.imported = null; drawImport(); };
$("imp-check").onclick = async () => {
  $("imp-run").disabled = true;
  try {
    const r = await postImport(true);
    if (!r) return;
    res.imported = r;
    res.importedKey = fileKey($("imp-file").files[0]);
    drawImport();
    const enc = t(r.encoding === "gb18030" ? "imp.enc.gb18030" : "imp.enc.utf8");
    if (r.problems) sayMsg("imp-msg", "imp.checked_bad", { n: r.rows.length, bad: r.problems, encoding: enc }, true);
    else { sayMsg("imp-msg", "imp.checked_ok", { n: r.rows.length, encoding: enc }); $("imp-run").disabled = !r.rows.length; }
  } catch (err) { res.imported = null; drawImport(); sayErr("imp-msg", err); }
};
$("imp-run").onclick = async () => {
  if (fileKey($("imp-file").files[0]) !== res.importedKey) { $("imp-run").disabled = true; return; }
  $("imp-run").disabled = true;
  try {
    const r = await postImport(false);
    if (!r) return;
    res.imported = null;
    drawImport();
    sayMsg("imp-msg", "imp.done", { n: r.written });
    loadResidents();
  } catch (err) { sayErr("imp-msg", err, "imp.failed"); }
};

tabHooks.residents = async () => {
  try { res.schedules = (await api.call("GET", "/api/v1/schedules")).schedules || []; } catch (e) { res.schedules = []; }
  try { res.readers = (await api.call("GET", "/api/v1/pds")).pds || []; } catch (e) { res.readers = []; }
  // The fingerprint modules are the terminals /readyz names (503 when one
  // is offline: its body still lists them).
  try {
    const r = await fetch("/readyz", { credentials: "same-origin" });
    const h = (await r.json()).health || {};
    res.modules = (h.terminals || []).filter((x) => x.kind === "fingerprint");
  } catch (e) { res.modules = []; }
  drawReaders();
  if (manages()) drawModules();
  await loadResidents();
  if (res.current) drawDetail();
};

langHooks.push(() => {
  if ($("tab-residents").classList.contains("hidden")) return;
  drawResidents();
  drawReaders();
  if (manages()) drawModules();
  drawImport();
  if (!$("res-edit").classList.contains("hidden")) drawSchedules($("res-schedule").value);
  if (res.current) { drawDetail(); drawPhones(); }
});

// withdrawConsent: the resident withdraws their consent to a biometric; it
// is deleted everywhere (store, face index, fingerprint modules) and the
// withdrawal recorded. Asks first.
for (const b of ["face", "finger"]) {
  $(b + "-withdraw").onclick = async () => {
    const p = res.current;
    if (!p) return;
    const keys = b === "face"
      ? ["res.withdraw.face_title", "res.withdraw.face_text", "res.withdraw.face_yes", "res.withdrawn.face"]
      : ["res.withdraw.finger_title", "res.withdraw.finger_text", "res.withdraw.finger_yes", "res.withdrawn.finger"];
    if (!(await ask(t(keys[0], { name: p.name }), t(keys[1]), t(keys[2]), "withdraw"))) return;
    try {
      const r = await api.call("DELETE", "/api/v1/residents/" + enc(p.id) + "/consents/" + b);
      sayMsg(b + "-msg", keys[3], { name: p.name, n: r.deleted });
      await reloadCurrent();
      loadResidents();
    } catch (err) { sayErr(b + "-msg", err); }
  };
}
