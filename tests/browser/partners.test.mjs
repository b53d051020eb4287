// The partner switcher: with only the seed's partner the header shows no switcher; once a test
// creates another partner (POST /sim/partners) the header offers both, and the console then
// shows the chosen partner's name, PSA and integration. A reset removes the created partner.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openBrowser, shot, gotoConsole, vendorClient, expectStatus, eventually, text, simOk, steps } from './lib.mjs';

let b;
before(async () => { b = await openBrowser(); });
after(async () => {
  await simOk('POST', '/sim/reset', {}); // leave the seed's partner alone for the other tests
  if (b) await b.close();
});

test('the header switches between partners made by POST /sim/partners', { timeout: 120_000 }, async (t) => {
  const { page, errors } = b;
  const step = steps(t);
  const switcher = page.locator('[data-testid=partner-switcher]');

  await step('one partner: no switcher', async () => {
    await simOk('POST', '/sim/reset', {});
    await gotoConsole(page);
    assert.equal(await text(page.locator('[data-testid=partner-name]')), 'Flamingo Demo MSP');
    assert.equal(await switcher.count(), 0);
  });

  let made;
  await step('a second partner appears in the header', async () => {
    made = await simOk('POST', '/sim/partners', { name: 'Second MSP', psa: 'autotask' });
    const vendor = vendorClient(made.gradientToken);
    expectStatus(await vendor('POST', '/organization/accounts', [{ id: 'b-1', name: 'Only at Second', description: '' }]), 201, 'accounts');
    await page.reload();
    await page.waitForSelector('body[data-ready=true]');
    await eventually(async () => assert.equal(await switcher.locator('option').count(), 2));
    assert.equal(await text(page.locator('[data-testid=partner-name]')), 'Flamingo Demo MSP');
    await shot(page, 'partners-switcher', { fullPage: false });
  });

  await step('choosing it shows its name, PSA and integration', async () => {
    await switcher.selectOption(made.partnerId);
    await eventually(async () => assert.equal(await text(page.locator('[data-testid=partner-name]')), 'Second MSP'));
    assert.equal(await text(page.locator('[data-testid=partner-psa]')), 'Datto Autotask PSA');
    const cards = page.locator('[data-testid=integration-card]');
    await eventually(async () => assert.equal(await cards.first().getAttribute('data-integration-id'), made.integrationId));
    assert.equal(await cards.count(), 1);
    await page.reload();
    await page.waitForSelector('body[data-ready=true]');
    assert.equal(await text(page.locator('[data-testid=partner-name]')), 'Second MSP', 'the choice survives a reload');
  });

  await step('back to the seed\'s partner, then a reset removes the other', async () => {
    await gotoConsole(page);
    const seeded = (await simOk('GET', '/sim/partners')).partners.find((p) => p.isDefault);
    await switcher.selectOption(seeded.id);
    await eventually(async () => assert.equal(await text(page.locator('[data-testid=partner-name]')), 'Flamingo Demo MSP'));
    await simOk('POST', '/sim/reset', {});
    await page.reload();
    await page.waitForSelector('body[data-ready=true]');
    await eventually(async () => assert.equal(await switcher.count(), 0));
  });

  assert.deepEqual(errors, []);
});
