// A step done in a way production would not accept is ticked with a warning, not plain green:
// OPEN VENDOR PORTAL pressed while the vendor has set no integrationPortalUrl.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openBrowser, shot, gotoConsole, BASE, simOk, vendorClient, expectStatus, eventually, text } from './lib.mjs';

let b;
before(async () => { b = await openBrowser(); });
after(async () => { if (b) await b.close(); });

test('QA checklist: a blank vendor portal is done with a warning that says what to change', async () => {
  const { page, errors } = b;
  await simOk('POST', '/sim/reset');
  const [integ] = await simOk('GET', '/sim/integrations');
  await simOk('POST', `/sim/integrations/${integ.id}/disconnect`);
  await simOk('POST', `/sim/integrations/${integ.id}/connect`);
  const keys = await simOk('POST', `/sim/integrations/${integ.id}/token`);
  const res = await fetch(`${BASE}/sim/integrations/${integ.id}/vendor-portal`, { redirect: 'manual' });
  assert.equal(res.status, 404, 'no portal URL is set');
  expectStatus(await vendorClient(keys.gradientToken)('GET', '/organization'), 200, 'authenticated');

  await gotoConsole(page, '#/qa');
  const portal = page.locator('[data-testid=qa-step][data-key="portal_opened"]');
  await eventually(async () => assert.equal(await portal.getAttribute('data-warning', { timeout: 1000 }), 'true'));
  assert.equal(await portal.getAttribute('data-done'), 'true', 'still done: the button was pressed');
  assert.match(await text(portal.getByTestId('qa-warning-text')), /integrationPortalUrl/);
  assert.equal(await portal.locator('.qa-tick-warn').count(), 1, 'marked !, not ticked green');
  const authenticated = page.locator('[data-testid=qa-step][data-key="authenticated"]');
  assert.equal(await authenticated.getAttribute('data-warning'), 'false');
  await shot(page, '53-qa-warning', { locator: portal });
  assert.deepEqual(errors, []);
});
