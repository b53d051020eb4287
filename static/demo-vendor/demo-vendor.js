// Built-in demo vendor portal: "Pelican Endpoint Security"'s settings page for its Gradient MSP
// (Synthesize) integration. It plays the vendor's part of Gradient's QA steps against this
// simulator's vendor API (same origin), and logs every HTTP call it makes with its answer.
//
// Safety: every string that comes from the server (or from the user) reaches the page through
// textContent / text nodes / input values, never parsed as HTML markup.
(function () {
  'use strict';

  const API = '/api/vendor-api';
  const LS_PARTNER_KEY = 'pelicanDemoVendor.partnerApiKey';
  const LS_VENDOR_KEY = 'pelicanDemoVendor.vendorApiKey';
  const POLL_INTERVAL_MS = 500;
  const POLL_MAX = 10;

  // What Pelican sells (vendor-level services, created once per vendor; de-duplicated by exact name).
  const SERVICES = [
    {
      key: 'edr', name: 'Endpoint Protection',
      description: 'Pelican EDR: endpoint detection and response, billed per protected endpoint',
      category: 'security', subcategory: 'endpoint detection and response (EDR)',
    },
    {
      key: 'email', name: 'Email Security',
      description: 'Pelican Mail Shield: inbound email filtering, billed per mailbox',
      category: 'security', subcategory: 'email security',
    },
    {
      key: 'sat', name: 'Security Awareness Training',
      description: 'Pelican Academy: phishing simulation and training, billed per user',
      category: 'security', subcategory: 'privacy and security awareness training',
    },
  ];

  // Pelican's customers of this partner. Names are Pelican's, not the PSA's: only Acme Corp and
  // Granite Peak Credit Union match a PSA company exactly (auto-mapped by Synthesize).
  const ACCOUNTS = [
    { id: 'pel-acme', name: 'Acme Corp' },
    { id: 'pel-cedar', name: 'Cedar Ridge Law LLP' },
    { id: 'pel-delta', name: 'Delta Logistics' },
    { id: 'pel-granite', name: 'Granite Peak Credit Union' },
  ];

  // Counts prefilled to produce every kind of service card with the seeded PSA (seed/flamingo.json).
  const USAGE = [
    { account: 'pel-acme', service: 'edr', units: 48, psa: 45 },
    { account: 'pel-acme', service: 'email', units: 40, psa: 40 },
    { account: 'pel-acme', service: 'sat', units: 12, psa: null },
    { account: 'pel-cedar', service: 'edr', units: 27, psa: 29 },
    { account: 'pel-delta', service: 'edr', units: 69, psa: 69 },
    { account: 'pel-granite', service: 'edr', units: 60, psa: 58 },
  ];

  const $ = (id) => document.getElementById(id);

  // ---- DOM helpers (text only) -----------------------------------------------------------------

  /** el('td', {class: 'x', testid: 'y', dataset: {k: v}}, 'text', node, ...): children become text nodes. */
  function el(tag, attrs, ...children) {
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

  function setResult(id, text, kind) {
    const node = $(id);
    node.textContent = text || '';
    node.dataset.kind = kind || '';
  }

  function clock() {
    return new Date().toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  }

  function pretty(value) {
    if (value === undefined) return '';
    if (typeof value === 'string') return value;
    try { return JSON.stringify(value, null, 2); } catch { return String(value); }
  }

  /** The server's error message, whatever its shape (NestJS: string or array of strings). */
  function serverMessage(body) {
    if (!body || typeof body !== 'object') return typeof body === 'string' ? body.slice(0, 200) : '';
    const m = body.message;
    if (Array.isArray(m)) return m.join('; ');
    return m === undefined || m === null ? '' : String(m);
  }

  // ---- the log of HTTP calls -------------------------------------------------------------------

  function clearLog(logId, title) {
    const log = $(logId);
    log.replaceChildren();
    log.appendChild(el('li', { class: 'pel-log-run' }, `${title} · ${clock()}`));
  }

  /** One line of the log: METHOD path → status, a note, and the request/answer bodies on demand. */
  function logCall(logId, method, path, requestBody) {
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
  function logInfo(logId, text, outcome) {
    $(logId).appendChild(el('li', { class: `pel-log-info ${outcome === 'error' ? 'is-error' : ''}`, testid: 'log-info', dataset: { outcome: outcome || 'info' } }, text));
  }

  // ---- keys and the GRADIENT-TOKEN -------------------------------------------------------------

  function keys() {
    return { vendor: $('vendor-key').value.trim(), partner: $('partner-key').value.trim() };
  }

  /** base64(VENDOR_KEY:PARTNER_KEY); throws with a readable message when a key is missing or not ASCII. */
  function gradientToken() {
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
  async function vendorCall(logId, method, path, body) {
    const token = gradientToken();
    const url = API + path;
    const entry = logCall(logId, method, url, body);
    const headers = { 'GRADIENT-TOKEN': token, Accept: 'application/json' };
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
    if (status === 401) setConnection('error', 'Key refused (401 Unauthorized)', 'Generate a new token in Synthesize and paste the Partner API key again');
    return { status, body: answer, entry };
  }

  // ---- connection badge ------------------------------------------------------------------------

  function setConnection(state, label, detail) {
    const box = $('connection');
    box.dataset.state = state;
    $('connection-label').textContent = label;
    $('connection-detail').textContent = detail || '';
  }

  function showOrganization(org) {
    const name = org && org.name ? String(org.name) : 'the partner';
    const status = org && org.status ? String(org.status) : 'unknown';
    const state = status === 'active' || status === 'pending' ? 'connected' : status === 'inactive' ? 'inactive' : 'error';
    const synced = org && typeof org.lastSyncedAt === 'string' && !org.lastSyncedAt.startsWith('1900') ? org.lastSyncedAt : null;
    setConnection(state, `Connected to ${name}`, `Integration status: ${status}${synced ? ` · last usage sync ${new Date(synced).toLocaleString()}` : ''}`);
    $('connection').dataset.status = status;
  }

  // ---- section runner: one button at a time ------------------------------------------------------

  let busy = false;
  const BUTTONS = ['btn-authenticate', 'btn-register-portal', 'btn-sync-setup', 'btn-refresh-accounts', 'btn-sync-usage', 'btn-send-alert', 'btn-disconnect'];

  function runner(fn, resultId, logId) {
    return async () => {
      if (busy) return;
      busy = true;
      for (const id of BUTTONS) $(id).disabled = true;
      document.body.dataset.busy = 'true';
      try {
        await fn();
      } catch (e) {
        const msg = String(e && e.message ? e.message : e);
        setResult(resultId, msg, 'error');
        if (logId) logInfo(logId, msg, 'error');
      } finally {
        busy = false;
        for (const id of BUTTONS) $(id).disabled = false;
        document.body.dataset.busy = 'false';
      }
    };
  }

  // ---- 1. Connect ------------------------------------------------------------------------------

  async function authenticate() {
    clearLog('log-connect', 'Authenticate');
    setResult('connect-result', 'Authenticating…', 'busy');
    gradientToken(); // a missing key stops here, before any call
    const org = await vendorCall('log-connect', 'GET', '/organization');
    if (org.status !== 200) {
      setResult('connect-result', org.status === 401
        ? 'Gradient refused the keys (401). Copy the current Partner API key from Synthesize.'
        : `Gradient answered ${org.status || 'nothing'}: ${serverMessage(org.body)}`, 'error');
      return;
    }
    org.entry.note(`partner "${org.body && org.body.name}", status ${org.body && org.body.status}`, 'ok');
    localStorage.setItem(LS_PARTNER_KEY, keys().partner);
    localStorage.setItem(LS_VENDOR_KEY, keys().vendor);
    showOrganization(org.body);
    const pending = await vendorCall('log-connect', 'PATCH', '/organization/status/pending');
    if (pending.status !== 200) {
      setResult('connect-result', `Could not set the status to pending: ${pending.status} ${serverMessage(pending.body)}`, 'error');
      return;
    }
    const data = pending.body && pending.body.data;
    pending.entry.note(`status is now ${data && data.status}`, 'ok');
    showOrganization(data || org.body);
    setResult('connect-result', `Authenticated with ${org.body.name}: status pending. In Synthesize, NEXT lights up.`, 'ok');
    await loadAccountsQuietly();
  }

  async function registerPortal() {
    clearLog('log-connect', 'Register the integration portal URL');
    const url = `${location.origin}/demo-vendor/`;
    const r = await vendorCall('log-connect', 'PATCH', '', { integrationPortalUrl: url });
    if (r.status !== 200) {
      setResult('connect-result', `Gradient answered ${r.status || 'nothing'}: ${serverMessage(r.body)}`, 'error');
      return;
    }
    const saved = r.body && r.body.data ? r.body.data.integrationPortalUrl : url;
    r.entry.note(`integrationPortalUrl = ${saved}`, 'ok');
    setResult('connect-result', `OPEN VENDOR PORTAL in Synthesize now opens ${saved}`, 'ok');
  }

  // ---- 2. Accounts and services ----------------------------------------------------------------

  /** Services by exact name from a VendorData (`skus`). */
  function skuByName(vendorData) {
    const map = new Map();
    for (const s of (vendorData && Array.isArray(vendorData.skus) ? vendorData.skus : [])) {
      if (s && typeof s.name === 'string' && !map.has(s.name)) map.set(s.name, s);
    }
    return map;
  }

  function renderServices(byName) {
    const body = $('services-body');
    body.replaceChildren();
    for (const s of SERVICES) {
      const sku = byName ? byName.get(s.name) : null;
      body.appendChild(el('tr', { testid: 'service-row', dataset: { name: s.name, synced: sku ? 'true' : 'false' } },
        el('td', null, s.name),
        el('td', { class: 'pel-muted' }, `${s.category} / ${s.subcategory}`),
        el('td', null, sku ? el('code', null, String(sku.id || sku._id)) : el('span', { class: 'pel-muted' }, 'not sent yet'))));
    }
  }

  let knownAccounts = []; // what Gradient answered for GET /organization/accounts

  function renderAccounts() {
    const body = $('accounts-body');
    body.replaceChildren();
    const byId = new Map(knownAccounts.map((a) => [String(a.id), a]));
    const rows = ACCOUNTS.map((a) => ({ ...a, server: byId.get(a.id) || null }));
    for (const a of knownAccounts) if (!ACCOUNTS.some((x) => x.id === String(a.id))) rows.push({ id: String(a.id), name: String(a.name), server: a });
    for (const a of rows) {
      const mapped = a.server ? (a.server.isMapped ? 'yes' : 'not yet') : '—';
      body.appendChild(el('tr', { testid: 'account-row', dataset: { id: a.id, synced: a.server ? 'true' : 'false' } },
        el('td', null, el('code', null, a.id)),
        el('td', null, a.server ? String(a.server.name) : a.name, a.server ? null : el('span', { class: 'pel-muted' }, ' (not sent yet)')),
        el('td', { class: a.server && a.server.isMapped ? 'pel-ok' : 'pel-muted' }, mapped)));
    }
    renderAlertAccounts(rows);
  }

  function renderAlertAccounts(rows) {
    const select = $('alert-account');
    const current = select.value;
    select.replaceChildren();
    for (const a of rows) {
      const name = a.server ? String(a.server.name) : a.name;
      select.appendChild(el('option', { value: a.id }, `${name} (${a.id})`));
    }
    if (current && rows.some((a) => a.id === current)) select.value = current;
  }

  async function syncSetup() {
    clearLog('log-setup', 'Sync accounts and services');
    setResult('setup-result', 'Syncing…', 'busy');
    gradientToken();

    // Services: GET the vendor, POST only the names Gradient does not know yet.
    const vendor = await vendorCall('log-setup', 'GET', '');
    if (vendor.status !== 200) throw new Error(`GET ${API} answered ${vendor.status}: ${serverMessage(vendor.body)}`);
    let byName = skuByName(vendor.body && vendor.body.data);
    vendor.entry.note(`${byName.size} service(s) known to Gradient`, 'ok');
    let created = 0;
    for (const s of SERVICES) {
      if (byName.has(s.name)) {
        logInfo('log-setup', `"${s.name}" already exists in Gradient: not sent again`);
        continue;
      }
      const r = await vendorCall('log-setup', 'POST', '/service', {
        name: s.name, description: s.description, category: s.category, subcategory: s.subcategory,
      });
      if (r.status !== 201) throw new Error(`Creating "${s.name}" answered ${r.status}: ${serverMessage(r.body)}`);
      byName = skuByName(r.body);
      const sku = byName.get(s.name);
      r.entry.note(`created "${s.name}"${sku ? ` (${sku.id || sku._id})` : ''}`, 'ok');
      created += 1;
    }
    renderServices(byName);

    // Accounts: GET the accounts, POST the missing ones in one array.
    const list = await vendorCall('log-setup', 'GET', '/organization/accounts');
    if (list.status !== 200 || !Array.isArray(list.body)) throw new Error(`GET accounts answered ${list.status}: ${serverMessage(list.body)}`);
    knownAccounts = list.body;
    list.entry.note(`${knownAccounts.length} account(s) known to Gradient`, 'ok');
    const have = new Set(knownAccounts.map((a) => String(a.id)));
    const missing = ACCOUNTS.filter((a) => !have.has(a.id)).map((a) => ({ id: a.id, name: a.name }));
    if (missing.length === 0) {
      logInfo('log-setup', 'Every Pelican account is already in Gradient: nothing to send');
    } else {
      const r = await vendorCall('log-setup', 'POST', '/organization/accounts', missing);
      if (r.status !== 201) throw new Error(`Sending the accounts answered ${r.status}: ${serverMessage(r.body)}`);
      r.entry.note(`sent ${missing.length} account(s)`, 'ok');
      const sent = Array.isArray(r.body) ? r.body : missing;
      knownAccounts = knownAccounts.concat(sent.map((a) => ({ ...a, isMapped: Boolean(a.mappingId) })));
    }
    renderAccounts();
    setResult('setup-result',
      `Services: ${created} created, ${SERVICES.length - created} already there. Accounts: ${missing.length} sent, ${ACCOUNTS.length - missing.length} already there. Map them in Synthesize.`,
      'ok');
  }

  /** Refresh the account list (for the tables and the alert form) after authenticating or on load. */
  async function loadAccountsQuietly(loud) {
    try {
      gradientToken();
      clearLog('log-setup', 'Refresh what Gradient already has');
      const list = await vendorCall('log-setup', 'GET', '/organization/accounts');
      if (list.status === 200 && Array.isArray(list.body)) {
        knownAccounts = list.body;
        list.entry.note(`${knownAccounts.length} account(s) known to Gradient`, 'ok');
        renderAccounts();
      }
      const vendor = await vendorCall('log-setup', 'GET', '');
      if (vendor.status === 200) {
        const byName = skuByName(vendor.body && vendor.body.data);
        vendor.entry.note(`${byName.size} service(s) known to Gradient`, 'ok');
        renderServices(byName);
      }
    } catch (e) {
      if (loud) throw e; // the Refresh button says why; otherwise a missing key just means nothing to show yet
    }
  }

  // ---- 3. Usage ----------------------------------------------------------------------------------

  function expectedCard(units, psa) {
    if (units === null) return { text: '— not sent', kind: 'none' };
    if (psa === null) return { text: `New Revenue (${units})`, kind: 'new_revenue' };
    if (units === psa) return { text: 'No Change', kind: 'no_change' };
    return { text: `Reconcile ${psa} → ${units}`, kind: 'reconcile' };
  }

  function parseUnits(input) {
    const raw = input.value.trim();
    if (raw === '') return null;
    const n = Number(raw);
    return Number.isFinite(n) && n >= 0 ? n : NaN;
  }

  function renderUsage() {
    const body = $('usage-body');
    body.replaceChildren();
    USAGE.forEach((u, i) => {
      const account = ACCOUNTS.find((a) => a.id === u.account);
      const service = SERVICES.find((s) => s.key === u.service);
      const input = el('input', {
        type: 'number', min: '0', step: 'any', value: String(u.units), class: 'pel-units',
        testid: 'usage-units', 'aria-label': `Units of ${service.name} for ${account.name}`,
      });
      const expect = el('td', { class: 'pel-expect', testid: 'usage-expected' });
      const last = el('td', { class: 'pel-last', testid: 'usage-last' }, '');
      const update = () => {
        const n = parseUnits(input);
        const e = Number.isNaN(n) ? { text: 'not a valid count', kind: 'invalid' } : expectedCard(n, u.psa);
        expect.textContent = e.text;
        expect.dataset.kind = e.kind;
      };
      input.addEventListener('input', update);
      body.appendChild(el('tr', { testid: 'usage-row', dataset: { row: i, account: u.account, service: service.name } },
        el('td', null, account.name, el('span', { class: 'pel-muted' }, ` · ${account.id}`)),
        el('td', null, service.name),
        el('td', { class: 'num' }, input),
        el('td', { class: 'pel-muted' }, u.psa === null ? 'no line' : String(u.psa)),
        expect, last));
      update();
    });
  }

  async function syncUsage() {
    clearLog('log-usage', 'Sync usage now');
    setResult('usage-summary', 'Syncing usage…', 'busy');
    gradientToken();
    const rows = [...document.querySelectorAll('#usage-body tr')];
    for (const tr of rows) { const c = tr.querySelector('[data-testid=usage-last]'); c.textContent = ''; c.dataset.outcome = ''; }

    const vendor = await vendorCall('log-usage', 'GET', '');
    if (vendor.status !== 200) throw new Error(`GET ${API} answered ${vendor.status}: ${serverMessage(vendor.body)}`);
    const byName = skuByName(vendor.body && vendor.body.data);
    vendor.entry.note('service ids by name', 'ok');

    // The calls to make, in table order.
    const calls = [];
    let notSent = 0;
    rows.forEach((tr, i) => {
      const u = USAGE[i];
      const service = SERVICES.find((s) => s.key === u.service);
      const last = tr.querySelector('[data-testid=usage-last]');
      const units = parseUnits(tr.querySelector('input'));
      const mark = (text, outcome) => { last.textContent = text; last.dataset.outcome = outcome; };
      if (units === null) { mark('not sent (no count)', 'none'); return; }
      if (Number.isNaN(units)) { mark('not sent (invalid count)', 'error'); notSent += 1; return; }
      const sku = byName.get(service.name);
      if (!sku) {
        mark('not sent: service not synced yet', 'error');
        logInfo('log-usage', `"${service.name}" is not in Gradient yet: press "Sync accounts and services" first`, 'error');
        notSent += 1;
        return;
      }
      calls.push({ serviceId: String(sku.id || sku._id), accountId: u.account, units, mark, label: `${service.name} · ${u.account}` });
    });

    let accepted = 0;
    let skipped = 0;
    let failed = 0;
    let lastAccepted = null;
    let rebuildAsked = false;
    for (let i = 0; i < calls.length; i++) {
      const c = calls[i];
      const isLast = i === calls.length - 1;
      const query = isLast ? '' : '?no_build=true';
      const r = await vendorCall('log-usage', 'POST', `/service/${encodeURIComponent(c.serviceId)}/count${query}`, { accountId: c.accountId, unitCount: c.units });
      if (r.status === 201) {
        accepted += 1;
        lastAccepted = c;
        if (isLast) rebuildAsked = true;
        r.entry.note(`accepted: ${c.label} = ${c.units}${isLast ? ' (last call: Gradient rebuilds billing)' : ''}`, 'ok');
        c.mark(`accepted (${c.units})`, 'accepted');
      } else if (r.status === 404) {
        skipped += 1;
        r.entry.note(`skipped, not mapped yet: ${serverMessage(r.body)}`, 'skipped');
        c.mark('skipped: not mapped yet', 'skipped');
      } else {
        failed += 1;
        r.entry.note(`failed: ${serverMessage(r.body)}`, 'error');
        c.mark(`failed (${r.status || 'no answer'})`, 'error');
        if (r.status === 401) break;
      }
    }
    // The last call is the one that asks for a rebuild; when it was skipped, send the last accepted
    // count again without no_build so the billing view is rebuilt once.
    if (!rebuildAsked && lastAccepted) {
      logInfo('log-usage', 'The last call was not accepted: sending the last accepted count again without no_build so Gradient rebuilds billing');
      const c = lastAccepted;
      const r = await vendorCall('log-usage', 'POST', `/service/${encodeURIComponent(c.serviceId)}/count`, { accountId: c.accountId, unitCount: c.units });
      if (r.status === 201) r.entry.note(`accepted again: ${c.label} = ${c.units} (asks for the rebuild)`, 'ok');
    }

    if (accepted) {
      // The first accepted count turns pending into active: show it.
      const org = await vendorCall('log-usage', 'GET', '/organization');
      if (org.status === 200) {
        org.entry.note(`status ${org.body && org.body.status}, lastSyncedAt ${org.body && org.body.lastSyncedAt}`, 'ok');
        showOrganization(org.body);
      }
    }

    let summary = `${accepted} accepted, ${skipped} skipped (not mapped)`;
    if (failed) summary += `, ${failed} failed`;
    if (notSent) summary += `, ${notSent} not sent`;
    summary += accepted ? '. Refresh the Billing page in Synthesize.' : '.';
    setResult('usage-summary', summary, failed || notSent ? 'error' : accepted ? 'ok' : 'warn');
    const box = $('usage-summary');
    box.dataset.accepted = String(accepted);
    box.dataset.skipped = String(skipped);
    box.dataset.failed = String(failed);
  }

  // ---- 4. Alert ----------------------------------------------------------------------------------

  function uuid4() {
    if (window.crypto && typeof crypto.randomUUID === 'function') return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

  async function sendAlert() {
    clearLog('log-alert', 'Send a test alert');
    const result = $('alert-result');
    result.dataset.status = '';
    gradientToken();
    const accountId = $('alert-account').value;
    if (!accountId) throw new Error('Choose an account.');
    const body = {
      title: $('alert-title').value,
      description: $('alert-description').value,
      alertId: uuid4(),
      priority: Number($('alert-priority').value),
      status: 1,
    };
    setResult('alert-result', 'Sending…', 'busy');
    const r = await vendorCall('log-alert', 'POST', `/alerting/${encodeURIComponent(accountId)}`, body);
    if (r.status !== 201 || !r.body || !r.body.messageId) {
      setResult('alert-result', `Gradient refused the alert (${r.status || 'no answer'}): ${serverMessage(r.body)}`, 'error');
      result.dataset.status = 'refused';
      return;
    }
    const messageId = String(r.body.messageId);
    r.entry.note(`queued: messageId ${messageId}`, 'ok');
    setResult('alert-result', `pending · message ${messageId}`, 'busy');
    result.dataset.status = 'pending';
    for (let i = 0; i < POLL_MAX; i++) {
      await sleep(POLL_INTERVAL_MS);
      const d = await vendorCall('log-alert', 'GET', `/alerting/debug/${encodeURIComponent(messageId)}`);
      const st = d.body && typeof d.body === 'object' ? String(d.body.status || '') : '';
      if (d.status !== 200) {
        setResult('alert-result', `Could not read the delivery status (${d.status || 'no answer'}): ${serverMessage(d.body)}`, 'error');
        result.dataset.status = 'unknown';
        return;
      }
      d.entry.note(st, st === 'failed' ? 'error' : 'ok');
      if (st === 'success') {
        const ticket = d.body.ticketId === null || d.body.ticketId === undefined ? '?' : String(d.body.ticketId);
        setResult('alert-result', `success · ticket ${ticket} opened in the PSA`, 'ok');
        result.dataset.status = 'success';
        result.dataset.ticketId = ticket;
        return;
      }
      if (st === 'failed') {
        const errors = Array.isArray(d.body.errors) ? d.body.errors.map(String).join('; ') : '';
        setResult('alert-result', `failed · ${errors || serverMessage(d.body) || 'no reason given'}`, 'error');
        result.dataset.status = 'failed';
        return;
      }
      setResult('alert-result', `${st || 'pending'} · message ${messageId} (check ${i + 1} of ${POLL_MAX})`, 'busy');
    }
    setResult('alert-result', `still pending after ${POLL_MAX} checks · message ${messageId}`, 'warn');
    result.dataset.status = 'pending';
  }

  // ---- 5. Disconnect -----------------------------------------------------------------------------

  async function disconnect() {
    clearLog('log-disconnect', 'Disconnect');
    let status = 0;
    let answer = null;
    try {
      const r = await vendorCall('log-disconnect', 'PATCH', '/organization/status/inactive');
      status = r.status;
      answer = r.body;
      if (status === 200) r.entry.note('status is now inactive', 'ok');
    } catch (e) {
      logInfo('log-disconnect', String(e.message || e), 'error');
    }
    localStorage.removeItem(LS_PARTNER_KEY);
    $('partner-key').value = '';
    logInfo('log-disconnect', 'Forgot the Partner API key stored in this browser');
    knownAccounts = [];
    renderAccounts();
    renderServices(null);
    setConnection('disconnected', 'Not connected', 'Paste a Partner API key to connect again');
    setResult('disconnect-result', status === 200
      ? 'Disconnected: Gradient shows the integration as inactive; the key is forgotten.'
      : `Key forgotten. Gradient answered ${status || 'nothing'}${answer ? `: ${serverMessage(answer)}` : ''}.`,
    status === 200 ? 'ok' : 'warn');
  }

  // ---- scenarios (the simulator's control API, not the vendor API) -------------------------------

  const CARD_WORDS = { no_change: 'No Change', reconcile: 'Reconcile', new_revenue: 'New Revenue' };

  async function loadScenarios() {
    const box = $('scenario-buttons');
    let list = [];
    try {
      const res = await fetch('/sim/scenarios', { cache: 'no-store' });
      if (res.ok) list = await res.json();
    } catch { /* not served: no scenarios */ }
    box.replaceChildren(...list.map((s) => el('button', {
      type: 'button', class: 'pel-btn', testid: 'scenario-button', title: String(s.description || ''),
      dataset: { scenario: s.name }, onclick: () => runScenario(s),
    }, String(s.title))));
  }

  async function runScenario(s) {
    if (busy) return;
    busy = true;
    const buttons = [...document.querySelectorAll('[data-testid=scenario-button]')];
    buttons.forEach((b) => { b.disabled = true; });
    const result = $('scenario-result');
    result.dataset.scenario = s.name;
    result.dataset.status = 'running';
    setResult('scenario-result', `${s.title}: resetting and pushing…`, 'busy');
    try {
      // A write to the control API: JSON, as it requires of browsers.
      const res = await fetch(`/sim/scenarios/${encodeURIComponent(s.name)}`, {
        method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: '{}',
      });
      const body = await res.json().catch(() => null);
      if (!res.ok) throw new Error(serverMessage(body) || `answered ${res.status}`);
      const cards = Object.entries(body.cards || {}).map(([t, n]) => `${n} ${CARD_WORDS[t] || t}`).join(', ');
      setResult('scenario-result', `${body.title}: ${body.accounts} account(s), ${body.countsAccepted} count(s) → ${cards || 'no cards'} (${body.durationMs} ms)`, 'ok');
      result.dataset.status = 'done';
      document.querySelector('[data-testid=scenario-billing-link]').hidden = false;
      // The scenario connected with the seed's kickoff key: use it here too, and show what it sent.
      const info = await fetch('/sim/info', { cache: 'no-store' }).then((r) => r.json()).catch(() => null);
      const kickoff = info && info.demoKeys ? String(info.demoKeys.partnerApiKey || '') : '';
      $('partner-key').value = kickoff;
      if (kickoff) localStorage.setItem(LS_PARTNER_KEY, kickoff); else localStorage.removeItem(LS_PARTNER_KEY);
      if (kickoff) await loadAccountsQuietly();
    } catch (e) {
      setResult('scenario-result', `${s.title} failed: ${e.message || e}`, 'error');
      result.dataset.status = 'failed';
    } finally {
      busy = false;
      buttons.forEach((b) => { b.disabled = false; });
    }
  }

  // ---- start -------------------------------------------------------------------------------------

  async function start() {
    renderServices(null);
    renderAccounts();
    renderUsage();
    await loadScenarios();

    $('btn-authenticate').addEventListener('click', runner(authenticate, 'connect-result', 'log-connect'));
    $('btn-register-portal').addEventListener('click', runner(registerPortal, 'connect-result', 'log-connect'));
    $('btn-sync-setup').addEventListener('click', runner(syncSetup, 'setup-result', 'log-setup'));
    $('btn-refresh-accounts').addEventListener('click', runner(async () => {
      setResult('setup-result', 'Refreshing…', 'busy');
      await loadAccountsQuietly(true);
      setResult('setup-result', 'Refreshed the mapping status from Gradient.', 'ok');
    }, 'setup-result', 'log-setup'));
    $('btn-sync-usage').addEventListener('click', runner(syncUsage, 'usage-summary', 'log-usage'));
    $('btn-send-alert').addEventListener('click', runner(sendAlert, 'alert-result', 'log-alert'));
    $('btn-disconnect').addEventListener('click', runner(disconnect, 'disconnect-result', 'log-disconnect'));

    const storedPartner = localStorage.getItem(LS_PARTNER_KEY) || '';
    $('partner-key').value = storedPartner;

    // The seeded demo vendor's key, from the simulator; a stored key is the fallback.
    let vendorKey = '';
    try {
      const res = await fetch('/sim/info', { cache: 'no-store' });
      if (res.ok) {
        const info = await res.json();
        vendorKey = String(info.vendorApiKey || (info.demoKeys && info.demoKeys.vendorApiKey) || '');
      }
    } catch { /* not served: keep the stored key */ }
    if (!vendorKey) vendorKey = localStorage.getItem(LS_VENDOR_KEY) || '';
    if (!$('vendor-key').value) $('vendor-key').value = vendorKey;

    if (storedPartner && vendorKey) {
      // A reload keeps the connection: check the stored key and show where things are.
      await runner(async () => {
        clearLog('log-connect', 'Stored key check (page load)');
        const org = await vendorCall('log-connect', 'GET', '/organization');
        if (org.status === 200) {
          org.entry.note(`partner "${org.body && org.body.name}", status ${org.body && org.body.status}`, 'ok');
          showOrganization(org.body);
          await loadAccountsQuietly();
        }
      }, 'connect-result', 'log-connect')();
    } else {
      setConnection('disconnected', 'Not connected', 'Paste the Partner API key below and press Authenticate');
    }
    document.body.dataset.ready = 'true';
  }

  start();
}());
