// Dialogs hold focus (Tab stays inside, the page behind is inert), open on the safe action,
// submit on Enter and cancel on Escape; each card says one status, in production's words.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  openBrowser, gotoConsole, simOk, sim, eventually, text, card, steps, shot, setUpUsage, vendorClient, expectStatus, SEEDED_VENDOR,
} from './lib.mjs';

const WIDTHS = [1440, 1280, 1024];
let b;
before(async () => { b = await openBrowser(); });
after(async () => { if (b) await b.close(); });

const focusedTestid = (page) => page.evaluate(() => document.activeElement && document.activeElement.dataset.testid);
const focusInside = (page, testid) => page.evaluate((t) => Boolean(document.activeElement && document.activeElement.closest(`[data-testid=${t}]`)), testid);

test('dialogs hold focus and open on the safe action', async (t) => {
  const step = steps(t);
  const { page } = b;

  await step('Disconnect opens on CANCEL; Tab stays in the dialog; the page behind is inert; Enter there cancels', async () => {
    await simOk('POST', '/sim/reset', { seed: 'flamingo' });
    for (const width of WIDTHS) {
      await page.setViewportSize({ width, height: 900 });
      await gotoConsole(page, '#/integrations');
      const dlg = page.getByTestId('disconnect-dialog');
      await card(page, SEEDED_VENDOR).getByTestId('btn-disconnect').click();
      await dlg.waitFor();
      assert.equal(await focusedTestid(page), 'modal-cancel', `the safe action has focus at ${width} px`);
      // A stray Enter cancels: it never disconnects.
      await page.keyboard.press('Enter');
      await dlg.waitFor({ state: 'detached' });
      assert.equal(await card(page, SEEDED_VENDOR).getAttribute('data-state'), 'setup', 'Enter did not disconnect');
      await card(page, SEEDED_VENDOR).getByTestId('btn-disconnect').click();
      await dlg.waitFor();
      for (let i = 0; i < 8; i += 1) {
        await page.keyboard.press(i % 3 === 2 ? 'Shift+Tab' : 'Tab');
        assert.ok(await focusInside(page, 'disconnect-dialog'), `Tab ${i + 1} stays in the dialog`);
      }
      assert.deepEqual(await page.evaluate(() => ['header', 'main', 'footer'].map((s) => document.querySelector(s).inert)), [true, true, true]);
      if (width === 1440) await shot(page, 'dialog-01-disconnect', { fullPage: false });
      await page.keyboard.press('Escape');
      await dlg.waitFor({ state: 'detached' });
      assert.deepEqual(await page.evaluate(() => ['header', 'main', 'footer'].map((s) => document.querySelector(s).inert)), [false, false, false]);
    }
    await page.setViewportSize({ width: 1440, height: 900 });
  });

  await step('RESET opens on CANCEL and Escape cancels', async () => {
    await page.getByTestId('btn-reset').click();
    await page.getByTestId('reset-dialog').waitFor();
    assert.equal(await focusedTestid(page), 'modal-cancel');
    await page.keyboard.press('Escape');
    await page.getByTestId('reset-dialog').waitFor({ state: 'detached' });
  });

  await step('the module chooser submits on Enter with the option chosen', async () => {
    await card(page, SEEDED_VENDOR).getByTestId('btn-disconnect').click();
    await page.getByTestId('modal-confirm').click();
    await eventually(async () => assert.equal(await card(page, SEEDED_VENDOR).getAttribute('data-state'), 'ready_to_connect'));
    await card(page, SEEDED_VENDOR).getByTestId('btn-connect').click();
    await page.getByTestId('module-chooser').waitFor();
    assert.equal(await page.evaluate(() => document.activeElement.type), 'radio', 'the form opens on its first field');
    await page.keyboard.press('ArrowDown'); // Alerts only
    await page.keyboard.press('Enter');
    await page.getByTestId('wizard').waitFor();
    const [integ] = await simOk('GET', '/sim/integrations');
    assert.deepEqual(integ.modules, ['alerts']);
  });

  await step('Adjust submits on Enter from its date field', async () => {
    await setUpUsage();
    await simOk('POST', '/sim/billing/rebuild');
    await gotoConsole(page, '#/billing');
    const cardEl = page.locator('[data-testid=service-card][data-type=reconcile]').first();
    const id = await cardEl.getAttribute('data-card-id');
    await cardEl.getByTestId('card-adjust').click();
    await page.getByTestId('adjust-dialog').waitFor();
    assert.equal(await focusedTestid(page), 'adjust-date');
    await page.keyboard.press('Enter');
    await page.getByTestId('adjust-dialog').waitFor({ state: 'detached' });
    await eventually(async () => assert.equal(await page.locator(`[data-testid=service-card][data-card-id="${id}"]`).count(), 0));
    const all = await simOk('GET', '/sim/billing?includeActioned=true');
    assert.equal(all.cards.find((c) => c.id === id).state, 'adjusted');
    assert.deepEqual(b.errors, []);
  });
});

test('one status per card, in production\'s words', async (t) => {
  const step = steps(t);
  const { page } = b;

  await step('an integration in error reads as an error, with what to do', async () => {
    // The vendor API takes only inactive, pending and active now; an older snapshot can still
    // hold error or disabled, so the card the server answers is dressed that way here.
    await simOk('POST', '/sim/reset', { seed: 'flamingo' });
    const asError = (c) => ({ ...c, status: 'error', stateLabel: 'Connection error', nextEnabled: false });
    await page.route(/\/sim\/integrations(\/[^/?]+)?$/, async (route) => {
      const res = await route.fetch();
      const body = await res.json();
      await route.fulfill({ response: res, json: Array.isArray(body) ? body.map(asError) : asError(body) });
    });
    try {
      for (const width of WIDTHS) {
        await page.setViewportSize({ width, height: 900 });
        await page.goto('about:blank');
        await gotoConsole(page, '#/integrations');
        const c = card(page, SEEDED_VENDOR);
        assert.equal(await text(c.getByTestId('integration-state')), 'Connection error');
        assert.match(await c.getByTestId('integration-state').getAttribute('class'), /state-error/);
        assert.equal(await c.getByTestId('integration-status').count(), 0, 'one status, not two');
        assert.match(await text(c.getByTestId('state-hint')), /set the status to error.*pending/);
        assert.doesNotMatch(await text(c), /Connected/);
        if (width === 1440) await shot(page, 'status-01-error', { fullPage: false });
      }
    } finally {
      await page.unroute(/\/sim\/integrations(\/[^/?]+)?$/);
    }
    await page.setViewportSize({ width: 1440, height: 900 });
  });

  await step('Pending connection once a generated key replaces the kickoff key and the vendor is back to pending; the round note says why nothing is open', async () => {
    const [integ] = await simOk('GET', '/sim/integrations');
    const keys = await simOk('POST', `/sim/integrations/${integ.id}/token`);
    expectStatus(await vendorClient(keys.gradientToken)('PATCH', '/organization/status/pending'), 200, 'pending');
    await page.goto('about:blank'); // the same URL again would not load the page again
    await gotoConsole(page, '#/integrations');
    assert.equal(await text(card(page, SEEDED_VENDOR).getByTestId('integration-state')), 'Pending connection');
    assert.equal(await card(page, SEEDED_VENDOR).getByTestId('state-hint').count(), 0);
    // Every usage card approved earlier this month: the page says why none is open.
    await setUpUsage();
    const usage = (await simOk('POST', '/sim/billing/rebuild')).cards.filter((c) => c.type !== 'psa_only');
    await simOk('POST', '/sim/billing/bulk', { action: 'approve', cardIds: usage.map((c) => c.id) });
    await gotoConsole(page, '#/billing');
    const note = page.getByTestId('billing-round-note');
    await note.waitFor();
    assert.match(await text(note), new RegExp(`${usage.length} cards were approved, adjusted or dismissed earlier this billing period`));
    assert.equal((await sim('GET', '/sim/billing')).body.actionedCount, usage.length);
  });
});
