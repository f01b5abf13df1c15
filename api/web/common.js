// Small helpers shared by the pages. No framework: the pages must work on
// an old phone and on the gatehouse PC.
const api = {
  csrf: sessionStorage.getItem("csrf") || "",
  async call(method, path, body, headers = {}) {
    const opts = { method, headers: { ...headers }, credentials: "same-origin" };
    if (this.csrf) opts.headers["X-CSRF-Token"] = this.csrf;
    if (body instanceof FormData) opts.body = body;
    else if (body !== undefined) { opts.headers["Content-Type"] = "application/json"; opts.body = JSON.stringify(body); }
    const r = await fetch(path, opts);
    const text = await r.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
    if (!r.ok) throw new Error((data && data.error && data.error.message) || r.statusText);
    return data;
  },
};
function $(id) { return document.getElementById(id); }
function say(id, text, bad) { const e = $(id); e.textContent = text; e.style.color = bad ? "var(--bad)" : "var(--ok)"; }
