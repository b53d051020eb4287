// Built-in demo vendor portal: "Pelican Endpoint Security"'s settings page for its Gradient MSP
// (Synthesize) integration. It plays the vendor's part of Gradient's QA steps against this
// simulator's vendor API (same origin), and logs every HTTP call it makes with its answer.
// The parts: page.js (DOM, log, token, runner), catalog.js (what Pelican sells), setup.js
// (steps 1, 2 and 5), usage.js (step 3), alerts.js (step 4); here, the one-click scenarios and
// the start.
//
// Safety: every string that comes from the server (or from the user) reaches the page through
// textContent / text nodes / input values, never parsed as HTML markup.

import { LS_PARTNER_KEY, LS_VENDOR_KEY, $, el, setResult, serverMessage, clearLog, vendorCall, setConnection, showOrganization, runner, isBusy, setAuthenticated } from './page.js';
import { authenticate, registerPortal, syncSetup, loadAccountsQuietly, disconnect, renderServices, renderAccounts } from './setup.js';
import { renderUsage, syncUsage } from './usage.js';
import { sendAlert } from './alerts.js';

// ---- scenarios (the simulator's control API, not the vendor API) -------------------------------

const CARD_WORDS = { no_change: 'No Change', reconcile: 'Reconcile', new_revenue: 'New Revenue' };
let scenarioRunning = false;

async function loadScenarios() {
  const box = $('scenario-buttons');
  let list = [];
  try {
    const res = await fetch('/sim/scenarios', { cache: 'no-store' });
    if (res.ok) list = await res.json();
  } catch { /* not served: no scenarios */ }
  box.replaceChildren(...list.map((s) => el('button', {
    // A scenario of several events names them: "A month in the life" plays ten.
    type: 'button', class: 'pel-btn', testid: 'scenario-button',
    title: String(s.description || '') + (s.steps && s.steps.length ? ` Steps: ${s.steps.join(', ')}.` : ''),
    dataset: { scenario: s.name }, onclick: () => confirmScenario(s),
  }, String(s.title))));
}

/** A scenario resets the simulator first: it asks before throwing the QA run away. */
function confirmScenario(s) {
  if (scenarioRunning || isBusy()) return;
  const box = $('scenario-confirm');
  const yes = el('button', { type: 'button', class: 'pel-btn pel-btn-danger', testid: 'scenario-confirm-yes', onclick: () => { box.hidden = true; runScenario(s); } }, 'Reset and play');
  const no = el('button', { type: 'button', class: 'pel-btn', testid: 'scenario-confirm-no', onclick: () => { box.hidden = true; box.replaceChildren(); } }, 'Cancel');
  box.replaceChildren(
    el('p', null, `"${s.title}" resets the simulator to its seed first: the integration, mappings, usage, keys and journal of your QA run go.`),
    el('div', { class: 'pel-actions' }, yes, no));
  box.dataset.scenario = s.name;
  box.hidden = false;
  no.focus();
}

async function runScenario(s) {
  if (scenarioRunning || isBusy()) return;
  scenarioRunning = true;
  const buttons = [...document.querySelectorAll('[data-testid=scenario-button]')];
  buttons.forEach((b) => { b.disabled = true; });
  const result = $('scenario-result');
  result.dataset.scenario = s.name;
  result.dataset.status = 'running';
  setResult('scenario-result', `${s.title}: resetting and pushing…`, 'busy');
  const stepList = $('scenario-steps');
  stepList.hidden = true;
  stepList.replaceChildren();
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
    // Each named event at the partner's time, as the scenario played it.
    const played = Array.isArray(body.steps) ? body.steps : [];
    stepList.replaceChildren(...played.map((st) => el('li', { testid: 'scenario-step', dataset: { step: String(st.name) } },
      el('time', { datetime: String(st.at) }, String(st.at).slice(0, 16).replace('T', ' ')),
      el('strong', {}, String(st.name)), `: ${String(st.detail)}`)));
    stepList.hidden = played.length === 0;
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
    scenarioRunning = false;
    buttons.forEach((b) => { b.disabled = false; });
  }
}

// ---- start -------------------------------------------------------------------------------------

async function start() {
  setAuthenticated(false); // the later steps wait for Authenticate (or a stored key that works)
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
