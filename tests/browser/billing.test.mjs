// Billing page actions: Approve, Adjust, Dismiss, bulk; search and vendor filter; "Last rebuilt at".
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  openBrowser, shot, gotoConsole, vendorClient, expectStatus, eventually, text, simOk,
  serviceCard, steps, setUpUsage,
} from './lib.mjs';

let b;
before(async () => { b = await openBrowser(); });
after(async () => { if (b) await b.close(); });

test('Billing page: Approve, Adjust, Dismiss, bulk, search and vendor filter', { timeout: 120_000 }, async (t) => {
  const { page, dialogs, errors } = b;
  const step = steps(t);
  let info;
  let id;

  await step('set up usage through the APIs', async () => { ({ info, id } = await setUpUsage()); });

  await step('the page shows the last rebuild; reload until the usage is in', async () => {
    await gotoConsole(page, '#/billing');
    await page.getByTestId('billing-built-at').waitFor();
    await eventually(async () => {
      await page.getByTestId('btn-billing-reload').click();
      await page.waitForTimeout(150);
      assert.equal(await serviceCard(page, 'Evergreen Animal Hospital', 'SEC-EDR').getAttribute('data-type', { timeout: 1000 }), 'reconcile');
    }, { timeout: 15_000, interval: 300 });
    const builtAt = await page.getByTestId('billing-built-at').getAttribute('data-built-at');
    assert.ok(builtAt && !Number.isNaN(Date.parse(builtAt)), `builtAt is a date: ${builtAt}`);
    assert.equal(await serviceCard(page, 'Bluebird Dental Group', 'SEC-EDR').getAttribute('data-type'), 'no_change');
    await shot(page, '40-billing-before-actions', { fullPage: false });
  });

  await step('search narrows the cards; the vendor filter keeps the vendor\'s cards', async () => {
    await page.getByTestId('billing-search').fill('Granite');
    await eventually(async () => {
      const accounts = await page.locator('[data-testid=service-card]').evaluateAll((els) => [...new Set(els.map((e) => e.dataset.accountName))]);
      assert.deepEqual(accounts, ['Granite Peak Credit Union']);
    });
    await page.getByTestId('billing-search').fill('');
    const vendorId = info.vendors[0].id;
    await page.getByTestId('billing-vendor-filter').selectOption(vendorId);
    await eventually(async () => {
      const types = await page.locator('[data-testid=service-card]').evaluateAll((els) => els.map((e) => e.dataset.type));
      assert.ok(types.length >= 5, `cards fed by the vendor are shown: ${types}`);
      const codes = await page.locator('[data-testid=service-card]').evaluateAll((els) => [...new Set(els.map((e) => e.dataset.productCode))]);
      assert.deepEqual(codes, ['SEC-EDR'], 'only SEC-EDR lines are fed by Pelican');
    });
    await page.getByTestId('billing-vendor-filter').selectOption('');
  });

  await step('Approve: the card leaves at once and the PSA line takes the vendor quantity', async () => {
    const before = await page.getByTestId('service-card').count();
    const acme = serviceCard(page, 'Acme Corp', 'SEC-EDR');
    await acme.getByTestId('card-approve').click();
    await acme.waitFor({ state: 'detached' });
    assert.equal(await page.getByTestId('service-card').count(), before - 1);
    await page.getByTestId('toast').filter({ hasText: 'Approved' }).first().waitFor();
    const psa = await simOk('GET', '/sim/psa');
    const qty = findLineQuantity(psa, 'Acme Corp', 'SEC-EDR');
    if (qty !== undefined) assert.equal(qty, 48, 'the PSA line now says 48');
    else t.diagnostic('could not find the Acme SEC-EDR line in /sim/psa to check its quantity');
  });

  await step('Adjust takes an effective date', async () => {
    const granite = serviceCard(page, 'Granite Peak Credit Union', 'SEC-EDR');
    await granite.getByTestId('card-adjust').click();
    const dlg = page.getByTestId('adjust-dialog');
    await dlg.waitFor();
    await dlg.getByTestId('adjust-date').fill('2026-11-15');
    await dlg.getByTestId('adjust-confirm').click();
    await dlg.waitFor({ state: 'detached' });
    await granite.waitFor({ state: 'detached' });
  });

  await step('bulk: tick two cards, DISMISS both', async () => {
    await serviceCard(page, 'Delta Logistics Inc.', 'SEC-EDR').getByTestId('card-select').check();
    await serviceCard(page, 'Evergreen Animal Hospital', 'SEC-EDR').getByTestId('card-select').check();
    assert.equal(await text(page.getByTestId('bulk-count')), '2 cards selected');
    await shot(page, '41-billing-bulk-selected', { fullPage: false });
    await page.getByTestId('bulk-dismiss').click();
    await serviceCard(page, 'Delta Logistics Inc.', 'SEC-EDR').waitFor({ state: 'detached' });
    await serviceCard(page, 'Evergreen Animal Hospital', 'SEC-EDR').waitFor({ state: 'detached' });
    assert.equal(await page.getByTestId('bulk-count').count(), 0);
  });

  await step('Dismiss one card, then a reload does not bring actioned cards back', async () => {
    const blue = serviceCard(page, 'Bluebird Dental Group', 'SEC-EDR');
    await blue.getByTestId('card-dismiss').click();
    await blue.waitFor({ state: 'detached' });
    await page.reload();
    await page.waitForSelector('body[data-ready=true]');
    await page.getByTestId('billing-results').waitFor();
    for (const account of ['Acme Corp', 'Granite Peak Credit Union', 'Delta Logistics Inc.', 'Evergreen Animal Hospital', 'Bluebird Dental Group']) {
      const c = serviceCard(page, account, 'SEC-EDR');
      assert.equal(await c.count(), 0, `${account}'s actioned card stays off the dashboard`);
    }
    assert.ok(await serviceCard(page, 'Acme Corp', 'MS-WKS').count() === 1, 'other cards are still there');
    await shot(page, '42-billing-after-actions', { fullPage: false });
  });

  await step('REBUILD answers with a fresh build time', async () => {
    const before = await page.getByTestId('billing-built-at').getAttribute('data-built-at');
    await page.waitForTimeout(20);
    await page.getByTestId('btn-billing-rebuild').click();
    await eventually(async () => assert.notEqual(await page.getByTestId('billing-built-at').getAttribute('data-built-at'), before));
  });

  await step('New Revenue: the partner picks the agreement that takes the new line', async () => {
    // Foxtrot has two agreements and no SEC-EMAIL line: mail usage there is New Revenue.
    const vendor = vendorClient(info.demoKeys.gradientToken);
    expectStatus(await vendor('POST', '/organization/accounts', [{ id: 'fox-1', name: 'Foxtrot Manufacturing Co.' }]), 201, 'Foxtrot');
    const m = await simOk('GET', `/sim/integrations/${id}/mappings`);
    const fox = m.psaAccounts.find((a) => a.name === 'Foxtrot Manufacturing Co.');
    await simOk('PUT', `/sim/integrations/${id}/mappings/accounts/fox-1`, { psaAccountId: fox.id });
    const mail = expectStatus(await vendor('POST', '/service', { name: 'Pelican Mail Shield', description: 'Mail', category: 'security', subcategory: 'email security' }), 201, 'mail service');
    const sku = mail.skus.find((x) => x.name === 'Pelican Mail Shield').id;
    const email = m.psaProducts.find((p) => p.productCode === 'SEC-EMAIL');
    await simOk('PUT', `/sim/integrations/${id}/mappings/services/${sku}`, { psaProductIds: [email.id] });
    expectStatus(await vendor('POST', `/service/${sku}/count`, { accountId: 'fox-1', unitCount: 7 }), 201, 'mail count');
    await simOk('POST', '/sim/billing/rebuild');
    await page.getByTestId('btn-billing-reload').click();
    const card = serviceCard(page, 'Foxtrot Manufacturing Co.', 'SEC-EMAIL');
    await card.waitFor();
    assert.equal(await text(card.getByTestId('card-type')), 'New Revenue');
    assert.equal(await card.getByTestId('card-new-tag').count(), 1, 'one badge, its New mark inside');
    const pick = card.getByTestId('card-agreement');
    assert.deepEqual(await pick.locator('option').allTextContents(), ['Managed Services Agreement', 'Security Add-On Agreement']);
    await pick.selectOption({ label: 'Security Add-On Agreement' });
    await shot(page, '43-billing-new-revenue-agreement', { locator: card });
    await card.getByTestId('card-approve').click();
    await card.waitFor({ state: 'detached' });
    await page.getByTestId('toast').filter({ hasText: 'Security Add-On Agreement' }).first().waitFor();
    const psa = await simOk('GET', '/sim/psa');
    const company = psa.companies.find((c) => c.name === 'Foxtrot Manufacturing Co.');
    const holding = company.agreements.filter((a) => a.lines.some((l) => l.productCode === 'SEC-EMAIL' && Number(l.quantity) === 7)).map((a) => a.name);
    assert.deepEqual(holding, ['Security Add-On Agreement']);
  });

  await step('no dialog, no page error', async () => {
    assert.deepEqual(dialogs, []);
    assert.deepEqual(errors, []);
  });
});

/** Find a PSA line's quantity in /sim/psa whatever its exact nesting (companies → agreements → lines). */
function findLineQuantity(psa, companyName, productCode) {
  const products = new Map((psa.products || []).map((p) => [p.id, p.productCode]));
  for (const c of psa.companies || []) {
    if (c.name !== companyName) continue;
    for (const a of c.agreements || []) {
      for (const l of a.lines || []) {
        const code = l.productCode || products.get(l.productId) || l.product;
        if (code === productCode) return Number(l.quantity);
      }
    }
  }
  return undefined;
}
