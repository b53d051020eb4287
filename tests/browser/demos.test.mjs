// Demos: the demo vendor portal's one-click scenarios, RESET to another PSA's seed (Autotask's
// words and first-of-month dates on the billing page), and CSV usage import on the billing page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  BASE, openBrowser, shot, gotoConsole, simOk, eventually, text, serviceCard, steps,
} from './lib.mjs';

let b;
before(async () => { b = await openBrowser(); });
after(async () => {
  await simOk('POST', '/sim/reset', { seed: 'flamingo' }).catch(() => {});
  if (b) await b.close();
});

function firstOfNextMonth() {
  const d = new Date();
  const y = d.getUTCMonth() === 11 ? d.getUTCFullYear() + 1 : d.getUTCFullYear();
  const m = (d.getUTCMonth() + 1) % 12 + 1;
  return `${y}-${String(m).padStart(2, '0')}-01`;
}

test('a presenter pushes scenarios from the demo portal and the billing page shows their cards', { timeout: 120_000 }, async (t) => {
  const { page, errors } = b;
  const step = steps(t);
  await step('the portal lists the seven scenarios', async () => {
    await simOk('POST', '/sim/reset', { seed: 'flamingo' });
    await page.goto(`${BASE}/demo-vendor/`);
    await page.waitForSelector('body[data-ready=true]');
    // Below the QA steps (the last of which is Disconnect): each scenario resets the simulator.
    const below = await page.evaluate(() => {
      const qa = document.querySelector('[data-testid=section-disconnect]');
      const sc = document.querySelector('[data-testid=section-scenarios]');
      return Boolean(qa.compareDocumentPosition(sc) & Node.DOCUMENT_POSITION_FOLLOWING)
        && sc.getBoundingClientRect().top >= qa.getBoundingClientRect().bottom;
    });
    assert.ok(below, 'the scenarios sit below the QA steps');
    const names = await page.getByTestId('scenario-button').evaluateAll((els) => els.map((e) => e.dataset.scenario));
    assert.deepEqual(names, ['all-in-sync', 'under-billed', 'over-billed', 'new-revenue', 'decimal-usage', 'large-msp', 'month-in-the-life']);
  });

  await step('Under-billed: one click, then Reconcile cards with revenue to gain', async () => {
    await page.locator('[data-testid=scenario-button][data-scenario=under-billed]').click();
    // It resets the simulator first: it asks, and Cancel keeps everything.
    await page.getByTestId('scenario-confirm').waitFor();
    assert.match(await page.getByTestId('scenario-confirm').textContent(), /resets the simulator/);
    await page.getByTestId('scenario-confirm-no').click();
    assert.equal(await page.getByTestId('scenario-confirm').isHidden(), true);
    assert.equal(await page.getByTestId('scenario-result').getAttribute('data-status'), null, 'nothing ran');
    await page.locator('[data-testid=scenario-button][data-scenario=under-billed]').click();
    await page.getByTestId('scenario-confirm-yes').click();
    const result = page.getByTestId('scenario-result');
    await eventually(async () => assert.equal(await result.getAttribute('data-status'), 'done', await text(result)), { timeout: 30_000 });
    assert.match(await text(result), /Under-billed: 4 account\(s\), 6 count\(s\) → 6 Reconcile/);
    assert.equal(await page.getByTestId('partner-key').inputValue(), (await simOk('GET', '/sim/info')).demoKeys.partnerApiKey,
      'the portal now holds the key the scenario used');
    await shot(page, '60-demo-portal-scenarios');
    await page.getByTestId('scenario-billing-link').click();
    await page.waitForSelector('body[data-ready=true]');
    const cedar = serviceCard(page, 'Cedar Ridge Law, LLP', 'SEC-EDR');
    await cedar.waitFor();
    assert.equal(await cedar.getAttribute('data-type'), 'reconcile');
    assert.equal(await text(cedar.getByTestId('card-vendor-qty')), '34');
    await shot(page, '61-billing-after-under-billed');
  });

  await step('Decimal usage: storage in GB keeps its decimals on the card', async () => {
    await simOk('POST', '/sim/scenarios/decimal-usage');
    await page.goto('about:blank'); // the page is on #/billing already: load it afresh
    await gotoConsole(page, '#/billing');
    const gb = serviceCard(page, 'Harbor View Realty', 'BKP-GB');
    await gb.waitFor();
    assert.equal(await gb.getAttribute('data-type'), 'reconcile');
    assert.match(await text(gb.getByTestId('card-vendor-qty')), /262\.75/);
    await shot(page, '62-billing-decimal-usage');
  });

  await step('A month in the life: the portal lists each named step at the partner\'s time', async () => {
    await page.goto(`${BASE}/demo-vendor/`);
    await page.waitForSelector('body[data-ready=true]');
    await page.locator('[data-testid=scenario-button][data-scenario=month-in-the-life]').click();
    await page.getByTestId('scenario-confirm-yes').click();
    const result = page.getByTestId('scenario-result');
    await eventually(async () => assert.equal(await result.getAttribute('data-status'), 'done', await text(result)), { timeout: 30_000 });
    const steps = page.getByTestId('scenario-step');
    const names = await steps.evaluateAll((els) => els.map((e) => e.dataset.step));
    assert.deepEqual(names, ['setup', 'nightly-sync', 'new-psa-company', 'psa-sync', 'nightly-sync', 'company-renamed', 'psa-sync',
      'nightly-sync', 'customer-lost', 'psa-sync', 'nightly-sync', 'not-refreshed-this-month', 'month-end-reconciliation', 'new-month']);
    assert.match(await text(steps.nth(5)), /renames "Harbor View Realty" to "Harbor View Realty Group"/);
    assert.match(await text(steps.nth(12)), /approved, effective \d{4}-\d{2}-01/);
    assert.match(await text(steps.nth(13)), /not refreshed last month: Delta Logistics/);
    await shot(page, '65-demo-portal-month-in-the-life');
    // The console's own clock did not move: the partner's did.
    const clock = await simOk('GET', '/sim/clock');
    const info = await simOk('GET', '/sim/info');
    const own = await simOk('GET', `/sim/partners/${info.partner.id}/clock`);
    assert.equal(own.own, true);
    assert.notEqual(own.now, clock.now);
  });
  assert.deepEqual(errors, []);
});

test('RESET to the Autotask seed: Autotask words and first-of-month dates on cards and Adjust', { timeout: 120_000 }, async (t) => {
  const { page, errors } = b;
  const step = steps(t);
  await step('the RESET dialog offers the seeds; choosing Autotask switches the PSA', async () => {
    await gotoConsole(page, '#/integrations');
    await page.getByTestId('btn-reset').click();
    const dlg = page.getByTestId('reset-dialog');
    await dlg.waitFor();
    const options = await dlg.getByTestId('reset-seed').locator('option').evaluateAll((els) => els.map((e) => e.value));
    assert.deepEqual(options.slice(0, 3), ['flamingo', 'autotask', 'halopsa']);
    await dlg.getByTestId('reset-seed').selectOption('autotask');
    await dlg.getByTestId('modal-confirm').click();
    await dlg.waitFor({ state: 'detached' });
    await eventually(async () => assert.equal(await text(page.locator('#partner-psa')), 'Datto Autotask PSA'));
  });

  await step('the billing page speaks Autotask and dates approvals on the 1st of next month', async () => {
    await simOk('POST', '/sim/scenarios/over-billed');
    await gotoConsole(page, '#/billing');
    const rule = page.getByTestId('billing-psa');
    assert.equal(await rule.getAttribute('data-effective-rule'), 'first_of_next_month');
    assert.match(await text(rule), new RegExp(`approvals take effect on ${firstOfNextMonth()}`));
    const acme = serviceCard(page, 'Acme Corp', 'SEC-EDR');
    assert.equal(await text(acme.getByTestId('card-contract-term')), 'Contract:');
    assert.equal(await text(acme.getByTestId('card-contract')), 'Managed Services Contract');
    await acme.getByTestId('card-adjust').click();
    const dlg = page.getByTestId('adjust-dialog');
    await dlg.waitFor();
    assert.equal(await dlg.getByTestId('adjust-date').inputValue(), firstOfNextMonth());
    assert.match(await text(dlg.getByTestId('adjust-date-rule')), /from the 1st of a month/);
    await shot(page, '63-autotask-adjust');
    // A mid-month date is refused by the server with the Autotask rule, shown in the dialog.
    await dlg.getByTestId('adjust-date').fill(`${firstOfNextMonth().slice(0, 8)}15`);
    await dlg.getByTestId('adjust-confirm').click();
    await eventually(async () => assert.match(await text(dlg.getByTestId('modal-error')), /Autotask applies contract service changes from the 1st/));
    await dlg.getByTestId('adjust-date').fill(firstOfNextMonth());
    await dlg.getByTestId('adjust-confirm').click();
    await dlg.waitFor({ state: 'detached' });
    // Shown with the actioned cards: the date it takes effect.
    await page.getByTestId('billing-include-actioned').check();
    const adjusted = serviceCard(page, 'Acme Corp', 'SEC-EDR');
    await eventually(async () => assert.equal(await text(adjusted.getByTestId('card-state')), `adjusted · effective ${firstOfNextMonth()}`));
    await page.getByTestId('billing-include-actioned').uncheck();
  });
  await simOk('POST', '/sim/reset', { seed: 'flamingo' });
  assert.deepEqual(errors, []);
});

test('RESET to the Syncro seed: the header, billing cards and tickets page speak Syncro', { timeout: 120_000 }, async (t) => {
  const { page, errors } = b;
  const step = steps(t);
  await step('the header names Syncro and, on hover, the fields its setup asks for', async () => {
    await simOk('POST', '/sim/reset', { seed: 'syncro' });
    await simOk('POST', '/sim/scenarios/decimal-usage');
    await page.goto('about:blank');
    await gotoConsole(page, '#/billing');
    const psa = page.locator('#partner-psa');
    await eventually(async () => assert.equal(await text(psa), 'Syncro'));
    assert.equal(await psa.getAttribute('data-psa-kind'), 'syncro');
    assert.equal(await psa.getAttribute('title'), 'PSA connection: API Key, Domain Prefix');
  });
  await step('cards name the recurring invoice their line item is on', async () => {
    const gb = serviceCard(page, 'Harbor View Realty', 'BKP-GB');
    await gb.waitFor();
    assert.equal(await text(gb.getByTestId('card-contract-term')), 'Recurring Invoice:');
    assert.equal(await text(gb.getByTestId('card-contract')), 'Monthly Managed Services');
    const rule = page.getByTestId('billing-psa');
    assert.match(await text(rule), new RegExp(`Syncro: approvals take effect on ${firstOfNextMonth()}`));
    await shot(page, '64-syncro-billing');
  });
  await step('the tickets page says issue types, Syncro\'s word for boards', async () => {
    await gotoConsole(page, '#/tickets');
    await eventually(async () => assert.match(await text(page.getByTestId('tickets-subtitle')), /on the PSA issue type chosen .* on 3 issue types\./));
  });
  await simOk('POST', '/sim/reset', { seed: 'flamingo' });
  assert.deepEqual(errors, []);
});

test('CSV usage import: every bad row is listed, a good file puts usage on cards marked CSV', { timeout: 120_000 }, async (t) => {
  const { page, errors } = b;
  const step = steps(t);
  const file = (name, body) => ({ name, mimeType: 'text/csv', buffer: Buffer.from(body) });
  await step('a file with bad rows imports nothing and names each row', async () => {
    await simOk('POST', '/sim/reset', { seed: 'flamingo' });
    await page.goto('about:blank'); // the page may be on #/billing already: load it afresh
    await gotoConsole(page, '#/billing');
    assert.equal(await text(page.locator('#partner-psa')), 'ConnectWise PSA');
    await page.getByTestId('btn-csv-import').click();
    const dlg = page.getByTestId('csv-dialog');
    await dlg.waitFor();
    assert.equal(await text(dlg.getByTestId('csv-current')), 'No CSV usage imported yet.');
    await dlg.getByTestId('csv-file').setInputFiles(file('bad.csv', 'Account Name,SKU,Quantity\nAcme Corp,SEC-SAT,12\n\nNobody Inc,SEC-SAT,1\nAcme Corp,SEC-EDR,"1,5"\n'));
    await dlg.getByTestId('csv-import-confirm').click();
    await eventually(async () => assert.equal(await dlg.getByTestId('csv-error').count(), 3));
    assert.deepEqual(await dlg.getByTestId('csv-error').allTextContents(), [
      'row 3 is blank: the import fails on blank rows, delete it',
      'row 4: no PSA account named "Nobody Inc" (names match exactly)',
      'row 5: Quantity "1,5" is not a number: use a dot for decimals and no thousands separators',
    ]);
    assert.match(await text(dlg.getByTestId('modal-error')), /Nothing was imported: 3 problem/);
    await shot(page, '64-csv-import-errors');
    const current = await simOk('GET', '/sim/usage/csv');
    assert.deepEqual(current.usage, [], 'nothing stored');
  });

  await step('a good file: the dialog closes and the cards show the usage, tagged CSV', async () => {
    const dlg = page.getByTestId('csv-dialog');
    await dlg.getByTestId('csv-file').setInputFiles(file('march.csv', 'Account Name,SKU,Quantity\nAcme Corp,SEC-SAT,12\nHarbor View Realty,BKP-GB,262.75\n'));
    await dlg.getByTestId('csv-import-confirm').click();
    await dlg.waitFor({ state: 'detached' });
    const sat = serviceCard(page, 'Acme Corp', 'SEC-SAT');
    await sat.waitFor();
    assert.equal(await sat.getAttribute('data-type'), 'new_revenue');
    assert.equal(await text(sat.getByTestId('card-source-csv')), 'CSV');
    assert.match(await text(sat.getByTestId('card-vendors')), /CSV import \(march\.csv\)/);
    await shot(page, '65-billing-csv-usage');
    // The vendor filter offers CSV import as a source: only the CSV-fed cards remain.
    await page.getByTestId('billing-vendor-filter').selectOption('csv-import');
    await eventually(async () => assert.equal(await page.getByTestId('service-card').count(), 2));
    await page.getByTestId('billing-vendor-filter').selectOption('');
  });
  await simOk('POST', '/sim/reset');
  assert.deepEqual(errors, []);
});
