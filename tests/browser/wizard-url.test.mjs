// The wizard's step is in the URL: a reload keeps it, Back and Forward move between steps, and
// a step the server refuses (NEXT not lit) falls back to the card's own step.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openBrowser, gotoConsole, simOk, vendorClient, expectStatus, steps, eventually } from './lib.mjs';

let b;
before(async () => { b = await openBrowser(); });
after(async () => { if (b) await b.close(); });

const wizardStep = (page) => page.getByTestId('wizard').getAttribute('data-step');

test('the wizard step lives in the URL', async (t) => {
  const step = steps(t);
  const { page } = b;
  let id;
  let vendor;

  await step('a step NEXT cannot reach yet falls back to Connect to Vendor', async () => {
    await simOk('POST', '/sim/reset', { seed: 'flamingo' });
    [{ id }] = await simOk('GET', '/sim/integrations');
    await simOk('POST', `/sim/integrations/${id}/disconnect`);
    await simOk('POST', `/sim/integrations/${id}/connect`, { modules: ['billing'] });
    vendor = vendorClient((await simOk('POST', `/sim/integrations/${id}/token`)).gradientToken);
    await gotoConsole(page, `#/setup/${id}/account_mapping`);
    await page.getByTestId('wizard').waitFor();
    assert.equal(await wizardStep(page), 'connect_to_vendor');
    assert.ok(page.url().endsWith(`#/setup/${id}/connect_to_vendor`), page.url());
    await page.getByTestId('toast').filter({ hasText: 'not open yet' }).first().waitFor();
  });

  await step('NEXT puts the step in the URL; reload keeps it; Back and Forward move between steps', async () => {
    expectStatus(await vendor('POST', '/organization/accounts', [{ id: 'a-1', name: 'Acme Corp' }]), 201, 'accounts');
    expectStatus(await vendor('PATCH', '/organization/status/pending'), 200, 'pending');
    for (const width of [1440, 1280, 1024]) {
      await page.setViewportSize({ width, height: 900 });
      await page.goto('about:blank');
      await gotoConsole(page, `#/setup/${id}`);
      await page.getByTestId('btn-status-refresh').click();
      await page.getByTestId('btn-next').and(page.locator(':not([disabled])')).click();
      await page.getByTestId('account-mapping-step').waitFor();
      assert.ok(page.url().endsWith(`#/setup/${id}/account_mapping`), page.url());
      await page.reload();
      await page.getByTestId('account-mapping-step').waitFor();
      assert.equal(await wizardStep(page), 'account_mapping');
      await page.goBack();
      await eventually(async () => assert.equal(await wizardStep(page), 'connect_to_vendor'));
      assert.equal((await simOk('GET', `/sim/integrations/${id}`)).step, 'connect_to_vendor', 'Back moved the wizard, not only the page');
      await page.goForward();
      await eventually(async () => assert.equal(await wizardStep(page), 'account_mapping'));
      await simOk('POST', `/sim/integrations/${id}/step`, { step: 'connect_to_vendor' });
    }
    await page.setViewportSize({ width: 1440, height: 900 });
    assert.deepEqual(b.errors, []);
  });
});
