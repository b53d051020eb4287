// Toasts never cover the header's bar, the page's title and actions, the wizard's stepper or a dialog,
// at 1,440, 1,280 and 1,024 px: they are a strip at the foot of the sticky header (the page moves
// down) and inside the dialog while one is open (on top of its backdrop, over none of its parts).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openBrowser, gotoConsole, simOk, vendorClient, steps, card, SEEDED_VENDOR } from './lib.mjs';

const WIDTHS = [1440, 1280, 1024];
const LONG = 'A toast with a message long enough to take two lines on a laptop screen, as errors do';

let b;
before(async () => { b = await openBrowser(); });
after(async () => { if (b) await b.close(); });

function overlaps(a, c) {
  return a && c && a.x < c.x + c.width && c.x < a.x + a.width && a.y < c.y + c.height && c.y < a.y + a.height;
}

/** Three toasts at once (the most the console keeps), of an error's length, by the console's own toast(). */
async function showToasts(page) {
  await page.evaluate(async (msg) => {
    const ui = await import('/ui.js');
    ui.toast(msg, 'info');
    ui.toast(msg, 'error');
    ui.toast(msg);
  }, LONG);
  await page.getByTestId('toast').nth(2).waitFor();
}

async function clearToasts(page) {
  await page.evaluate(() => document.querySelectorAll('[data-testid=toast]').forEach((t) => t.remove()));
}

/** No toast on screen overlaps any element the locators find. */
async function coverNothing(page, locators, what) {
  const toasts = page.getByTestId('toast');
  const n = await toasts.count();
  assert.ok(n > 0, `${what}: toasts are shown`);
  for (let t = 0; t < n; t++) {
    const box = await toasts.nth(t).boundingBox();
    for (const [name, l] of Object.entries(locators)) {
      const count = await l.count();
      assert.ok(count > 0, `${what}: ${name} is on the page`);
      for (let i = 0; i < count; i++) {
        assert.ok(!overlaps(box, await l.nth(i).boundingBox()), `${what}: toast ${t + 1} covers ${name}`);
      }
    }
  }
}

test('toasts cover neither the title, the stepper, the page\'s actions nor a dialog', { timeout: 120_000 }, async (t) => {
  const step = steps(t);
  const { page } = b;
  let id;

  await step('set up: the Connect step with a token and a synced vendor', async () => {
    await simOk('POST', '/sim/reset', { seed: 'flamingo' });
    [{ id }] = await simOk('GET', '/sim/integrations');
    await simOk('POST', `/sim/integrations/${id}/disconnect`);
    await simOk('POST', `/sim/integrations/${id}/connect`, { modules: ['billing'] });
    const keys = await simOk('POST', `/sim/integrations/${id}/token`);
    const vendor = vendorClient(keys.gradientToken);
    await vendor('POST', '/organization/accounts', [{ id: 't-1', name: 'Acme Corp' }]);
  });

  for (const width of WIDTHS) {
    await step(`the pages at ${width} px`, async () => {
      await page.setViewportSize({ width, height: 800 });
      const head = {
        'header bar': page.locator('.topbar-inner'),
        title: page.locator('.page-head h1'),
      };
      await gotoConsole(page, `#/setup/${id}`);
      await showToasts(page);
      await coverNothing(page, {
        ...head,
        stepper: page.getByTestId('stepper'),
        'DISCONNECT': page.locator('.page-head button'),
        'STATUS REFRESH': page.getByTestId('btn-status-refresh'),
        NEXT: page.getByTestId('btn-next'),
      }, `setup at ${width}`);
      await clearToasts(page);
      for (const hash of ['#/integrations', '#/billing', '#/qa', '#/journal']) {
        await gotoConsole(page, hash);
        await showToasts(page);
        await coverNothing(page, { ...head, 'page actions': page.locator('.page-head .btn') }, `${hash} at ${width}`);
        await clearToasts(page);
      }
    });

    await step(`a dialog at ${width} px: the toasts move inside it, on top of its backdrop, over none of its parts`, async () => {
      await gotoConsole(page, '#/integrations');
      await page.evaluate(async (msg) => { (await import('/ui.js')).toast(msg); }, LONG);
      await card(page, SEEDED_VENDOR).getByTestId('btn-disconnect').click();
      const dialog = page.getByTestId('disconnect-dialog');
      await dialog.waitFor();
      await page.evaluate(async (msg) => { (await import('/ui.js')).toast(msg, 'error'); }, LONG);
      const inside = dialog.getByTestId('toast');
      assert.equal(await inside.count(), 2, 'the toast shown before and the one shown after are in the dialog');
      assert.equal(await page.locator('#toast-root [data-testid=toast]').count(), 0, 'none left in the corner');
      await coverNothing(page, {
        'dialog title': dialog.locator('.modal-head'),
        'dialog text': dialog.locator('.modal-body'),
        'dialog buttons': dialog.locator('.modal-actions'),
      }, `dialog at ${width}`);
      const dbox = await dialog.boundingBox();
      for (let i = 0; i < 2; i++) {
        const box = await inside.nth(i).boundingBox();
        assert.ok(box.y >= dbox.y && box.y + box.height <= dbox.y + dbox.height + 1, `toast ${i + 1} is within the dialog`);
        const onTop = await page.evaluate(([x, y]) => Boolean(document.elementFromPoint(x, y)?.closest('[data-testid=toast]')), [box.x + 20, box.y + box.height / 2]);
        assert.ok(onTop, `toast ${i + 1} is seen, not under the backdrop`);
      }
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'detached' });
    });
  }
});
