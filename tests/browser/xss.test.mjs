// Every string from the server is rendered as text: vendor account and service names, alert titles.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  openBrowser, shot, gotoConsole, vendorClient, expectStatus, eventually, text, sim, simOk,
  vendorItem, pickPsa, steps,
} from './lib.mjs';

const IMG = '<img src=x onerror=alert(1)>';
const SCRIPT = '<script>alert(2)</script>';
const SVC = '<b onmouseover=alert(3)>Bold EDR</b>';

let b;
before(async () => { b = await openBrowser(); });
after(async () => { if (b) await b.close(); });

/** Reset, then use the seed's kickoff keys (the seeded integration starts connected). */
async function seededVendor() {
  await simOk('POST', '/sim/reset');
  const info = await simOk('GET', '/sim/info');
  assert.ok(info.demoKeys && info.demoKeys.gradientToken, `/sim/info has the seed's demo keys: ${JSON.stringify(info.demoKeys)}`);
  const [integration] = await simOk('GET', '/sim/integrations');
  return { vendor: vendorClient(info.demoKeys.gradientToken), integration };
}

test('XSS: vendor-supplied names render literally and no dialog fires', { timeout: 120_000 }, async (t) => {
  const { page, dialogs, errors } = b;
  const step = steps(t);
  let vendor;
  let integration;

  await step('vendor sends accounts and a service named like HTML', async () => {
    ({ vendor, integration } = await seededVendor());
    expectStatus(await vendor('POST', '/organization/accounts', [
      { id: 'xss-1', name: IMG, description: SCRIPT },
      { id: 'xss-2', name: SCRIPT, description: 'second' },
    ]), 201, 'POST accounts');
    expectStatus(await vendor('POST', '/service', { name: SVC, description: IMG, category: 'security', subcategory: 'endpoint detection and response (EDR)' }), 201, 'POST service');
    expectStatus(await vendor('PATCH', '/organization/status/pending'), 200, 'status pending');
  });

  await step('Account Mapping shows the names as text', async () => {
    await gotoConsole(page, `#/setup/${encodeURIComponent(integration.id)}`);
    await page.getByTestId('wizard').waitFor();
    if (await page.getByTestId('stepper').getAttribute('data-step') === 'connect_to_vendor') {
      await page.getByTestId('btn-status-refresh').click();
      await eventually(async () => assert.ok(await page.getByTestId('btn-next').isEnabled()));
      await page.getByTestId('btn-next').click();
    }
    await page.getByTestId('account-mapping-step').waitFor();
    const item = vendorItem(page, IMG);
    await item.waitFor();
    assert.equal(await item.getByTestId('vendor-item-name').textContent(), IMG);
    assert.equal(await vendorItem(page, SCRIPT).getByTestId('vendor-item-name').textContent(), SCRIPT);
    assert.equal(await page.locator('[data-testid=vendor-column] img').count(), 0, 'no <img> element was created');
    assert.equal(await page.locator('main script').count(), 0, 'no <script> element was created');
    // Map it with the select: the mapped pill and the toast stay text too.
    await pickPsa(item, 'Acme Corp');
    await eventually(async () => assert.equal(await vendorItem(page, IMG).getAttribute('data-mapped'), 'true'));
    const toastText = await page.getByTestId('toast').filter({ hasText: 'Mapped' }).first().textContent();
    assert.ok(toastText.includes(IMG), `the toast shows the name literally: ${toastText}`);
    await shot(page, '20-xss-account-mapping');
  });

  await step('Service Mapping and the header show the service name as text', async () => {
    await page.getByTestId('btn-next').click();
    await page.getByTestId('service-mapping-step').waitFor();
    const svc = vendorItem(page, SVC);
    await svc.waitFor();
    assert.equal(await svc.getByTestId('vendor-item-name').textContent(), SVC);
    assert.equal(await page.locator('[data-testid=vendor-column] b').count(), 0);
    assert.equal(await page.locator('[data-testid=vendor-column] img').count(), 0);
    await pickPsa(svc, 'SEC-EDR · Managed EDR - Per Endpoint');
    await eventually(async () => assert.equal(await vendorItem(page, SVC).getAttribute('data-mapped'), 'true'));
    await page.getByTestId('btn-next').click();
    await page.getByTestId('review-accounts').waitFor();
    assert.ok((await text(page.getByTestId('review-accounts'))).includes(IMG));
    assert.equal(await page.locator('[data-testid=review-summary] img').count(), 0);
  });

  await step('a javascript: portal URL is never followed', async () => {
    const r = await vendor('PATCH', '', { integrationPortalUrl: 'javascript:alert(4)' });
    if (r.status !== 200) { t.diagnostic(`the server refused a javascript: portal URL (${r.status}): fine`); return; }
    for (const from of ['review', 'service_mapping', 'account_mapping']) {
      assert.equal(await page.getByTestId('stepper').getAttribute('data-step'), from);
      await page.getByTestId('btn-back').click();
      await page.locator(`[data-testid=stepper]:not([data-step=${from}])`).waitFor();
    }
    await page.getByTestId('connect-step').waitFor();
    const popups = [];
    const onPage = (p) => popups.push(p);
    b.context.on('page', onPage);
    await page.getByTestId('btn-open-portal').click();
    await page.getByTestId('portal-opened').or(page.getByTestId('portal-error')).or(page.getByTestId('portal-missing')).first().waitFor();
    await page.waitForTimeout(300);
    b.context.off('page', onPage);
    for (const p of popups) { assert.ok(!p.url().startsWith('javascript:'), p.url()); await p.close(); }
    if (await page.getByTestId('portal-url').count()) {
      assert.equal(await page.getByTestId('portal-url').getAttribute('href'), 'about:blank');
    }
  });

  await step('alert titles render as text on the Tickets page', async () => {
    // Set up the alert path through the control API: map the account, pick a board.
    const m = await simOk('GET', `/sim/integrations/${integration.id}/mappings`);
    const acme = m.psaAccounts.find((a) => a.name === 'Acme Corp');
    await simOk('PUT', `/sim/integrations/${integration.id}/mappings/accounts/xss-1`, { psaAccountId: acme.id });
    const psa = await simOk('GET', '/sim/psa');
    const board = (psa.boards || []).find((x) => x.name === 'Alerts - Vendor') || (psa.boards || [])[0];
    assert.ok(board, `/sim/psa lists boards: ${JSON.stringify(Object.keys(psa))}`);
    await simOk('PUT', `/sim/integrations/${integration.id}/alert-board`, { boardId: board.id });
    const a = expectStatus(await vendor('POST', '/alerting/xss-1', { title: IMG, description: SCRIPT, alertId: 'alert-xss-1', priority: 2, status: 1 }), 201, 'POST alerting');
    assert.ok(a.messageId);
    await eventually(async () => {
      const d = await vendor('GET', `/alerting/debug/${a.messageId}`);
      assert.equal(d.body && d.body.status, 'success', JSON.stringify(d.body));
    }, { timeout: 10_000, interval: 250 });
    await page.getByTestId('nav-tickets').click();
    const ticket = page.getByTestId('ticket').filter({ has: page.locator('[data-testid=ticket-alert-id]', { hasText: 'alert-xss-1' }) });
    await ticket.waitFor();
    assert.equal(await ticket.getByTestId('ticket-summary').textContent(), IMG);
    assert.equal(await ticket.getByTestId('ticket-description').textContent(), SCRIPT);
    assert.equal(await page.locator('[data-testid=ticket-boards] img').count(), 0);
    await shot(page, '21-xss-tickets');
  });

  await step('no dialog fired, no page error', async () => {
    await page.waitForTimeout(300);
    assert.deepEqual(dialogs, []);
    assert.deepEqual(errors, []);
  });
});
