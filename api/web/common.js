// Small helpers shared by the pages. No framework: the pages must work on
// an old phone and on the gatehouse PC. Text comes from i18n.js.

// ApiError is a failed call: the HTTP status, the API's machine code and
// the body (a refused open carries its reason).
class ApiError extends Error {
  constructor(status, code, data) { super(code || String(status)); this.status = status; this.code = code; this.data = data; }
}

const api = {
  csrf: sessionStorage.getItem("csrf") || "",
  // onUnauthorized, when set, runs when a call is refused as not signed in
  // (401): the console goes back to the sign-in form.
  onUnauthorized: null,
  async call(method, path, body, headers = {}) {
    const opts = { method, headers: { ...headers }, credentials: "same-origin" };
    if (this.csrf) opts.headers["X-CSRF-Token"] = this.csrf;
    if (body instanceof FormData) opts.body = body;
    else if (body !== undefined) { opts.headers["Content-Type"] = "application/json"; opts.body = JSON.stringify(body); }
    let r;
    try { r = await fetch(path, opts); } catch (e) { throw new ApiError(0, "network", null); }
    const text = await r.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
    if (r.status === 401 && this.onUnauthorized) this.onUnauthorized(path);
    if (!r.ok) throw new ApiError(r.status, (data && data.error && data.error.code) || "", data);
    return data;
  },
};
function $(id) { return document.getElementById(id); }

// say shows a message in element id: draw(el) fills it, and runs again
// when the language changes.
function say(id, draw, bad) {
  const e = $(id);
  e.style.color = bad ? "var(--bad)" : "var(--ok)";
  e.redraw = () => { e.textContent = ""; draw(e); };
  e.redraw();
}
// sayMsg shows a catalog sentence.
function sayMsg(id, key, vars, bad) { say(id, (e) => { e.textContent = t(key, vars); }, bad); }
// errText is the sentence for a failed call; unknown collects a code the
// catalog does not know (shown in small print).
function errText(err, unknown) {
  const code = err && err.code;
  if (code && hasMsg("err." + code)) return t("err." + code);
  if (code && code !== String(err.status)) unknown.push(code);
  return t("err.unknown", { status: (err && err.status) || "" });
}
// sayErr shows a failed call, inside template key (with {error}) if given.
function sayErr(id, err, key, vars) {
  say(id, (e) => {
    const unknown = [];
    const text = errText(err, unknown);
    putText(e, key ? t(key, { ...vars, error: text }) : text, unknown);
  }, true);
}
langHooks.push(() => { for (const e of document.querySelectorAll(".msg")) if (e.redraw) e.redraw(); });
