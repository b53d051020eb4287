// The API reference: /api-docs and /sim/openapi.json render as a readable, searchable page in a
// browser, from files the binary carries (no request leaves the simulator), while tools get JSON.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openBrowser, shot, BASE } from './lib.mjs';

let b;
before(async () => { b = await openBrowser(); });
after(async () => { if (b) await b.close(); });

async function openReference(page, path) {
  // Redoc asks for its logo on a remote host: the page's CSP must stop it before it leaves.
  const outside = [];
  const isOutside = (u) => !u.startsWith(BASE) && !u.startsWith('data:') && !u.startsWith('blob:');
  const onFailed = (r) => { if (isOutside(r.url())) outside.push(`${r.url()} ${r.failure() && r.failure().errorText}`); };
  const onDone = (r) => { if (isOutside(r.url())) outside.push(`${r.url()} answered`); };
  page.on('requestfailed', onFailed);
  page.on('requestfinished', onDone);
  await page.goto(`${BASE}${path}`);
  await page.waitForSelector('body[data-ready=true]', { timeout: 30_000 });
  await page.waitForTimeout(300);
  page.off('requestfailed', onFailed);
  page.off('requestfinished', onDone);
  for (const o of outside) assert.match(o, / (csp|net::ERR_BLOCKED_BY_CSP)$/, 'nothing leaves the simulator');
}

test('vendor API reference: readable page, search finds an operation, servers is this simulator', async () => {
  const { page } = b;
  await openReference(page, '/api-docs');
  await page.getByRole('heading', { name: /Synthesize vendor API/ }).first().waitFor();
  // The servers line names the URL actually listening, not the default port.
  const body = await page.textContent('body');
  assert.ok(body.includes(BASE), `the page names ${BASE}`);
  await shot(page, '60-api-docs', { fullPage: false });
  const search = page.locator('input[role=search], input.search-input, input[placeholder^="Search"]').first();
  await search.fill('count');
  const results = page.locator('[data-role="search:results"] li, .search-results li');
  await results.first().waitFor();
  assert.ok(await results.count() >= 1, 'search lists matching operations');
  assert.match((await results.allTextContents()).join(' '), /count/i);
  await shot(page, '61-api-docs-search', { fullPage: false });
});

test('control API reference: the same page for /sim/openapi.json', async () => {
  const { page } = b;
  await openReference(page, '/sim/openapi.json');
  await page.getByRole('heading', { name: /\/sim|control|synthesize-sim/i }).first().waitFor();
  assert.equal(await page.getAttribute('[data-testid=reference]', 'data-spec-url'), '/sim/openapi.json?format=json');
  await shot(page, '62-sim-api-docs', { fullPage: false });
});

test('tools still get JSON from both URLs', async () => {
  for (const path of ['/api-docs', '/sim/openapi.json']) {
    const r = await fetch(`${BASE}${path}`);
    assert.equal(r.headers.get('content-type'), 'application/json; charset=utf-8', path);
    const doc = await r.json();
    assert.equal(doc.servers[0].url, BASE, path);
  }
});
