// Gradient's QA steps (shared/spec/qa-steps.txt) clicked through in the partner console, while the
// test plays the vendor over HTTP with the GRADIENT-TOKEN the console shows.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  BASE, openBrowser, shot, gotoConsole, vendorClient, expectStatus, eventually, text, sim,
  card, vendorItem, psaItem, pickPsa, serviceCard, confirmModal, SEEDED_VENDOR, steps,
} from './lib.mjs';

let b;
before(async () => { b = await openBrowser(); });
after(async () => { if (b) await b.close(); });

const EDR_LABEL = 'SEC-EDR · Managed EDR - Per Endpoint';
const NETMON_LABEL = 'NET-MON · Network Monitoring - Per Device';

test('QA steps: disconnect, connect, token, vendor sync, mapping, finish, usage on billing, disconnect', { timeout: 240_000 }, async (t) => {
  const { page, dialogs, errors } = b;
  const step = steps(t);

  await step('RESET puts the simulator back to the seed', async () => {
    await gotoConsole(page, '#/integrations');
    await page.getByTestId('btn-reset').click();
    await confirmModal(page, 'reset-dialog');
    await page.getByTestId('toast').filter({ hasText: 'reset' }).first().waitFor();
    assert.equal(await text(page.getByTestId('partner-name')), 'Flamingo Demo MSP');
    const c = card(page, SEEDED_VENDOR);
    await c.waitFor();
    assert.equal(await c.getAttribute('data-state'), 'setup', 'the seeded integration starts connected (setup)');
    assert.equal(await text(c.getByTestId('integration-state')), 'Connected before QA: disconnect to start');
    // The QA steps' first step is the card's main action: DISCONNECT, not CONTINUE SETUP.
    assert.match(await c.getByTestId('btn-disconnect').getAttribute('class'), /btn-primary/);
    assert.doesNotMatch(await c.getByTestId('btn-continue-setup').getAttribute('class'), /btn-primary/);
    assert.match(await text(c.getByTestId('state-hint')), /QA steps start by disconnecting/);
    await shot(page, '01-integrations-seeded');
  });

  await step('disconnect the seeded integration (its confirmation says what goes)', async () => {
    const c = card(page, SEEDED_VENDOR);
    await c.getByTestId('btn-disconnect').click();
    const dlg = page.getByTestId('disconnect-dialog');
    await dlg.waitFor();
    const body = await text(dlg);
    for (const word of ['vendor account', 'account mappings', 'service mappings', 'usage', 'partner API key stops working']) {
      assert.ok(body.includes(word), `the disconnect dialog mentions "${word}": ${body}`);
    }
    await confirmModal(page, 'disconnect-dialog');
    await eventually(async () => assert.equal(await card(page, SEEDED_VENDOR).getAttribute('data-state'), 'ready_to_connect'));
    assert.equal(await text(card(page, SEEDED_VENDOR).getByTestId('integration-state')), 'Ready to Connect');
    await card(page, SEEDED_VENDOR).getByTestId('btn-connect').waitFor();
    await shot(page, '02-integrations-ready-to-connect');
  });

  await step('CONNECT asks what to integrate, then opens Connect to Vendor', async () => {
    await card(page, SEEDED_VENDOR).getByTestId('btn-connect').click();
    const chooser = page.getByTestId('module-chooser');
    await chooser.waitFor();
    assert.equal(await text(chooser.getByTestId('modal-title')), 'What do you want to integrate?');
    for (const label of ['Alerts & Billing', 'Alerts only', 'Billing only']) assert.ok((await text(chooser)).includes(label), label);
    await chooser.getByTestId('module-option-alerts-billing').click();
    await chooser.getByTestId('module-continue').click();
    await page.waitForURL(/#\/setup\//);
    await page.getByTestId('connect-step').waitFor();
    assert.equal(await page.getByTestId('stepper').getAttribute('data-step'), 'connect_to_vendor');
    assert.ok(await page.getByTestId('btn-next').isDisabled(), 'NEXT is dark before the vendor sets pending');
    assert.match(await text(page.getByTestId('next-hint')), /Waiting for the vendor to set the integration status to pending/);
    assert.equal(await text(page.getByTestId('header-integration-name')), SEEDED_VENDOR);
  });

  await step('OPEN VENDOR PORTAL with no portal URL says so and offers the demo vendor portal', async () => {
    await page.getByTestId('btn-open-portal').click();
    const missing = page.getByTestId('portal-missing');
    await missing.waitFor();
    const msg = await text(missing);
    assert.match(msg, /not set an integration portal URL/);
    assert.match(msg, /contact support with the URL/);
    assert.equal(await page.getByTestId('demo-vendor-link').getAttribute('target'), '_blank');
    assert.match(await page.getByTestId('demo-vendor-link').getAttribute('href'), /^\/demo-vendor\//);
  });

  let token;
  let vendor;
  await step('GENERATE API TOKEN shows the keys once, with COPY buttons', async () => {
    await page.getByTestId('btn-generate-token').click();
    await page.getByTestId('key-panel').waitFor();
    token = await text(page.getByTestId('token-gradient'));
    const partnerKey = await text(page.getByTestId('token-partner-key'));
    const vendorKey = await text(page.getByTestId('token-vendor-key'));
    assert.ok(token.length > 20, 'a GRADIENT-TOKEN is shown');
    assert.equal(Buffer.from(token, 'base64').toString(), `${vendorKey}:${partnerKey}`, 'the token is base64("vendor key:partner key")');
    assert.equal(await text(page.getByTestId('copy-token-gradient')), 'COPY API TOKEN');
    assert.equal(await text(page.getByTestId('btn-generate-token')), 'REGENERATE API TOKEN');
    assert.equal(await page.getByTestId('status-value').getAttribute('data-status'), 'inactive');
    await shot(page, '03-connect-to-vendor-token');
    vendor = vendorClient(token);
  });

  const portalUrl = `${BASE}/demo-vendor/?from=pelican-qa`;
  let edrId;
  let mailId;
  await step('vendor: sets its portal URL, creates services and accounts, sets status pending', async () => {
    expectStatus(await vendor('PATCH', '', { integrationPortalUrl: portalUrl }), 200, 'PATCH /api/vendor-api');
    const s1 = expectStatus(await vendor('POST', '/service', {
      name: 'Pelican EDR Agent', description: 'Endpoint detection and response, per protected endpoint',
      category: 'security', subcategory: 'endpoint detection and response (EDR)',
    }), 201, 'POST /service (EDR)');
    edrId = (s1.skus || []).find((s) => s.name === 'Pelican EDR Agent')?.id;
    assert.ok(edrId, `the new SKU is in the answer: ${JSON.stringify(s1)}`);
    const s2 = expectStatus(await vendor('POST', '/service', {
      name: 'Pelican Mail Guard', description: 'Inbound email filtering, per mailbox',
      category: 'security', subcategory: 'endpoint detection and response (EDR)',
    }), 201, 'POST /service (mail)');
    mailId = (s2.skus || []).find((s) => s.name === 'Pelican Mail Guard')?.id;
    assert.ok(mailId);
    expectStatus(await vendor('POST', '/organization/accounts', [
      { id: 'pel-1001', name: 'Acme Corp', description: 'Acme tenant' },
      { id: 'pel-1002', name: 'Cedar Ridge Law LLP', description: 'no comma: must be mapped by hand' },
      { id: 'pel-1003', name: 'Bluebird Dental', description: 'short name: mapped by drag and drop' },
    ]), 201, 'POST /organization/accounts');
    expectStatus(await vendor('PATCH', '/organization/status/pending'), 200, 'PATCH /organization/status/pending');
  });

  await step('OPEN VENDOR PORTAL now opens the vendor\'s URL in a new tab', async () => {
    const popupP = b.context.waitForEvent('page', { timeout: 10_000 });
    await page.getByTestId('btn-open-portal').click();
    const popup = await popupP;
    await eventually(() => assert.equal(popup.url(), portalUrl));
    await popup.close();
    assert.equal(await text(page.getByTestId('portal-url')), portalUrl);
  });

  await step('STATUS REFRESH shows pending, the accounts and services received, and lights NEXT', async () => {
    assert.ok(await page.getByTestId('btn-next').isDisabled(), 'no polling: still dark until STATUS REFRESH');
    await page.getByTestId('btn-status-refresh').click();
    await eventually(async () => assert.equal(await page.getByTestId('status-value').getAttribute('data-status'), 'pending'));
    assert.equal(await text(page.getByTestId('status-accounts')), '3');
    assert.ok(Number(await text(page.getByTestId('status-services'))) >= 2, 'both services are counted');
    assert.ok(await page.getByTestId('btn-next').isEnabled(), 'NEXT lights up');
    assert.equal(await page.getByTestId('next-hint').count(), 0);
    await shot(page, '04-connect-to-vendor-pending');
  });

  await step('Account Mapping: exact name auto-mapped, one by select, one by drag and drop', async () => {
    await page.getByTestId('btn-next').click();
    await page.getByTestId('account-mapping-step').waitFor();
    await vendorItem(page, 'Acme Corp').waitFor();
    // Acme Corp auto-maps on an exact name match.
    const acme = vendorItem(page, 'Acme Corp');
    assert.equal(await acme.getAttribute('data-mapped'), 'true');
    assert.equal(await text(acme.getByTestId('mapped-target-name')), 'Acme Corp');
    assert.equal(await text(acme.getByTestId('source-badge')), 'auto');
    // "Cedar Ridge Law LLP" is no exact match of "Cedar Ridge Law, LLP": map it with the picker.
    const cedar = vendorItem(page, 'Cedar Ridge Law LLP');
    assert.equal(await cedar.getAttribute('data-mapped'), 'false');
    await pickPsa(cedar, 'Cedar Ridge Law, LLP');
    await eventually(async () => assert.equal(await text(vendorItem(page, 'Cedar Ridge Law LLP').getByTestId('mapped-target-name')), 'Cedar Ridge Law, LLP'));
    assert.equal(await text(vendorItem(page, 'Cedar Ridge Law LLP').getByTestId('source-badge')), 'manual');
    // Drag "Bluebird Dental Group" onto the vendor's "Bluebird Dental".
    await psaItem(page, 'Bluebird Dental Group').dragTo(vendorItem(page, 'Bluebird Dental'));
    await eventually(async () => assert.equal(await text(vendorItem(page, 'Bluebird Dental').getByTestId('mapped-target-name')), 'Bluebird Dental Group'));
    assert.equal(await text(page.getByTestId('map-counter')), '3 of 3 vendor accounts mapped');
    // Search and Hide mapped.
    await page.getByTestId('vendor-search').fill('cedar');
    await eventually(async () => assert.equal(await page.getByTestId('vendor-item').count(), 1));
    await page.getByTestId('vendor-search').fill('');
    await page.getByTestId('hide-mapped').check();
    await eventually(async () => assert.equal(await page.getByTestId('vendor-item').count(), 0));
    await page.getByTestId('hide-mapped').uncheck();
    await eventually(async () => assert.equal(await page.getByTestId('vendor-item').count(), 3));
    const rows = await sim('GET', `/sim/integrations/${await integrationId(page)}/mappings`);
    const byName = Object.fromEntries(rows.body.accounts.map((a) => [a.name, a]));
    assert.ok(byName['Cedar Ridge Law LLP'].psaAccountId && byName['Bluebird Dental'].psaAccountId, 'the server has both manual mappings');
    await shot(page, '05-account-mapping');
  });

  await step('Service Mapping: select, several PSA products per service, ✕ to unmap one, drag and drop', async () => {
    await page.getByTestId('btn-next').click();
    await page.getByTestId('service-mapping-step').waitFor();
    await vendorItem(page, 'Pelican EDR Agent').waitFor();
    const edr = () => vendorItem(page, 'Pelican EDR Agent');
    await pickPsa(edr(), EDR_LABEL);
    await eventually(async () => assert.equal(await edr().getByTestId('mapped-target').count(), 1));
    // A second product keeps the first.
    await pickPsa(edr(), NETMON_LABEL);
    await eventually(async () => assert.deepEqual(await edr().getByTestId('mapped-target-name').allTextContents(), [EDR_LABEL, NETMON_LABEL]));
    // ✕ removes only NET-MON.
    await edr().locator(`[data-testid=mapped-target]`).filter({ hasText: 'NET-MON' }).getByTestId('unmap').click();
    await eventually(async () => assert.deepEqual(await edr().getByTestId('mapped-target-name').allTextContents(), [EDR_LABEL]));
    // Drag SEC-EMAIL onto the mail service.
    await page.locator('[data-testid=psa-item][data-product-code="SEC-EMAIL"]').dragTo(vendorItem(page, 'Pelican Mail Guard'));
    await eventually(async () => assert.equal(await text(vendorItem(page, 'Pelican Mail Guard').getByTestId('mapped-target-name')), 'SEC-EMAIL · Email Security - Per Mailbox'));
    const m = await sim('GET', `/sim/integrations/${await integrationId(page)}/mappings`);
    const svc = Object.fromEntries(m.body.services.map((s) => [s.name, s]));
    assert.equal(svc['Pelican EDR Agent'].psaProductIds.length, 1, 'the server kept exactly SEC-EDR on the EDR service');
    assert.equal(svc['Pelican Mail Guard'].psaProductIds.length, 1);
    if (await page.getByTestId('alert-board-section').count()) {
      await page.getByTestId('alert-board-select').selectOption({ label: 'Alerts - Vendor' }).catch(() => {});
    }
    await shot(page, '06-service-mapping');
  });

  await step('Review lists the pairs; FINISH shows the completion modal', async () => {
    await page.getByTestId('btn-next').click();
    await page.getByTestId('review-step').waitFor();
    await page.getByTestId('review-accounts').waitFor();
    assert.equal(await page.getByTestId('review-account-row').count(), 3);
    assert.equal(await page.getByTestId('review-service-row').count(), 2);
    await shot(page, '07-review');
    await page.getByTestId('btn-finish').click();
    const modal = page.getByTestId('finish-modal');
    await modal.waitFor();
    assert.match(await text(modal), /Setup complete: usage appears on the Billing page once the vendor syncs/);
    await modal.getByTestId('modal-ok').click();
    await page.getByTestId('connected-view').waitFor();
    assert.equal(await text(page.getByTestId('connected-label')), 'Connected');
    await shot(page, '08-connected');
  });

  await step('vendor: initiates a sync (unit counts)', async () => {
    const counts = [
      [edrId, 'pel-1001', 48], // Acme SEC-EDR 45 -> 48: Reconcile
      [edrId, 'pel-1002', 29], // Cedar SEC-EDR 29 -> 29: No Change
      [mailId, 'pel-1003', 25], // Bluebird SEC-EMAIL 22 -> 25: Reconcile
      [mailId, 'pel-1002', 31], // Cedar has no SEC-EMAIL line: New Revenue
    ];
    for (const [sku, accountId, unitCount] of counts) {
      expectStatus(await vendor('POST', `/service/${sku}/count`, { accountId, unitCount }), 201, `count ${accountId}`);
    }
  });

  await step('Billing page (after a reload) shows the usage on the expected cards', async () => {
    await page.getByTestId('nav-billing').click();
    await page.getByTestId('billing-built-at').waitFor();
    await eventually(async () => {
      await page.getByTestId('btn-billing-reload').click();
      await page.waitForTimeout(150);
      assert.equal(await serviceCard(page, 'Acme Corp', 'SEC-EDR').getAttribute('data-type', { timeout: 1000 }), 'reconcile');
    }, { timeout: 15_000, interval: 300 });
    assert.match(await text(page.getByTestId('billing-built-at')), /Last rebuilt at/);

    const acme = serviceCard(page, 'Acme Corp', 'SEC-EDR');
    assert.equal(await text(acme.getByTestId('card-type')), 'Reconcile');
    assert.equal(await text(acme.getByTestId('card-psa-qty')), '45');
    assert.equal(await text(acme.getByTestId('card-vendor-qty')), '48');
    assert.equal(await text(acme.getByTestId('card-difference')), '+3');
    assert.equal(await text(acme.getByTestId('card-revenue')), '+$27.00');
    assert.equal(await text(acme.getByTestId('card-profit')), '+$16.50');
    assert.equal(await text(acme.getByTestId('card-account')), 'Acme Corp');
    assert.equal(await text(acme.getByTestId('card-contract')), 'Managed Services Agreement');

    const cedar = serviceCard(page, 'Cedar Ridge Law, LLP', 'SEC-EDR');
    assert.equal(await cedar.getAttribute('data-type'), 'no_change');
    assert.equal(await text(cedar.getByTestId('card-type')), 'No Change');
    assert.equal(await text(cedar.getByTestId('card-vendor-qty')), '29');

    const blue = serviceCard(page, 'Bluebird Dental Group', 'SEC-EMAIL');
    assert.equal(await text(blue.getByTestId('card-difference')), '+3');
    assert.equal(await text(blue.getByTestId('card-revenue')), '+$12.00');

    const fresh = serviceCard(page, 'Cedar Ridge Law, LLP', 'SEC-EMAIL');
    assert.equal(await fresh.getAttribute('data-type'), 'new_revenue');
    assert.equal(await text(fresh.getByTestId('card-type')), 'New Revenue');
    assert.equal(await text(fresh.getByTestId('card-new-tag')), 'New');
    assert.equal(await text(fresh.getByTestId('card-vendor-qty')), '31');
    assert.equal(await text(fresh.getByTestId('card-revenue')), '+$124.00');

    // Fed by the integration but no count: "-". Fed by nothing: the crossed-out plug.
    const noCount = serviceCard(page, 'Acme Corp', 'SEC-EMAIL');
    assert.equal(await noCount.getAttribute('data-type'), 'psa_only');
    assert.equal(await text(noCount.getByTestId('card-no-count')), '-');
    assert.equal(await text(noCount.getByTestId('card-psa-qty')), '40');
    const noFeed = serviceCard(page, 'Acme Corp', 'MS-WKS');
    assert.equal(await noFeed.getAttribute('data-feed'), 'none');
    assert.equal(await noFeed.getByTestId('card-no-feed').locator('svg').count(), 1);
    assert.equal(await noFeed.getByTestId('card-vendor-qty').count(), 0, 'one number only before vendor data');

    // Card view groups by service with section totals.
    const edrGroup = page.locator('[data-testid=billing-group]').filter({ has: acme });
    assert.match(await text(edrGroup.getByTestId('group-title')), /Managed EDR - Per Endpoint/);
    assert.equal(await text(edrGroup.getByTestId('group-revenue')), '+$27.00');
    await page.evaluate(() => window.scrollTo(0, 0));
    await shot(page, '09-billing-cards', { fullPage: false });
    await shot(page, '09b-billing-edr-section', { locator: edrGroup });
    await shot(page, '09c-billing-email-section', { locator: page.locator('[data-testid=billing-group]').filter({ has: blue }) });

    await page.getByTestId('view-list').click();
    await page.getByTestId('billing-table').waitFor();
    await page.getByTestId('billing-group-by').selectOption('account');
    await page.getByTestId('billing-table').waitFor();
    const acmeRow = serviceCard(page, 'Acme Corp', 'SEC-EDR');
    assert.equal(await text(acmeRow.getByTestId('card-revenue')), '+$27.00');
    await shot(page, '10-billing-list-by-account', { fullPage: false });
    await page.getByTestId('view-card').click();
    await page.locator('.svc-grid').first().waitFor();
  });

  await step('the integration is active after the first usage', async () => {
    await page.getByTestId('nav-integrations').click();
    const c = card(page, SEEDED_VENDOR);
    await c.waitFor();
    assert.equal(await c.getAttribute('data-state'), 'connected');
    assert.equal(await c.getByTestId('integration-state').getAttribute('data-status'), 'active');
    assert.equal(await c.getByTestId('integration-status').count(), 0, 'one status per card, not a state and a status');
    assert.equal(await text(c.getByTestId('integration-state')), 'Connected');
    await shot(page, '11-integrations-active');
  });

  await step('DISCONNECT from the integration page: Ready to Connect again, the old key is refused', async () => {
    await card(page, SEEDED_VENDOR).getByTestId('btn-view-integration').click();
    await page.getByTestId('connected-view').waitFor();
    await page.getByTestId('btn-disconnect').click();
    await confirmModal(page, 'disconnect-dialog');
    await page.waitForURL(/#\/integrations$/);
    await eventually(async () => assert.equal(await card(page, SEEDED_VENDOR).getAttribute('data-state'), 'ready_to_connect'));
    assert.equal(await text(card(page, SEEDED_VENDOR).getByTestId('integration-state')), 'Ready to Connect');
    const r = await vendor('GET', '/organization');
    assert.equal(r.status, 401, 'the partner key stopped working');
    const accounts = await sim('GET', `/sim/integrations/${await card(page, SEEDED_VENDOR).getAttribute('data-integration-id')}/mappings`);
    if (accounts.status === 200) assert.equal(accounts.body.accounts.length, 0, 'the vendor accounts are gone');
  });

  assert.deepEqual(dialogs, [], 'no JS dialog was opened');
  assert.deepEqual(errors, [], 'no uncaught page error');
});

async function integrationId(page) {
  const m = page.url().match(/#\/setup\/([^/?#]+)/);
  assert.ok(m, `on a setup page: ${page.url()}`);
  return decodeURIComponent(m[1]);
}
