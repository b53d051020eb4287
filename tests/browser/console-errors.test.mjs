// A normal walk through the console, the demo vendor portal, the API references and the printable
// QA report leaves nothing in the browser's console: no error logged, no request that failed or was
// answered 4xx/5xx (a missing favicon, a 404 a page expected, a remote logo the CSP blocks).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openBrowser, gotoConsole, simOk, setUpUsage, BASE, steps, card, SEEDED_VENDOR } from './lib.mjs';

let b;
before(async () => { b = await openBrowser(); });
after(async () => { if (b) await b.close(); });

/** Everything the browser would show in red: console errors, failed and refused requests. */
function watchProblems(context) {
  const problems = [];
  const watch = (p) => {
    p.on('console', (m) => { if (m.type() === 'error') problems.push(`console error on ${p.url()}: ${m.text()}`); });
    p.on('pageerror', (e) => problems.push(`page error on ${p.url()}: ${e.message}`));
    p.on('requestfailed', (r) => {
      // A navigation the test itself cut short (the next goto) is not the page's failure.
      if ((r.failure() || {}).errorText === 'net::ERR_ABORTED' && r.resourceType() === 'document') return;
      problems.push(`request failed: ${r.method()} ${r.url()} (${(r.failure() || {}).errorText})`);
    });
    p.on('response', (r) => { if (r.status() >= 400) problems.push(`${r.status()} for ${r.request().method()} ${r.url()}`); });
  };
  context.pages().forEach(watch);
  context.on('page', watch);
  return problems;
}

/** Let late requests (fonts, images, polls) land before the page is judged. */
async function settle(page) {
  await page.waitForLoadState('networkidle', { timeout: 10_000 }).catch(() => {});
}

test('a normal walk logs no console error and no failed request', { timeout: 180_000 }, async (t) => {
  const step = steps(t);
  const { page, context } = b;
  const problems = watchProblems(context);
  const clean = (where) => {
    const found = problems.splice(0);
    assert.deepEqual(found, [], `${where}: ${found.join('\n')}`);
  };
  let id;

  await step('set up: a fresh seed', async () => {
    await simOk('POST', '/sim/reset', { seed: 'flamingo' });
    [{ id }] = await simOk('GET', '/sim/integrations');
  });

  await step('integrations, DISCONNECT, CONNECT', async () => {
    await gotoConsole(page, '#/integrations');
    await settle(page);
    clean('integrations page');
    await card(page, SEEDED_VENDOR).getByTestId('btn-disconnect').click();
    await page.getByTestId('disconnect-dialog').getByTestId('modal-confirm').click();
    await page.getByTestId('disconnect-dialog').waitFor({ state: 'detached' });
    await simOk('POST', `/sim/integrations/${id}/connect`);
    clean('disconnect');
  });

  await step('the Connect step: OPEN VENDOR PORTAL with no URL set says so without a 404 in red', async () => {
    await gotoConsole(page, `#/setup/${id}`);
    await page.getByTestId('btn-open-portal').click();
    await page.getByTestId('portal-missing').waitFor();
    await settle(page);
    clean('connect step');
  });

  await step('the demo vendor portal', async () => {
    await page.goto(`${BASE}/demo-vendor/?integration=${encodeURIComponent(id)}`);
    await page.waitForSelector('body[data-ready=true]');
    await settle(page);
    clean('demo vendor portal');
  });

  await step('setup, integrations, billing, tickets, QA, journal with usage', async () => {
    ({ id } = await setUpUsage());
    await simOk('POST', '/sim/billing/rebuild');
    for (const hash of [`#/setup/${id}`, '#/integrations', '#/billing', '#/tickets', '#/qa', '#/journal']) {
      await gotoConsole(page, hash);
      await settle(page);
      clean(hash);
    }
  });

  await step('the API references (vendor and /sim)', async () => {
    for (const path of ['/api-docs', '/sim/openapi.json']) {
      await page.goto(`${BASE}${path}`, { waitUntil: 'load' });
      await page.waitForSelector('[data-testid=reference] h1, [data-testid=reference] h2', { timeout: 30_000 });
      await settle(page);
      clean(path);
    }
  });

  await step('the printable QA report', async () => {
    await page.goto(`${BASE}/sim/qa/report?format=html&integrationId=${encodeURIComponent(id)}`);
    await page.getByTestId('report-print').waitFor();
    await settle(page);
    clean('printable report');
    // It says whose integration it judged, and its Print button is not printed.
    assert.equal(await page.getByTestId('report-partner').textContent(), 'Flamingo Demo MSP');
    assert.equal(await page.getByTestId('report-psa').textContent(), 'ConnectWise PSA');
    assert.equal(await page.getByTestId('report-seed').textContent(), 'flamingo');
    await page.emulateMedia({ media: 'print' });
    assert.equal(await page.getByTestId('report-print').isVisible(), false, 'Print is hidden on paper');
    await page.emulateMedia({ media: 'screen' });
    assert.equal(await page.getByTestId('report-print').isVisible(), true);
  });
});
