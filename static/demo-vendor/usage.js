// Step 3 of the demo vendor portal: this month's unit counts, one call each, the last one
// asking Gradient to rebuild the billing view.

import { API, $, el, setResult, serverMessage, clearLog, logInfo, gradientToken, vendorCall, showOrganization } from './page.js';
import { SERVICES, ACCOUNTS, USAGE } from './catalog.js';
import { skuByName } from './setup.js';

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

export function renderUsage() {
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

export async function syncUsage() {
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
