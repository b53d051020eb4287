// The QA checklist page (#/qa) follows the partner and the vendor through both QA rounds without a
// reload (it polls /sim/qa while shown), then offers the report; the Journal page (#/journal) shows
// the vendor's calls with their status, lint and redacted token. The test plays both sides over
// HTTP (the partner through /sim, the vendor through /api/vendor-api), as a vendor's code would.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  BASE, openBrowser, shot, gotoConsole, vendorClient, expectStatus, eventually, text, sim, simOk, steps, q,
} from './lib.mjs';

let b;
before(async () => { b = await openBrowser(); });
after(async () => { if (b) await b.close(); });

const LIVE = { timeout: 12_000, interval: 250 }; // a poll every 2 s, and a debounced rebuild

test('QA checklist page updates itself through two rounds and offers the report; Journal shows the calls', { timeout: 240_000 }, async (t) => {
  const { page, context, dialogs, errors } = b;
  const step = steps(t);
  const qaPolls = [];
  page.on('request', (r) => { if (new URL(r.url()).pathname === '/sim/qa') qaPolls.push(Date.now()); });

  let id;
  let partnerKey;
  let vendor;
  let serviceId;
  const qaStep = (key) => page.locator(`[data-testid=qa-step][data-key=${q(key)}]`);
  const current = () => page.locator('[data-testid=qa-step][data-current=true]');
  const expectDone = (...keys) => eventually(async () => {
    for (const key of keys) assert.equal(await qaStep(key).getAttribute('data-done', { timeout: 1000 }), 'true', `${key} is ticked on the page`);
  }, LIVE);
  const expectCurrent = (key) => eventually(async () => assert.equal(await current().getAttribute('data-key', { timeout: 1000 }), key), LIVE);

  // --- the partner's side (what the console's buttons call) ---------------------------------
  const partner = {
    disconnect: () => simOk('POST', `/sim/integrations/${id}/disconnect`),
    connect: () => simOk('POST', `/sim/integrations/${id}/connect`),
    token: async () => {
      const keys = await simOk('POST', `/sim/integrations/${id}/token`);
      partnerKey = keys.partnerApiKey;
      vendor = vendorClient(keys.gradientToken);
      return keys.gradientToken;
    },
    openPortal: async () => {
      const res = await fetch(`${BASE}/sim/integrations/${id}/vendor-portal`, { redirect: 'manual' });
      assert.equal(res.status, 302, 'OPEN VENDOR PORTAL redirects to the vendor\'s page');
    },
    step: (s) => simOk('POST', `/sim/integrations/${id}/step`, { step: s }),
    mapService: async (serviceIdToMap, productCode) => {
      const m = await simOk('GET', `/sim/integrations/${id}/mappings`);
      const product = m.psaProducts.find((p) => p.productCode === productCode);
      assert.ok(product, `PSA product ${productCode}`);
      await simOk('PUT', `/sim/integrations/${id}/mappings/services/${encodeURIComponent(serviceIdToMap)}`, { psaProductIds: [product.id] });
    },
    finish: () => simOk('POST', `/sim/integrations/${id}/finish`),
    waitForRebuild: () => eventually(async () => {
      const billing = await simOk('GET', '/sim/billing');
      assert.equal(billing.pendingRebuild, false, 'the debounced rebuild ran');
    }, { timeout: 10_000, interval: 100 }),
  };
  // --- the vendor's side, after the partner entered the key in its portal --------------------
  const vendorSync = async ({ createService }) => {
    if (createService) {
      const s = expectStatus(await vendor('POST', '/service', {
        name: 'Pelican EDR Agent', description: 'Endpoint detection and response, per protected endpoint',
        category: 'security', subcategory: 'endpoint detection and response (EDR)',
      }), 201, 'POST /service');
      serviceId = (s.skus || []).find((x) => x.name === 'Pelican EDR Agent')?.id;
      assert.ok(serviceId, 'the new service is in the answer');
    }
    expectStatus(await vendor('POST', '/organization/accounts', [{ id: 'pel-1001', name: 'Acme Corp', description: 'Acme tenant' }]), 201, 'POST /organization/accounts');
  };
  const mapAndFinish = async () => {
    await partner.step('account_mapping'); // auto-maps "Acme Corp" onto the PSA's "Acme Corp"
    await partner.step('service_mapping');
    await partner.mapService(serviceId, 'SEC-EDR');
    await partner.step('review');
    await partner.finish();
  };
  const sync = async () => {
    expectStatus(await vendor('POST', `/service/${serviceId}/count`, { accountId: 'pel-1001', unitCount: 48 }), 201, 'count');
    await partner.waitForRebuild();
  };

  await step('after a RESET, #/qa opens on "disconnect it" with the support hint', async () => {
    await simOk('POST', '/sim/reset');
    const info = await simOk('GET', '/sim/info');
    id = info.demoKeys.integrationId;
    await gotoConsole(page, '#/qa');
    const panel = page.locator(`[data-testid=qa-integration][data-integration-id=${q(id)}]`);
    await panel.waitFor();
    assert.equal(await panel.getAttribute('data-passed'), 'false');
    assert.equal(await text(panel.getByTestId('qa-passed')), 'In progress');
    assert.equal(await page.getByTestId('qa-step').count(), 26);
    assert.equal(await page.getByTestId('qa-round').count(), 2, 'the two rounds are two sections');
    assert.equal(await page.locator('[data-testid=qa-round][data-round="1"] [data-testid=qa-step]').count(), 14);
    assert.equal(await page.locator('[data-testid=qa-round][data-round="2"] [data-testid=qa-step]').count(), 12);
    assert.equal(await current().count(), 1, 'one step is highlighted');
    assert.equal(await current().getAttribute('data-key'), 'disconnected_at_start');
    assert.equal(await text(current().getByTestId('qa-step-title')), 'If the integration is connected, disconnect it');
    assert.match(await text(current().getByTestId('qa-hint')), /^What support would tell you/);
    assert.match(await text(current().getByTestId('qa-hint-text')), /Press DISCONNECT on the integration/);
    assert.equal(await page.getByTestId('qa-hint').count(), 1, 'only the current step carries a hint');
    assert.equal(await text(page.getByTestId('qa-count')), '0 of 26 steps done');
    // The report's place shows before QA passes, disabled, saying why; one numbering (rounds).
    assert.equal(await page.getByTestId('qa-report-json').isDisabled(), true);
    assert.equal(await page.getByTestId('qa-report-html').isDisabled(), true);
    assert.equal(await text(page.getByTestId('qa-report-why')), 'The report is ready to keep once QA passes: 26 steps left.');
    assert.equal(await text(page.getByTestId('qa-current-round')), '· round 1');
    assert.doesNotMatch(await text(page.getByTestId('qa-integration')), /cycle/);
    assert.equal(await page.getByTestId('qa-passed-banner').count(), 0);
    assert.match(await text(page.getByTestId('qa-live')), /Live/);
    // Proof that nothing below reloads the page: this marker would be gone.
    await page.evaluate(() => { window.__qaPageMarker = 'no reload'; });
  });

  await step('round 1: the page ticks each step as the partner and the vendor work', async () => {
    await partner.disconnect();
    await expectDone('disconnected_at_start');
    await expectCurrent('connect');
    assert.match(await text(current().getByTestId('qa-hint-text')), /CONNECT/);

    await partner.connect();
    await partner.token();
    await expectDone('connect', 'token_generated');
    assert.match(await text(qaStep('token_generated').getByTestId('qa-step-evidence')), /partner API key …\w{4} generated/);
    assert.ok((await text(qaStep('token_generated').getByTestId('qa-step-at'))).length > 0, 'the time is shown');

    expectStatus(await vendor('PATCH', '', { integrationPortalUrl: `${BASE}/demo-vendor/?from=qa-page` }), 200, 'PATCH integrationPortalUrl');
    await partner.openPortal();
    expectStatus(await vendor('GET', '/organization'), 200, 'GET /organization with the new key');
    await expectDone('portal_opened', 'authenticated');
    await expectCurrent('next_lit');
    assert.equal(await qaStep('next_lit').getAttribute('data-done'), 'false');
    assert.match(await text(current().getByTestId('qa-hint-text')), /PATCH \/api\/vendor-api\/organization\/status\/pending/);
    await shot(page, '50-qa-in-progress');

    expectStatus(await vendor('PATCH', '/organization/status/pending'), 200, 'PATCH /organization/status/pending');
    await expectDone('next_lit');
    assert.match(await text(qaStep('next_lit').getByTestId('qa-step-evidence')), /vendor set the status to pending/);
    await expectCurrent('accounts_synced');

    await vendorSync({ createService: true });
    await expectDone('accounts_synced', 'services_synced');
    await mapAndFinish();
    await expectDone('accounts_mapped', 'services_mapped', 'finished');
    await sync();
    await expectDone('sync_initiated', 'usage_visible');
    await expectCurrent('disconnected');
    assert.equal(await page.locator('[data-testid=qa-round][data-round="1"] [data-testid=qa-round-count]').textContent(), '13 / 14');
    assert.equal(await page.evaluate(() => window.__qaPageMarker), 'no reload', 'the page was never reloaded');
  });

  await step('round 2: disconnect and reconnect; QA passed, with the report links', async () => {
    await partner.disconnect();
    await expectDone('disconnected');
    await expectCurrent('connect_again');
    await partner.connect();
    await partner.token();
    await partner.openPortal();
    expectStatus(await vendor('PATCH', '/organization/status/pending'), 200, 'pending again');
    await expectDone('connect_again', 'token_generated_again', 'portal_opened_again', 'authenticated_again', 'next_lit_again');
    await expectCurrent('accounts_synced_again');
    assert.match(await text(current().getByTestId('qa-hint-text')), /deleted every account/);
    await vendorSync({ createService: false }); // the vendor-level service survived the disconnect
    await mapAndFinish();
    await sync();

    const panel = page.locator(`[data-testid=qa-integration][data-integration-id=${q(id)}]`);
    await eventually(async () => assert.equal(await panel.getAttribute('data-passed'), 'true'), LIVE);
    const banner = page.getByTestId('qa-passed-banner');
    await banner.waitFor();
    assert.match(await text(banner), /QA passed/);
    assert.equal(await text(panel.getByTestId('qa-passed')), 'QA passed');
    assert.equal(await current().count(), 0, 'no open step any more');
    assert.equal(await page.getByTestId('qa-hint').count(), 0);
    assert.equal(await text(page.getByTestId('qa-count')), '26 of 26 steps done');
    const json = page.getByTestId('qa-report-json');
    const html = page.getByTestId('qa-report-html');
    assert.match(await json.getAttribute('href'), /^\/sim\/qa\/report(\?|$)/);
    assert.doesNotMatch(await json.getAttribute('href'), /format=html/);
    assert.match(await html.getAttribute('href'), /^\/sim\/qa\/report\?.*format=html/);
    assert.equal(await html.getAttribute('target'), '_blank');
    const report = await simOk('GET', await json.getAttribute('href'));
    assert.equal(report.reports.length, 1);
    assert.equal(report.reports[0].verdict, 'QA passed');
    assert.equal(await page.evaluate(() => window.__qaPageMarker), 'no reload', 'the page was never reloaded');
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.waitForTimeout(1700); // let the "just ticked" highlight fade
    await shot(page, '51-qa-passed');
  });

  await step('the printable report opens in a new tab and says "QA passed"', async () => {
    const popupP = context.waitForEvent('page', { timeout: 10_000 });
    await page.getByTestId('qa-report-html').click();
    const popup = await popupP;
    await popup.waitForLoadState('load');
    assert.match(popup.url(), /\/sim\/qa\/report\?.*format=html/);
    const body = await popup.locator('body').textContent();
    assert.ok(body.includes('QA passed'), 'the printable page carries the verdict');
    assert.ok(body.includes('Pelican Endpoint Security'));
    await popup.close();
  });

  const badToken = Buffer.from('not-a-vendor-key:not-a-partner-key').toString('base64');
  await step('lint of the vendor\'s calls shows up under the checklist, without a reload', async () => {
    // A numeric account id (production documents strings): accepted, with a numeric_id lint. The
    // name is HTML on purpose: it must stay text everywhere it shows.
    expectStatus(await vendor('POST', '/organization/accounts', [{ id: 7, name: '<img src=x onerror=alert(1)>Numeric Co' }]), 201, 'numeric id');
    const r = await vendorClient(badToken)('GET', '/organization');
    assert.equal(r.status, 401);
    const item = page.locator('[data-testid=qa-lint-item][data-code=numeric_id]');
    await eventually(async () => assert.equal(await item.count(), 1), LIVE);
    assert.match(await text(item.getByTestId('qa-lint-example')), /was sent as the number 7/);
    assert.match(await text(item.getByTestId('qa-lint-why')), /strings/);
    assert.match(await text(item.getByTestId('qa-lint-fix')), /Send ids as JSON strings/);
    assert.equal(await text(item.getByTestId('qa-lint-count')), '× 1');
  });

  await step('polling stops once the user leaves the page', async () => {
    await page.getByTestId('nav-journal').click();
    await page.getByTestId('journal-table').waitFor();
    await page.waitForTimeout(300);
    const before = qaPolls.length;
    await page.waitForTimeout(4500);
    assert.equal(qaPolls.length, before, 'no GET /sim/qa after navigating to the Journal');
  });

  await step('Journal: the 401 with a bad token, the numeric_id lint when expanded, never a full key', async () => {
    const rows = page.getByTestId('journal-row');
    assert.ok(await rows.count() >= 10, 'both rounds\' calls are listed');
    assert.match(await text(page.getByTestId('journal-summary')), /of \d+ recorded/);
    assert.match(await text(page.getByTestId('journal-bounded')), /bounded/);

    // Newest first: the bad-token call was the last one.
    const first = rows.first();
    assert.equal(await first.getAttribute('data-status'), '401');
    assert.equal(await text(first.getByTestId('journal-status')), '401');
    assert.equal(await text(first.getByTestId('journal-method')), 'GET');
    assert.equal(await text(first.getByTestId('journal-path')), '/api/vendor-api/organization');
    // It wraps between its segments, not mid-word.
    assert.equal(await first.getByTestId('journal-path').locator('wbr').count(), 3);
    assert.equal(await text(first.getByTestId('journal-integration')), '—');

    const numeric = page.locator(`[data-testid=journal-row][data-method=POST][data-route=${q('/api/vendor-api/organization/accounts')}][data-lint-count="1"]`);
    assert.equal(await numeric.count(), 1);
    assert.equal(await text(numeric.getByTestId('journal-status')), '201');
    assert.equal(await text(numeric.getByTestId('journal-integration')), 'Pelican Endpoint Security');
    const entry = page.locator('[data-testid=journal-entry]').filter({ has: numeric });
    assert.ok(await entry.getByTestId('journal-detail').isHidden(), 'collapsed until clicked');
    await numeric.click();
    const detail = entry.getByTestId('journal-detail');
    await detail.waitFor();
    assert.equal(await numeric.getAttribute('data-expanded'), 'true');
    assert.equal(await numeric.getByTestId('journal-expand').getAttribute('aria-expanded'), 'true', 'the caret button says it is open');
    const lint = detail.locator('[data-testid=journal-lint][data-code=numeric_id]');
    assert.equal(await text(lint.getByTestId('journal-lint-code')), 'numeric_id');
    assert.match(await text(lint.getByTestId('journal-lint-why')), /strings/);
    assert.match(await text(lint.getByTestId('journal-lint-fix')), /Send ids as JSON strings/);
    const reqBody = await detail.getByTestId('journal-request-body').textContent();
    assert.match(reqBody, /\n\s+"id": 7,/, 'the request body is pretty-printed JSON');
    assert.ok(reqBody.includes('<img src=x onerror=alert(1)>Numeric Co'), 'the vendor\'s HTML shows as text');
    assert.equal(await detail.locator('img').count(), 0, 'no element was made of the vendor\'s body');
    assert.match(await detail.getByTestId('journal-response-body').textContent(), /"id": "7"/);
    assert.match(await text(detail.getByTestId('journal-request-headers')), /gradient-token…/);

    // The token column only ever shows a short redacted tail.
    const tokens = await page.getByTestId('journal-token').allTextContents();
    assert.ok(tokens.length > 0);
    for (const tk of tokens) assert.match(tk, /^(—|….{1,4})$/, `a redacted token: ${tk}`);
    const pageText = await page.locator('#page').textContent();
    assert.ok(!pageText.includes(partnerKey), 'the partner key never shows');
    const info = await simOk('GET', '/sim/info');
    assert.ok(!pageText.includes(info.vendorApiKey), 'the vendor key never shows');
    const gradientToken = Buffer.from(`${info.vendorApiKey}:${partnerKey}`).toString('base64');
    assert.ok(!pageText.includes(gradientToken), 'the GRADIENT-TOKEN never shows');
    // The caret is a real button: the keyboard closes and opens the details too.
    await numeric.getByTestId('journal-expand').press('Enter');
    await detail.waitFor({ state: 'hidden' });
    await numeric.getByTestId('journal-expand').press('Enter');
    await detail.waitFor();
    await shot(page, '52-journal');
  });

  await step('Journal filters go to the server: only with lint, status, method, route', async () => {
    // Each check reads the whole table at once (the table is re-drawn when an answer arrives).
    const waitRows = (fn) => eventually(async () => {
      const rows = await page.getByTestId('journal-row').evaluateAll((els) => els.map((e) => ({ ...e.dataset })));
      assert.ok(rows.length > 0, 'some rows');
      fn(rows);
    }, { timeout: 6000, interval: 150 });
    const answered = (part) => page.waitForResponse((r) => r.url().includes('/sim/journal?') && r.url().includes(part));

    let reply = answered('lint=true');
    await page.getByTestId('journal-filter-lint').check();
    await reply;
    await waitRows((rows) => {
      assert.ok(rows.every((r) => r.lintCount !== '0'), `only calls with lint: ${JSON.stringify(rows.map((r) => r.lintCount))}`);
      assert.ok(rows.some((r) => r.route === '/api/vendor-api/organization/accounts'));
    });
    await page.getByTestId('journal-filter-lint').uncheck();

    reply = answered('status=401');
    await page.getByTestId('journal-filter-status').fill('401');
    await reply;
    await waitRows((rows) => {
      assert.equal(rows.length, 1);
      assert.equal(rows[0].status, '401');
    });
    await page.getByTestId('journal-filter-status').fill('');

    await page.getByTestId('journal-filter-method').selectOption('POST');
    await page.getByTestId('journal-filter-route').fill('/count');
    await waitRows((rows) => {
      assert.equal(rows.length, 2, 'one count per round');
      for (const r of rows) {
        assert.equal(r.method, 'POST');
        assert.match(r.route, /\/count$/);
      }
    });
    assert.match(await text(page.getByTestId('journal-count')), /^2 matching calls of \d+ recorded/);
    await page.getByTestId('journal-clear').click();
    await waitRows((rows) => assert.ok(rows.length >= 10));
    assert.equal(await page.getByTestId('journal-filter-method').inputValue(), '');
  });

  assert.deepEqual(dialogs, [], 'no JS dialog was opened');
  assert.deepEqual(errors, [], 'no uncaught page error');
});
