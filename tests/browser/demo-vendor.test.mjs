// The built-in demo vendor portal (/demo-vendor/) plays the vendor's part of Gradient's QA steps
// (shared/spec/qa-steps.txt) in the browser, while the test plays the partner through /sim.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  BASE, REPO, openBrowser, shot, sim, simOk, eventually, text, steps, SEEDED_VENDOR,
} from './lib.mjs';

let b;
before(async () => { b = await openBrowser(); });
after(async () => { if (b) await b.close(); });

const PORTAL = `${BASE}/demo-vendor/`;

/** The log lines of one section: [{method, path, status, outcome, note}]. */
async function logOf(page, section) {
  return page.getByTestId(`log-${section}`).locator('[data-testid=log-entry]').evaluateAll((els) => els.map((e) => ({
    method: e.dataset.method,
    path: e.dataset.path,
    status: Number(e.dataset.status),
    outcome: e.dataset.outcome,
    note: (e.querySelector('[data-testid=log-note]') || {}).textContent || '',
  })));
}

/** Wait until a section's result line has settled on a kind other than busy. */
async function settled(page, testid) {
  const loc = page.getByTestId(testid);
  await eventually(async () => {
    const kind = await loc.getAttribute('data-kind');
    assert.ok(kind && kind !== 'busy', `${testid} still busy`);
  }, { timeout: 15_000, interval: 100 });
  await page.waitForSelector('body[data-busy=false]');
  return { kind: await loc.getAttribute('data-kind'), text: await text(loc) };
}

function findCard(billing, account, code) {
  return billing.cards.find((c) => c.accountName === account && c.productCode === code);
}

test('demo vendor portal: authenticate, portal URL, accounts and services, usage, alert, disconnect', { timeout: 180_000 }, async (t) => {
  const { page, dialogs, errors } = b;
  const step = steps(t);
  let integ;
  let partnerKey;
  let info;

  await step('the partner side through /sim: reset, disconnect, connect, generate the token', async () => {
    await simOk('POST', '/sim/reset');
    info = await simOk('GET', '/sim/info');
    const list = await simOk('GET', '/sim/integrations');
    integ = list.find((i) => i.vendorName === SEEDED_VENDOR);
    assert.ok(integ, 'the seeded Pelican integration exists');
    await simOk('POST', `/sim/integrations/${integ.id}/disconnect`);
    await simOk('POST', `/sim/integrations/${integ.id}/connect`);
    const token = await simOk('POST', `/sim/integrations/${integ.id}/token`);
    partnerKey = token.partnerApiKey;
    assert.ok(partnerKey, 'the token answer carries partnerApiKey');
  });

  await step('the page loads with the vendor key prefilled from /sim/info and no partner key', async () => {
    await page.goto(PORTAL);
    await page.waitForSelector('body[data-ready=true]');
    assert.equal(await page.title(), 'Pelican Endpoint Security — Gradient MSP integration');
    assert.equal(await page.getByTestId('vendor-key').inputValue(), info.vendorApiKey || info.demoKeys.vendorApiKey);
    assert.equal(await page.getByTestId('partner-key').inputValue(), '');
    assert.equal(await page.getByTestId('console-link').getAttribute('href'), '/');
    assert.equal(await page.getByTestId('connection').getAttribute('data-state'), 'disconnected');
  });

  await step('the later steps wait for Authenticate; a refused key\'s error clears once a good key is accepted', async () => {
    for (const id of ['btn-sync-setup', 'btn-sync-usage', 'btn-send-alert', 'btn-disconnect']) {
      assert.equal(await page.getByTestId(id).isDisabled(), true, `${id} waits for Authenticate`);
      assert.equal(await page.getByTestId(id).getAttribute('title'), 'Authenticate first (step 1)');
    }
    await page.getByTestId('partner-key').fill('not-the-key');
    await page.getByTestId('btn-authenticate').click();
    const bad = await settled(page, 'connect-result');
    assert.equal(bad.kind, 'error', bad.text);
    assert.equal(await page.getByTestId('btn-sync-setup').isDisabled(), true, 'still waiting after a refused key');
  });

  await step('Authenticate: GET organization, then PATCH status pending; NEXT lights up in Synthesize', async () => {
    await page.getByTestId('partner-key').fill(partnerKey);
    await page.getByTestId('btn-authenticate').click();
    const r = await settled(page, 'connect-result');
    assert.equal(r.kind, 'ok', r.text);
    assert.equal(await page.getByTestId('connection').getAttribute('data-state'), 'connected', 'the refused key\'s badge is gone');
    assert.equal(await page.getByTestId('btn-sync-setup').isDisabled(), false, 'the later steps open');
    const log = await logOf(page, 'connect');
    assert.deepEqual(log.map((e) => `${e.method} ${e.path} ${e.status}`), [
      'GET /api/vendor-api/organization 200',
      'PATCH /api/vendor-api/organization/status/pending 200',
    ]);
    assert.match(log[0].note, /Flamingo Demo MSP/);
    assert.equal(await text(page.getByTestId('connection-label')), 'Connected to Flamingo Demo MSP');
    assert.match(await text(page.getByTestId('connection-detail')), /pending/);
    const card = await simOk('GET', `/sim/integrations/${integ.id}`);
    assert.equal(card.status, 'pending');
    assert.equal(card.nextEnabled, true);
  });

  await step('a reload keeps the partner key (localStorage) and re-checks it', async () => {
    await page.reload();
    await page.waitForSelector('body[data-ready=true]');
    assert.equal(await page.getByTestId('partner-key').inputValue(), partnerKey);
    await eventually(async () => assert.equal(await page.getByTestId('connection').getAttribute('data-state'), 'connected'));
  });

  await step('Register this page as the integration portal URL', async () => {
    await page.getByTestId('btn-register-portal').click();
    const r = await settled(page, 'connect-result');
    assert.equal(r.kind, 'ok', r.text);
    const log = await logOf(page, 'connect');
    assert.deepEqual(log.map((e) => `${e.method} ${e.path} ${e.status}`), ['PATCH /api/vendor-api 200']);
    assert.ok(r.text.includes(PORTAL), r.text);
  });

  await step('a step that failed shows its error; it goes once the step runs again and succeeds', async () => {
    await simOk('POST', '/sim/faults', { route: '/api/vendor-api', method: 'GET', status: 503, times: 1 });
    try {
      await page.getByTestId('btn-sync-setup').click();
      const r = await settled(page, 'setup-result');
      assert.equal(r.kind, 'error', r.text);
      assert.match(r.text, /503/);
    } finally {
      await simOk('DELETE', '/sim/faults');
    }
  });

  await step('Sync accounts and services: three services, four accounts; a second press sends nothing new', async () => {
    await page.getByTestId('btn-sync-setup').click();
    let r = await settled(page, 'setup-result');
    assert.equal(r.kind, 'ok', r.text);
    assert.doesNotMatch(r.text, /503/, 'the earlier failure is gone');
    assert.equal(await page.locator('[data-testid=setup-result][data-kind=error]').count(), 0);
    let log = await logOf(page, 'setup');
    assert.deepEqual(log.map((e) => `${e.method} ${e.path} ${e.status}`), [
      'GET /api/vendor-api 200',
      'POST /api/vendor-api/service 201',
      'POST /api/vendor-api/service 201',
      'POST /api/vendor-api/service 201',
      'GET /api/vendor-api/organization/accounts 200',
      'POST /api/vendor-api/organization/accounts 201',
    ]);
    assert.equal(await page.locator('[data-testid=service-row][data-synced=true]').count(), 3);
    assert.equal(await page.locator('[data-testid=account-row][data-synced=true]').count(), 4);

    await page.getByTestId('btn-sync-setup').click();
    r = await settled(page, 'setup-result');
    assert.equal(r.kind, 'ok', r.text);
    log = await logOf(page, 'setup');
    assert.deepEqual(log.map((e) => `${e.method} ${e.path} ${e.status}`), [
      'GET /api/vendor-api 200',
      'GET /api/vendor-api/organization/accounts 200',
    ], 'names already in Gradient are not sent again');
    const card = await simOk('GET', `/sim/integrations/${integ.id}`);
    assert.equal(card.accountCount, 4);
    assert.equal(card.serviceCount, 3);
  });

  await step('the partner maps through /sim: Acme auto, Cedar by hand, the three services; FINISH', async () => {
    await simOk('POST', `/sim/integrations/${integ.id}/step`, { step: 'account_mapping' });
    let m = await simOk('GET', `/sim/integrations/${integ.id}/mappings`);
    const acme = m.accounts.find((a) => a.id === 'pel-acme');
    assert.equal(acme.psaAccountName, 'Acme Corp', 'Acme Corp auto-maps');
    assert.equal(m.accounts.find((a) => a.id === 'pel-cedar').psaAccountId, null, 'Cedar Ridge Law LLP (no comma) does not');
    const cedar = m.psaAccounts.find((a) => a.name === 'Cedar Ridge Law, LLP');
    await simOk('PUT', `/sim/integrations/${integ.id}/mappings/accounts/pel-cedar`, { psaAccountId: cedar.id });
    await simOk('POST', `/sim/integrations/${integ.id}/step`, { step: 'service_mapping' });
    m = await simOk('GET', `/sim/integrations/${integ.id}/mappings`);
    const product = (code) => m.psaProducts.find((p) => p.productCode === code).id;
    const service = (name) => m.services.find((s) => s.name === name).id;
    for (const [name, code] of [['Endpoint Protection', 'SEC-EDR'], ['Email Security', 'SEC-EMAIL'], ['Security Awareness Training', 'SEC-SAT']]) {
      await simOk('PUT', `/sim/integrations/${integ.id}/mappings/services/${service(name)}`, { psaProductIds: [product(code)] });
    }
    await simOk('POST', `/sim/integrations/${integ.id}/step`, { step: 'review' });
    await simOk('POST', `/sim/integrations/${integ.id}/finish`);
  });

  await step('Sync usage now: no_build on all but the last call; Delta (unmapped) is skipped', async () => {
    await page.getByTestId('btn-sync-usage').click();
    const r = await settled(page, 'usage-summary');
    const summary = page.getByTestId('usage-summary');
    assert.equal(await summary.getAttribute('data-accepted'), '5', r.text);
    assert.equal(await summary.getAttribute('data-skipped'), '1', r.text);
    assert.match(r.text, /^5 accepted, 1 skipped \(not mapped\)/);
    const counts = (await logOf(page, 'usage')).filter((e) => e.method === 'POST');
    assert.equal(counts.length, 6);
    counts.forEach((e, i) => {
      assert.match(e.path, /^\/api\/vendor-api\/service\/[0-9a-f]{24}\/count/);
      assert.equal(e.path.endsWith('?no_build=true'), i < counts.length - 1, `no_build on every call but the last: ${e.path}`);
    });
    const skipped = counts.filter((e) => e.outcome === 'skipped');
    assert.equal(skipped.length, 1);
    assert.equal(skipped[0].status, 404);
    assert.match(skipped[0].note, /pel-delta/);
    const delta = page.locator('[data-testid=usage-row][data-account=pel-delta]');
    assert.equal(await delta.getByTestId('usage-last').getAttribute('data-outcome'), 'skipped');
    assert.equal(await page.getByTestId('connection').getAttribute('data-status'), 'active', 'the first accepted count made the integration active');
  });

  await step('Refresh mapping status reads the mapped accounts back', async () => {
    await page.getByTestId('btn-refresh-accounts').click();
    const r = await settled(page, 'setup-result');
    assert.equal(r.kind, 'ok', r.text);
    const mapped = await page.locator('[data-testid=account-row]').evaluateAll((els) => Object.fromEntries(els.map((e) => [e.dataset.id, e.lastElementChild.textContent])));
    assert.deepEqual(mapped, { 'pel-acme': 'yes', 'pel-cedar': 'yes', 'pel-delta': 'not yet', 'pel-granite': 'yes' });
  });

  await step('Billing: Reconcile 45→48, No Change, New Revenue 12, Reconcile 29→27', async () => {
    await simOk('POST', '/sim/billing/rebuild');
    const billing = await simOk('GET', '/sim/billing');
    const edr = findCard(billing, 'Acme Corp', 'SEC-EDR');
    assert.equal(edr.type, 'reconcile');
    assert.equal(edr.psaQuantity, 45);
    assert.equal(edr.vendorQuantity, 48);
    assert.equal(findCard(billing, 'Acme Corp', 'SEC-EMAIL').type, 'no_change');
    const sat = findCard(billing, 'Acme Corp', 'SEC-SAT');
    assert.ok(sat, 'Acme Corp has a SEC-SAT card');
    assert.equal(sat.type, 'new_revenue');
    assert.equal(sat.vendorQuantity, 12);
    const cedar = findCard(billing, 'Cedar Ridge Law, LLP', 'SEC-EDR');
    assert.equal(cedar.type, 'reconcile');
    assert.equal(cedar.psaQuantity, 29);
    assert.equal(cedar.vendorQuantity, 27);
    const granite = findCard(billing, 'Granite Peak Credit Union', 'SEC-EDR');
    assert.equal(granite.type, 'reconcile', 'Granite Peak auto-mapped: 58 → 60');
  });

  await step('OPEN VENDOR PORTAL now answers the demo portal URL', async () => {
    const r = await simOk('GET', `/sim/integrations/${integ.id}/vendor-portal?format=json`);
    assert.equal(r.url, PORTAL);
  });

  await step('Send a test alert: pending, then success with a ticket', async () => {
    await page.getByTestId('alert-account').selectOption('pel-acme');
    await page.getByTestId('btn-send-alert').click();
    await eventually(async () => {
      const st = await page.getByTestId('alert-result').getAttribute('data-status');
      assert.ok(st === 'success' || st === 'failed', `alert status ${st}`);
    }, { timeout: 10_000, interval: 100 });
    await page.waitForSelector('body[data-busy=false]');
    assert.equal(await page.getByTestId('alert-result').getAttribute('data-status'), 'success', await text(page.getByTestId('alert-result')));
    const log = await logOf(page, 'alert');
    assert.equal(`${log[0].method} ${log[0].path} ${log[0].status}`, 'POST /api/vendor-api/alerting/pel-acme 201');
    assert.ok(log.length >= 2 && log.length <= 11, `polled between 1 and 10 times: ${log.length - 1}`);
    assert.ok(log.slice(1).every((e) => e.method === 'GET' && e.path.startsWith('/api/vendor-api/alerting/debug/')));
    const ticketId = await page.getByTestId('alert-result').getAttribute('data-ticket-id');
    const tickets = await simOk('GET', '/sim/tickets');
    const all = tickets.boards.flatMap((bd) => bd.tickets);
    assert.ok(all.some((tk) => String(tk.id) === ticketId), `ticket ${ticketId} is on a PSA board`);
    await shot(page, 'demo-vendor');
  });

  await step('Disconnect: status inactive, the stored key is forgotten', async () => {
    await page.getByTestId('btn-disconnect').click();
    const r = await settled(page, 'disconnect-result');
    assert.equal(r.kind, 'ok', r.text);
    const log = await logOf(page, 'disconnect');
    assert.deepEqual(log.map((e) => `${e.method} ${e.path} ${e.status}`), ['PATCH /api/vendor-api/organization/status/inactive 200']);
    assert.equal(await page.getByTestId('partner-key').inputValue(), '');
    const card = await simOk('GET', `/sim/integrations/${integ.id}`);
    assert.equal(card.status, 'inactive');
    await page.reload();
    await page.waitForSelector('body[data-ready=true]');
    assert.equal(await page.getByTestId('partner-key').inputValue(), '', 'a reload does not bring the key back');
  });

  await step('the QA steps again: the partner disconnects and reconnects; services are not sent twice', async () => {
    await simOk('POST', `/sim/integrations/${integ.id}/disconnect`);
    await simOk('POST', `/sim/integrations/${integ.id}/connect`);
    const token = await simOk('POST', `/sim/integrations/${integ.id}/token`);
    assert.notEqual(token.partnerApiKey, partnerKey);
    await page.getByTestId('partner-key').fill(token.partnerApiKey);
    await page.getByTestId('btn-authenticate').click();
    assert.equal((await settled(page, 'connect-result')).kind, 'ok');
    await page.getByTestId('btn-sync-setup').click();
    const r = await settled(page, 'setup-result');
    assert.equal(r.kind, 'ok', r.text);
    const log = await logOf(page, 'setup');
    assert.deepEqual(log.map((e) => `${e.method} ${e.path} ${e.status}`), [
      'GET /api/vendor-api 200',
      'GET /api/vendor-api/organization/accounts 200',
      'POST /api/vendor-api/organization/accounts 201',
    ], 'vendor-level services survive a disconnect; the accounts are sent again');
    const card = await simOk('GET', `/sim/integrations/${integ.id}`);
    assert.equal(card.status, 'pending');
    assert.equal(card.accountCount, 4);
  });

  await step('server strings go in as text only; no dialog, no page error', async () => {
    const dir = path.join(REPO, 'static', 'demo-vendor');
    for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.js'))) {
      const src = fs.readFileSync(path.join(dir, f), 'utf8');
      assert.doesNotMatch(src, /innerHTML|outerHTML|insertAdjacentHTML|document\.write/, `${f} builds the page with text only`);
    }
    assert.deepEqual(dialogs, []);
    assert.deepEqual(errors, []);
    // The reset keeps the other test files independent of what this one left behind.
    await sim('POST', '/sim/reset');
  });
});
