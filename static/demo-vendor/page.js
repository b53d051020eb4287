// The demo vendor portal's page machinery: text-only DOM helpers, the log of HTTP calls, the
// GRADIENT-TOKEN and the vendor API call, the connection badge, and the one-button-at-a-time
// runner. Every string from the server or the user reaches the page as text, never as markup.

export const API = '/api/vendor-api';
export const LS_PARTNER_KEY = 'pelicanDemoVendor.partnerApiKey';
export const LS_VENDOR_KEY = 'pelicanDemoVendor.vendorApiKey';

export const $ = (id) => document.getElementById(id);

// ---- DOM helpers (text only) -----------------------------------------------------------------

/** el('td', {class: 'x', testid: 'y', dataset: {k: v}}, 'text', node, ...): children become text nodes. */
export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'testid') node.setAttribute('data-testid', v);
    else if (k === 'dataset') { for (const [dk, dv] of Object.entries(v)) if (dv !== null && dv !== undefined) node.dataset[dk] = String(dv); }
    else if (k === 'value') node.value = v;
    else if (k.startsWith('on') && typeof v === 'function') node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    node.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

export function setResult(id, text, kind) {
  const node = $(id);
  node.textContent = text || '';
  node.dataset.kind = kind || '';
}

export function clock() {
  return new Date().toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

export function pretty(value) {
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  try { return JSON.stringify(value, null, 2); } catch { return String(value); }
}

/** The server's error message, whatever its shape (NestJS: string or array of strings). */
export function serverMessage(body) {
  if (!body || typeof body !== 'object') return typeof body === 'string' ? body.slice(0, 200) : '';
  const m = body.message;
  if (Array.isArray(m)) return m.join('; ');
  return m === undefined || m === null ? '' : String(m);
}

// ---- the log of HTTP calls -------------------------------------------------------------------

export function clearLog(logId, title) {
  const log = $(logId);
  log.replaceChildren();
  log.appendChild(el('li', { class: 'pel-log-run' }, `${title} · ${clock()}`));
}

/** One line of the log: METHOD path → status, a note, and the request/answer bodies on demand. */
export function logCall(logId, method, path, requestBody) {
  const statusEl = el('span', { class: 'pel-log-status', testid: 'log-status' }, '…');
  const noteEl = el('span', { class: 'pel-log-note', testid: 'log-note' }, '');
  const pre = el('pre', { class: 'pel-log-body' });
  const item = el('li', {
    class: 'pel-log-entry', testid: 'log-entry',
    dataset: { method, path, status: 'pending', outcome: 'pending' },
  },
  el('div', { class: 'pel-log-line' },
    el('span', { class: `pel-log-method m-${method.toLowerCase()}` }, method),
    el('code', { class: 'pel-log-path' }, path),
    el('span', { class: 'pel-log-arrow', 'aria-hidden': 'true' }, '→'),
    statusEl, noteEl),
  el('details', { class: 'pel-log-details' }, el('summary', null, 'request and answer'), pre));
  $(logId).appendChild(item);
  const requestText = requestBody === undefined ? '(no body)' : pretty(requestBody);
  pre.textContent = `${method} ${path}\n${requestText}`;
  return {
    answered(status, body) {
      item.dataset.status = String(status);
      statusEl.textContent = status ? String(status) : 'network error';
      statusEl.dataset.class = status >= 200 && status < 300 ? 'ok' : status === 404 ? 'warn' : 'err';
      pre.textContent = `${method} ${path}\n${requestText}\n\n← ${status || 'no answer'}\n${pretty(body)}`;
    },
    note(text, outcome) {
      noteEl.textContent = text || '';
      item.dataset.outcome = outcome || 'ok';
      item.classList.toggle('is-skipped', outcome === 'skipped');
      item.classList.toggle('is-error', outcome === 'error');
    },
  };
}

/** A line of the log that is not an HTTP call (a decision the page made). */
export function logInfo(logId, text, outcome) {
  $(logId).appendChild(el('li', { class: `pel-log-info ${outcome === 'error' ? 'is-error' : ''}`, testid: 'log-info', dataset: { outcome: outcome || 'info' } }, text));
}

// ---- keys and the GRADIENT-TOKEN -------------------------------------------------------------

export function keys() {
  return { vendor: $('vendor-key').value.trim(), partner: $('partner-key').value.trim() };
}

/** base64(VENDOR_KEY:PARTNER_KEY); throws with a readable message when a key is missing or not ASCII. */
export function gradientToken() {
  const k = keys();
  if (!k.partner) throw new Error('Paste the Partner API key first (Synthesize › Integrations › Pelican › Generate API Token).');
  if (!k.vendor) throw new Error('The vendor API key is empty.');
  try {
    return btoa(`${k.vendor}:${k.partner}`);
  } catch {
    throw new Error('The keys may only contain plain ASCII characters.');
  }
}

/**
 * Call the vendor API with the GRADIENT-TOKEN header, log the call in `logId`, and answer
 * `{status, body, entry}` (status 0 when the request did not get an answer).
 */
export async function vendorCall(logId, method, path, body) {
  const token = gradientToken();
  const url = API + path;
  const entry = logCall(logId, method, url, body);
  // X-Sim-Demo-Portal: the QA report leaves out what this page sent after a disconnect (with the
  // revoked key still in its field): the person playing the vendor, not the vendor's code.
  const headers = { 'GRADIENT-TOKEN': token, Accept: 'application/json', 'X-Sim-Demo-Portal': '1' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let status = 0;
  let answer = null;
  try {
    const res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store' });
    status = res.status;
    const text = await res.text();
    try { answer = text ? JSON.parse(text) : null; } catch { answer = text; }
  } catch (e) {
    answer = String(e && e.message ? e.message : e);
  }
  entry.answered(status, answer);
  if (status >= 200 && status < 300) entry.note('', 'ok');
  else if (status === 0) entry.note(String(answer), 'error');
  else entry.note(serverMessage(answer), status === 404 ? 'skipped' : 'error');
  if (status === 401) {
    setConnection('error', 'Key refused (401 Unauthorized)', 'Generate a new token in Synthesize and paste the Partner API key again');
    setAuthenticated(false);
  }
  return { status, body: answer, entry };
}

// ---- connection badge ------------------------------------------------------------------------

export function setConnection(state, label, detail) {
  const box = $('connection');
  box.dataset.state = state;
  $('connection-label').textContent = label;
  $('connection-detail').textContent = detail || '';
}

export function showOrganization(org) {
  const name = org && org.name ? String(org.name) : 'the partner';
  const status = org && org.status ? String(org.status) : 'unknown';
  const state = status === 'active' || status === 'pending' ? 'connected' : status === 'inactive' ? 'inactive' : 'error';
  const synced = org && typeof org.lastSyncedAt === 'string' && !org.lastSyncedAt.startsWith('1900') ? org.lastSyncedAt : null;
  setConnection(state, `Connected to ${name}`, `Integration status: ${status}${synced ? ` · last usage sync ${new Date(synced).toLocaleString()}` : ''}`);
  $('connection').dataset.status = status;
  setAuthenticated(true); // shown only after Gradient accepted the key
}

// ---- section runner: one button at a time ------------------------------------------------------

let busy = false;
let authenticated = false;
const BUTTONS = ['btn-authenticate', 'btn-register-portal', 'btn-sync-setup', 'btn-refresh-accounts', 'btn-sync-usage', 'btn-send-alert', 'btn-disconnect'];
// Nothing to sync, send or disconnect before Gradient has accepted a key.
const NEED_KEY = new Set(['btn-sync-setup', 'btn-refresh-accounts', 'btn-sync-usage', 'btn-send-alert', 'btn-disconnect']);

export function isBusy() { return busy; }

/** Whether Gradient accepted the key: the later steps' buttons wait for it. */
export function setAuthenticated(on) {
  authenticated = on;
  refreshButtons();
}

function refreshButtons() {
  for (const id of BUTTONS) {
    const b = $(id);
    const waits = NEED_KEY.has(id) && !authenticated;
    b.disabled = busy || waits;
    if (waits) b.title = 'Authenticate first (step 1)'; else if (b.title === 'Authenticate first (step 1)') b.removeAttribute('title');
  }
  document.body.dataset.authenticated = String(authenticated);
}

/** A button's action, one at a time; its section's last result goes as the run starts, so an
 * old error never stands beside a new success. */
export function runner(fn, resultId, logId) {
  return async () => {
    if (busy) return;
    busy = true;
    refreshButtons();
    document.body.dataset.busy = 'true';
    setResult(resultId, '', '');
    try {
      await fn();
    } catch (e) {
      const msg = String(e && e.message ? e.message : e);
      setResult(resultId, msg, 'error');
      if (logId) logInfo(logId, msg, 'error');
    } finally {
      busy = false;
      refreshButtons();
      document.body.dataset.busy = 'false';
    }
  };
}

/** Errors other sections still show from before the key was accepted: stale once it is. */
export function clearStaleErrors() {
  for (const r of document.querySelectorAll('.pel-result[data-kind=error]')) { r.textContent = ''; r.dataset.kind = ''; }
}
