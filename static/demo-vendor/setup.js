// Steps 1, 2 and 5 of the demo vendor portal: authenticate (and register this page as the
// integration portal URL), sync accounts and services, disconnect.

import { API, LS_PARTNER_KEY, LS_VENDOR_KEY, $, el, setResult, serverMessage, clearLog, logInfo, keys, gradientToken, vendorCall, setConnection, showOrganization, setAuthenticated, clearStaleErrors } from './page.js';
import { SERVICES, ACCOUNTS } from './catalog.js';

// ---- 1. Connect ------------------------------------------------------------------------------

export async function authenticate() {
  clearLog('log-connect', 'Authenticate');
  setResult('connect-result', 'Authenticating…', 'busy');
  gradientToken(); // a missing key stops here, before any call
  const org = await vendorCall('log-connect', 'GET', '/organization');
  if (org.status !== 200) {
    setAuthenticated(false);
    setResult('connect-result', org.status === 401
      ? 'Gradient refused the keys (401). Copy the current Partner API key from Synthesize.'
      : `Gradient answered ${org.status || 'nothing'}: ${serverMessage(org.body)}`, 'error');
    return;
  }
  org.entry.note(`partner "${org.body && org.body.name}", status ${org.body && org.body.status}`, 'ok');
  localStorage.setItem(LS_PARTNER_KEY, keys().partner);
  localStorage.setItem(LS_VENDOR_KEY, keys().vendor);
  showOrganization(org.body);
  clearStaleErrors();
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

export async function registerPortal() {
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
export function skuByName(vendorData) {
  const map = new Map();
  for (const s of (vendorData && Array.isArray(vendorData.skus) ? vendorData.skus : [])) {
    if (s && typeof s.name === 'string' && !map.has(s.name)) map.set(s.name, s);
  }
  return map;
}

export function renderServices(byName) {
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

export function renderAccounts() {
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

export async function syncSetup() {
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
export async function loadAccountsQuietly(loud) {
  try {
    gradientToken();
    clearLog('log-setup', 'Refresh what Gradient already has');
    const list = await vendorCall('log-setup', 'GET', '/organization/accounts');
    if (list.status === 200 && Array.isArray(list.body)) {
      setAuthenticated(true); // the key works
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

// ---- 5. Disconnect -----------------------------------------------------------------------------

export async function disconnect() {
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
  setAuthenticated(false);
  setResult('disconnect-result', status === 200
    ? 'Disconnected: Gradient shows the integration as inactive; the key is forgotten.'
    : `Key forgotten. Gradient answered ${status || 'nothing'}${answer ? `: ${serverMessage(answer)}` : ''}.`,
  status === 200 ? 'ok' : 'warn');
}
