// The billing page over time: the last sync's strip (each number a filter of the cards), the mark
// on cards the last run changed, and each card's history chart with its numbers on hover and in a
// table for screen readers. axe finds nothing serious in the filtered states.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { openBrowser, shot, gotoConsole, vendorClient, expectStatus, eventually, text, simOk, serviceCard, steps, setUpUsage } from './lib.mjs';

const require = createRequire(import.meta.url);
const AXE = require.resolve('axe-core/axe.min.js');
let b;
before(async () => { b = await openBrowser(); });
after(async () => { if (b) await b.close(); });

async function seriousViolations(page) {
  if (!(await page.evaluate(() => Boolean(window.axe)))) await page.addScriptTag({ path: AXE });
  return page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  });
}

const shownIds = (page) => page.locator('[data-testid=service-card]').evaluateAll((els) => els.map((e) => e.dataset.cardId).sort());

test('Billing page: the last sync strip filters the cards, and each card charts its history', { timeout: 120_000 }, async (t) => {
  const { page, errors } = b;
  const step = steps(t);
  let run;
  let detail;

  await step('two syncs: the second changes Acme, stops Granite and sends a count for an unmapped account', async () => {
    const { id, info } = await setUpUsage();
    await eventually(async () => {
      const r = await simOk('GET', '/sim/runs');
      assert.equal(r.runs[0] && r.runs[0].rebuilt, true, 'the first sync is rebuilt');
    }, { timeout: 15_000 });
    const vendor = vendorClient(info.demoKeys.gradientToken);
    const { skus } = (await vendor('GET', '')).body.data;
    const sku = skus.find((s) => s.name === 'Pelican EDR').id;
    // Granite Peak Credit Union (b-2) is unmapped: its card's vendor number turns to "-".
    await simOk('DELETE', `/sim/integrations/${id}/mappings/accounts/b-2`);
    expectStatus(await vendor('POST', '/organization/accounts', [{ id: 'ghost-1', name: 'Ghost Holdings' }]), 201, 'account');
    expectStatus(await vendor('POST', `/service/${sku}/count?no_build=true`, { accountId: 'b-0', unitCount: 50 }), 201, 'Acme');
    expectStatus(await vendor('POST', `/service/${sku}/count?no_build=true`, { accountId: 'b-1', unitCount: 20 }), 201, 'Bluebird');
    expectStatus(await vendor('POST', `/service/${sku}/count?no_build=true`, { accountId: 'ghost-1', unitCount: 9 }), 404, 'unmapped');
    await simOk('POST', '/sim/billing/rebuild');
    run = (await simOk('GET', '/sim/runs?limit=1')).runs[0];
    assert.equal(run.rebuilt, true);
    assert.deepEqual([run.counts, run.notMapped, run.stoppedReporting], [2, 1, 1]);
    detail = await simOk('GET', `/sim/runs/${run.id}`);
  });

  await step('the strip says what the last sync did', async () => {
    await gotoConsole(page, '#/billing');
    const strip = page.getByTestId('sync-strip');
    await strip.getByTestId('sync-counts').waitFor();
    const line = await text(strip.locator('.sync-line'));
    const hhmm = new Date(run.endedAt).toISOString().slice(11, 16);
    assert.equal(line, `Last sync ${hhmm} UTC: ${run.counts} counts, ${run.changed} changed, ${run.notMapped} not mapped, ${run.stoppedReporting} stopped reporting`);
    await shot(page, '45-billing-sync-strip', { fullPage: false });
  });

  await step('each number filters the cards; pressed again, every card is back', async () => {
    const all = await shownIds(page);
    await page.getByTestId('sync-changed').click();
    assert.equal(await page.getByTestId('sync-changed').getAttribute('aria-pressed'), 'true');
    await eventually(async () => assert.deepEqual(await shownIds(page), [...detail.cardIds.changed].sort()));
    for (const id of detail.cardIds.changed) {
      assert.equal(await page.locator(`[data-card-id="${id}"] [data-testid=card-sync-mark]`).getAttribute('data-change'), 'changed');
    }
    await page.getByTestId('sync-stopped').click();
    await eventually(async () => assert.deepEqual(await shownIds(page), [...detail.cardIds.stoppedReporting].sort()));
    const granite = page.locator('[data-testid=service-card][data-account-name="Granite Peak Credit Union"]').first();
    assert.equal(await granite.getByTestId('card-sync-mark').getAttribute('data-change'), 'stopped');
    await page.getByTestId('sync-counts').click();
    await eventually(async () => assert.deepEqual(await shownIds(page), [...detail.cardIds.counted].sort()));
    await page.getByTestId('sync-not-mapped').click();
    const rows = page.getByTestId('sync-refused-row');
    await rows.first().waitFor();
    assert.equal(await rows.count(), 1);
    const cells = await rows.first().locator('td').allTextContents();
    assert.deepEqual([cells[0], cells[2], cells[3]], ['ghost-1', '1', '9']);
    assert.equal(await page.getByTestId('service-card').count(), 0, 'refused counts have no card: the pairs show instead');
    assert.deepEqual(await seriousViolations(page), [], 'axe: the not-mapped view');
    await page.getByTestId('sync-not-mapped').click();
    await eventually(async () => assert.deepEqual(await shownIds(page), all));
  });

  await step('each card charts PSA and vendor over the last syncs, numbers on hover and in a table', async () => {
    const acme = serviceCard(page, 'Acme Corp', 'SEC-EDR');
    const chart = acme.getByTestId('card-history');
    await chart.locator('svg.history-chart').waitFor();
    assert.equal(await chart.locator('path.h-vendor').count(), 1);
    assert.equal(await chart.locator('path.h-psa').count(), 1);
    // One point per sync (a loaded machine may split the first sync's burst in two).
    const titles = (await chart.locator('circle title').allTextContents()).slice(-2);
    assert.match(titles[0], /PSA 45, vendor 48$/);
    assert.match(titles[1], /PSA 45, vendor 50$/);
    assert.match(await text(chart.getByTestId('card-history-summary')), /^last \d+ syncs: vendor (48|-) → 50$/);
    const cells = await chart.getByTestId('card-history-table').locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    assert.deepEqual(cells.slice(-2), [['45', '48'], ['45', '50']]);
    const granite = page.locator('[data-testid=service-card][data-account-name="Granite Peak Credit Union"]').first();
    const gcells = await granite.getByTestId('card-history-table').locator('tbody tr td:nth-child(3)').allTextContents();
    assert.deepEqual(gcells.slice(-2), ['60', '-'], 'the vendor number turned to "-"');
    await shot(page, '46-billing-card-history', { locator: acme });
    assert.deepEqual(await seriousViolations(page), [], 'axe: cards with their charts');
    assert.deepEqual(errors, []);
  });

  await step('no_build counts that no rebuild followed: the strip flags them', async () => {
    const info = await simOk('GET', '/sim/info');
    const vendor = vendorClient(info.demoKeys.gradientToken);
    const { skus } = (await vendor('GET', '')).body.data;
    const sku = skus.find((s) => s.name === 'Pelican EDR').id;
    expectStatus(await vendor('POST', `/service/${sku}/count?no_build=true`, { accountId: 'b-0', unitCount: 51 }), 201, 'Acme');
    await page.getByTestId('btn-billing-reload').click();
    await page.getByTestId('sync-flag').waitFor();
    assert.match(await text(page.getByTestId('sync-when')), /^Sync in progress since \d\d:\d\d UTC:$/);
    assert.match(await text(page.getByTestId('sync-flag')), /no_build=true/);
  });
});
