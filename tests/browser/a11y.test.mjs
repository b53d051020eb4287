// The console's own pages read for every user: axe-core (from npm) finds no serious or critical
// violation (contrast, names, roles) on each page, in the states a QA walk goes through, at the
// three widths. The API reference page (Redoc's) is not the console's own and is left out.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { openBrowser, gotoConsole, simOk, setUpUsage, BASE, steps, card, SEEDED_VENDOR } from './lib.mjs';

const require = createRequire(import.meta.url);
const AXE = require.resolve('axe-core/axe.min.js');
const WIDTHS = [1440, 1280, 1024];
let b;
before(async () => { b = await openBrowser(); });
after(async () => { if (b) await b.close(); });

/** The serious and critical violations on the page as it stands, one line each. */
async function violations(page) {
  if (!(await page.evaluate(() => Boolean(window.axe)))) await page.addScriptTag({ path: AXE });
  return page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .flatMap((v) => v.nodes.slice(0, 5).map((n) => `${v.id}: ${n.target.join(' ')}: ${(n.any[0] || n.all[0] || n.none[0] || {}).message || v.help}`));
  });
}

async function open(page, hash) {
  await page.goto('about:blank');
  if (hash.startsWith('#')) await gotoConsole(page, hash);
  else { await page.goto(`${BASE}/${hash}`); await page.waitForSelector('body[data-ready=true]'); }
}

test('no serious or critical accessibility violation on the console\'s pages', async (t) => {
  const step = steps(t);
  const { page } = b;
  let id;
  await step('set up: the seed, a mapped integration with usage, a rebuilt billing view', async () => {
    await simOk('POST', '/sim/reset', { seed: 'flamingo' });
    ({ id } = await setUpUsage());
    await simOk('POST', '/sim/billing/rebuild');
  });
  for (const width of WIDTHS) {
    await step(`every page at ${width} px`, async () => {
      await page.setViewportSize({ width, height: 900 });
      const found = [];
      for (const [name, hash] of [['integrations', '#/integrations'], ['setup', `#/setup/${id}`], ['billing', '#/billing'], ['tickets', '#/tickets'],
        ['qa', '#/qa'], ['journal', '#/journal'], ['demo vendor portal', 'demo-vendor/']]) {
        await open(page, hash);
        for (const v of await violations(page)) found.push(`${name}: ${v}`);
      }
      await open(page, '#/billing');
      await page.getByTestId('view-list').click();
      for (const v of await violations(page)) found.push(`billing list view: ${v}`);
      await page.getByTestId('view-card').click();
      await open(page, '#/integrations');
      await card(page, SEEDED_VENDOR).getByTestId('btn-disconnect').click();
      await page.getByTestId('disconnect-dialog').waitFor();
      // Read once the dialog's opening transitions have ended: mid-fade, axe sees blended colours.
      await page.evaluate(() => Promise.all(document.getAnimations().map((a) => a.finished.catch(() => {}))));
      for (const v of await violations(page)) found.push(`disconnect dialog: ${v}`);
      await page.keyboard.press('Escape');
      assert.deepEqual(found, []);
    });
  }
});
