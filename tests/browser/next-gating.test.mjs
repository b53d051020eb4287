// NEXT stays dark until the vendor sets the status to pending (and the partner presses STATUS REFRESH);
// REGENERATE API TOKEN asks first, and the old key stops working.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  openBrowser, shot, gotoConsole, vendorClient, expectStatus, eventually, text, sim, simOk,
  card, confirmModal, SEEDED_VENDOR, steps,
} from './lib.mjs';

let b;
before(async () => { b = await openBrowser(); });
after(async () => { if (b) await b.close(); });

test('NEXT stays disabled until the integration status is pending', { timeout: 120_000 }, async (t) => {
  const { page, dialogs, errors } = b;
  const step = steps(t);
  let vendor;
  let integrationId;

  await step('start from a disconnected integration and CONNECT (Billing only)', async () => {
    await simOk('POST', '/sim/reset');
    const [c] = await simOk('GET', '/sim/integrations');
    integrationId = c.id;
    await simOk('POST', `/sim/integrations/${integrationId}/disconnect`);
    await gotoConsole(page, '#/integrations');
    await card(page, SEEDED_VENDOR).getByTestId('btn-connect').click();
    await page.getByTestId('module-chooser').waitFor();
    await page.getByTestId('module-option-billing').click();
    await page.getByTestId('module-continue').click();
    await page.getByTestId('connect-step').waitFor();
    const after = await simOk('GET', `/sim/integrations/${integrationId}`);
    assert.deepEqual(after.modules, ['billing'], 'the chosen module was sent with CONNECT');
  });

  await step('before a token: NEXT dark, with the hint', async () => {
    assert.ok(await page.getByTestId('btn-next').isDisabled());
    assert.match(await text(page.getByTestId('next-hint')), /Waiting for the vendor to set the integration status to pending/);
    assert.equal(await text(page.getByTestId('btn-generate-token')), 'GENERATE API TOKEN');
  });

  await step('after GENERATE API TOKEN: status inactive, NEXT still dark', async () => {
    await page.getByTestId('btn-generate-token').click();
    await page.getByTestId('key-panel').waitFor();
    vendor = vendorClient(await text(page.getByTestId('token-gradient')));
    await page.getByTestId('btn-status-refresh').click();
    await eventually(async () => assert.equal(await page.getByTestId('status-value').getAttribute('data-status'), 'inactive'));
    assert.ok(await page.getByTestId('btn-next').isDisabled());
    await page.getByTestId('next-hint').waitFor();
    // The server refuses the step too.
    const r = await sim('POST', `/sim/integrations/${integrationId}/step`, { step: 'account_mapping' });
    assert.equal(r.status, 409, `POST step before pending: ${JSON.stringify(r.body)}`);
  });

  await step('vendor sends accounts but no status: NEXT still dark after STATUS REFRESH', async () => {
    expectStatus(await vendor('POST', '/organization/accounts', [{ id: 'g-1', name: 'Acme Corp' }]), 201, 'POST accounts');
    await page.getByTestId('btn-status-refresh').click();
    await eventually(async () => assert.equal(await text(page.getByTestId('status-accounts')), '1'));
    assert.ok(await page.getByTestId('btn-next').isDisabled());
    await shot(page, '30-next-dark-inactive');
  });

  await step('vendor sets pending: no polling, so NEXT lights only after STATUS REFRESH', async () => {
    expectStatus(await vendor('PATCH', '/organization/status/pending'), 200, 'status pending');
    await page.waitForTimeout(500);
    assert.ok(await page.getByTestId('btn-next').isDisabled(), 'the console does not poll by default');
    await page.getByTestId('btn-status-refresh').click();
    await eventually(async () => assert.ok(await page.getByTestId('btn-next').isEnabled()));
    assert.equal(await page.getByTestId('next-hint').count(), 0);
    assert.equal(await page.getByTestId('status-value').getAttribute('data-status'), 'pending');
  });

  await step('vendor sets inactive again: NEXT goes dark again', async () => {
    expectStatus(await vendor('PATCH', '/organization/status/inactive'), 200, 'status inactive');
    await page.getByTestId('btn-status-refresh').click();
    await eventually(async () => assert.ok(await page.getByTestId('btn-next').isDisabled()));
    await page.getByTestId('next-hint').waitFor();
  });

  await step('the opt-in auto-refresh picks up pending by itself', async () => {
    await page.getByTestId('auto-refresh').check();
    expectStatus(await vendor('PATCH', '/organization/status/pending'), 200, 'status pending');
    await eventually(async () => assert.ok(await page.getByTestId('btn-next').isEnabled()), { timeout: 12_000, interval: 500 });
    await page.getByTestId('auto-refresh').uncheck();
  });

  await step('REGENERATE API TOKEN asks first; the old key stops working, the new one works', async () => {
    await page.getByTestId('btn-generate-token').click();
    const dlg = page.getByTestId('regenerate-dialog');
    await dlg.waitFor();
    assert.match(await text(dlg), /stops working/);
    await dlg.getByTestId('modal-cancel').click();
    await dlg.waitFor({ state: 'detached' });
    expectStatus(await vendor('GET', '/organization'), 200, 'the old key still works after CANCEL');
    const shownBefore = await text(page.getByTestId('token-gradient'));
    await page.getByTestId('btn-generate-token').click();
    await confirmModal(page, 'regenerate-dialog');
    // Wait for the new token itself: the old one stays on screen until the answer arrives.
    await eventually(async () => {
      const shown = await text(page.getByTestId('token-gradient'));
      assert.ok(shown !== '' && shown !== shownBefore, 'the regenerated token is shown');
    });
    const fresh = vendorClient(await text(page.getByTestId('token-gradient')));
    assert.equal((await vendor('GET', '/organization')).status, 401, 'the old key is refused at once');
    expectStatus(await fresh('GET', '/organization'), 200, 'the new key works');
    const accounts = expectStatus(await fresh('GET', '/organization/accounts'), 200, 'accounts kept');
    assert.equal(accounts.length, 1, 'vendor accounts survive a regenerate');
  });

  await step('FINISH with no service mapped: the server\'s 409 message is shown', async () => {
    await page.getByTestId('btn-next').click();
    await page.getByTestId('account-mapping-step').waitFor();
    await page.getByTestId('btn-next').click();
    await page.getByTestId('service-mapping-step').waitFor();
    await page.getByTestId('btn-next').click();
    await page.getByTestId('review-step').waitFor();
    await page.getByTestId('review-no-services').waitFor();
    await page.getByTestId('btn-finish').click();
    const err = page.getByTestId('finish-error');
    await err.waitFor();
    const msg = await text(err);
    assert.match(msg, /FINISH refused/);
    assert.ok(msg.length > 'FINISH refused: '.length + 5, `the server's reason is shown: ${msg}`);
    assert.equal(await page.getByTestId('finish-modal').count(), 0);
    const c = await simOk('GET', `/sim/integrations/${integrationId}`);
    assert.equal(c.state, 'setup', 'still in setup');
    await shot(page, '31-finish-refused');
  });

  await step('no dialog, no page error', async () => {
    assert.deepEqual(dialogs, []);
    assert.deepEqual(errors, []);
  });
});
