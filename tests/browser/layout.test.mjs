// Layout at laptop widths: no page scrolls sideways at 1,280 or 1,024 px, the header keeps RESET
// in view, a toast covers no control, product names stay on one line, and each card shows one
// badge per meaning. Screenshots: target/screenshots/70-*.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  openBrowser, shot, gotoConsole, BASE, sim, simOk, vendorClient, expectStatus, eventually, setUpUsage, steps, serviceCard,
} from './lib.mjs';

const WIDTHS = [1280, 1024];

let b;
before(async () => { b = await openBrowser(); });
after(async () => { if (b) await b.close(); });

/** How far the page scrolls sideways (0 when it fits), and what sticks out. */
async function overflow(page) {
  return page.evaluate(() => {
    const vw = document.documentElement.clientWidth;
    const extra = document.documentElement.scrollWidth - vw;
    const culprits = extra > 0
      ? [...document.querySelectorAll('body *')].filter((el) => el.getBoundingClientRect().right > vw + 1)
        .slice(0, 5).map((el) => `${el.tagName.toLowerCase()}.${el.className && el.className.baseVal === undefined ? el.className : ''}[${el.dataset.testid || ''}]`)
      : [];
    return { extra, culprits };
  });
}

async function fits(page, what) {
  const o = await overflow(page);
  assert.equal(o.extra, 0, `${what} scrolls sideways by ${o.extra} px: ${o.culprits.join(', ')}`);
  const reset = await page.getByTestId('btn-reset').boundingBox();
  if (reset) {
    const vw = await page.evaluate(() => document.documentElement.clientWidth);
    assert.ok(reset.x >= 0 && reset.x + reset.width <= vw, `${what}: RESET is in view (${reset.x}+${reset.width} of ${vw})`);
  }
}

/** A fresh load of a console route (going to the same URL with the same hash would not reload). */
async function open(page, hash) {
  await page.goto('about:blank');
  await gotoConsole(page, hash);
}

/** A toast as long as an error's, shown by the console's own toast(). */
async function showToast(page) {
  await page.evaluate(async () => { const ui = await import('/ui.js'); ui.toast('A toast with a message long enough to take two lines on a laptop screen, as errors do'); });
  await page.getByTestId('toast').first().waitFor();
}

function overlaps(a, c) {
  return a && c && a.x < c.x + c.width && c.x < a.x + a.width && a.y < c.y + c.height && c.y < a.y + a.height;
}

/** The toast on screen covers none of the given controls. */
async function toastCoversNothing(page, locators, what) {
  const toast = await page.getByTestId('toast').first().boundingBox();
  assert.ok(toast, `${what}: a toast is shown`);
  for (const l of locators) {
    const n = await l.count();
    for (let i = 0; i < n; i++) {
      const box = await l.nth(i).boundingBox();
      assert.ok(!overlaps(toast, box), `${what}: the toast covers ${await l.nth(i).evaluate((e) => e.dataset.testid || e.textContent.trim().slice(0, 40))}`);
    }
  }
}

test('console pages fit 1,280 and 1,024 px wide', { timeout: 240_000 }, async (t) => {
  const { page, errors } = b;
  const step = steps(t);
  let id;

  await step('the wizard, mid-setup: connect, token, the vendor syncs, account and service mapping', async () => {
    await simOk('POST', '/sim/reset');
    const [integ] = await simOk('GET', '/sim/integrations');
    id = integ.id;
    await simOk('POST', `/sim/integrations/${id}/disconnect`);
    await simOk('POST', `/sim/integrations/${id}/connect`, { modules: ['billing', 'alerts'] });
    const keys = await simOk('POST', `/sim/integrations/${id}/token`);
    const vendor = vendorClient(keys.gradientToken);
    expectStatus(await vendor('POST', '/service', { name: 'Pelican Managed Endpoint Detection and Response Premium', description: 'EDR', category: 'security', subcategory: 'endpoint detection and response (EDR)' }), 201, 'service');
    expectStatus(await vendor('POST', '/organization/accounts', [
      { id: 'l-1', name: 'Acme Corp' }, { id: 'l-2', name: 'Cedar Ridge Law LLP' },
      { id: 'l-3', name: 'A vendor account with a long name that must wrap, not widen the page' }]), 201, 'accounts');
    for (const width of WIDTHS) {
      await page.setViewportSize({ width, height: 900 });
      await open(page, `#/setup/${id}`);
      await page.getByTestId('btn-status-refresh').click();
      await page.getByTestId('toast').first().waitFor().catch(() => {});
      await fits(page, `connect to vendor at ${width}`);
      await shot(page, `70-wizard-connect-${width}`, { fullPage: false });
    }
    expectStatus(await vendor('PATCH', '/organization/status/pending'), 200, 'pending');
    for (const [setupStep, name] of [['account_mapping', '71-account-mapping'], ['service_mapping', '72-service-mapping']]) {
      await simOk('POST', `/sim/integrations/${id}/step`, { step: setupStep });
      for (const width of WIDTHS) {
        await page.setViewportSize({ width, height: 900 });
        await open(page, `#/setup/${id}`);
        await page.getByTestId('vendor-item').first().waitFor();
        await fits(page, `${setupStep} at ${width}`);
        await shot(page, `${name}-${width}`);
      }
    }
  });

  await step('a toast covers neither STATUS REFRESH nor the mapping lists', async () => {
    await page.setViewportSize({ width: 1280, height: 800 });
    await open(page, `#/setup/${id}`);
    await page.getByTestId('vendor-item').first().waitFor();
    await showToast(page);
    await toastCoversNothing(page, [page.getByTestId('vendor-item'), page.getByTestId('psa-item'), page.getByTestId('btn-next')], 'service mapping');
    await simOk('POST', `/sim/integrations/${id}/step`, { step: 'connect_to_vendor' });
    await open(page, `#/setup/${id}`);
    await page.getByTestId('btn-status-refresh').click();
    await showToast(page);
    await toastCoversNothing(page, [page.getByTestId('btn-status-refresh'), page.getByTestId('btn-next')], 'connect to vendor');
  });

  await step('every other page, with usage, tickets and a journal', async () => {
    const { info } = await setUpUsage();
    const vendor = vendorClient(info.demoKeys.gradientToken);
    expectStatus(await vendor('POST', '/alerting/b-0', { title: 'EDR agent offline on ACME-WKS-0042 for more than 24 hours', description: 'The agent stopped reporting.', alertId: 'al-1', priority: 4, status: 1 }), 201, 'alert');
    await eventually(async () => {
      const t = await simOk('GET', '/sim/tickets');
      assert.ok(t.boards.some((bd) => bd.tickets.length), 'the alert became a ticket');
    });
    await simOk('POST', '/sim/billing/rebuild');
    const pages = [
      ['integrations', '#/integrations'], ['billing', '#/billing'], ['tickets', '#/tickets'],
      ['qa', '#/qa'], ['journal', '#/journal'], ['setup-connected', `#/setup/${id}`],
    ];
    for (const width of WIDTHS) {
      await page.setViewportSize({ width, height: 900 });
      for (const [name, hash] of pages) {
        await open(page, hash);
        if (name === 'journal') await page.getByTestId('journal-expand').first().click();
        await fits(page, `${name} at ${width}`);
        await shot(page, `73-${name}-${width}`, { fullPage: name !== 'billing' });
      }
      await open(page, '#/billing');
      await page.getByTestId('view-list').click();
      await page.getByTestId('billing-table').waitFor();
      await fits(page, `billing list view at ${width}`);
      await shot(page, `74-billing-list-${width}`, { fullPage: false });
      await page.getByTestId('view-card').click();
      await page.getByTestId('service-card').first().waitFor();
      for (const [name, path] of [['demo-vendor', '/demo-vendor/'], ['api-docs', '/api-docs']]) {
        await page.goto(`${BASE}${path}`);
        await page.waitForLoadState('load');
        await page.waitForTimeout(300);
        const o = await overflow(page);
        assert.equal(o.extra, 0, `${name} at ${width} scrolls sideways by ${o.extra} px: ${o.culprits.join(', ')}`);
      }
    }
  });

  await step('service cards: product names on one line, one badge per meaning, usage first', async () => {
    await page.setViewportSize({ width: 1024, height: 900 });
    await open(page, '#/billing');
    const acme = serviceCard(page, 'Acme Corp', 'SEC-EDR');
    await acme.waitFor();
    const name = acme.getByTestId('card-service-name');
    const lines = await name.evaluate((el) => Math.round(el.getBoundingClientRect().height / parseFloat(getComputedStyle(el).lineHeight)));
    assert.equal(lines, 1, 'the product name takes one line');
    // The first cards are the vendor's: every card before the first PSA-only one has usage.
    const types = await page.getByTestId('service-card').evaluateAll((els) => els.map((e) => e.dataset.type));
    const firstPsaOnly = types.indexOf('psa_only');
    assert.ok(firstPsaOnly >= 5, `cards with usage lead: ${types.slice(0, 8)}`);
    assert.ok(types.slice(firstPsaOnly).every((ty) => ty === 'psa_only'), 'no usage card after a PSA-only one');
    await open(page, '#/integrations');
    const sub = await page.getByTestId('integration-card').first().locator('.int-card-sub').innerText();
    const words = sub.replace(/●/g, ' ').split(/\s+/).filter(Boolean);
    assert.equal(new Set(words).size, words.length, `no badge repeats another: "${sub}"`);
    assert.deepEqual(errors, []);
  });
});
