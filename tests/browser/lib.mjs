// Shared helpers of the browser tests: the simulator's URL, a Chromium page, the vendor's HTTP calls.
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const REPO = path.resolve(HERE, '..', '..');
export const SHOTS = process.env.SCREENSHOT_DIR || path.join(REPO, 'target', 'screenshots');

/** Base URL of a running synthesize-sim (scripts/browser-tests.sh sets it). */
export const BASE = (process.env.SIM_URL || '').replace(/\/+$/, '');
if (!BASE) {
  throw new Error('SIM_URL is not set: run scripts/browser-tests.sh (it starts synthesize-sim and sets SIM_URL)');
}

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-dev-shm-usage',
];

/**
 * A fresh Chromium (new user-data-dir each time) with one page. Every JS dialog the page opens is
 * recorded in `dialogs` and dismissed, every page error in `errors`.
 */
export async function openBrowser() {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'synthsim-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1440, height: 960 },
    timeout: 60_000,
  });
  context.setDefaultTimeout(15_000);
  const page = context.pages()[0] || await context.newPage();
  const dialogs = [];
  const errors = [];
  const watch = (p) => {
    p.on('dialog', async (d) => { dialogs.push({ type: d.type(), message: d.message() }); await d.dismiss().catch(() => {}); });
    p.on('pageerror', (e) => errors.push(String(e && e.stack ? e.stack : e)));
  };
  watch(page);
  context.on('page', watch);
  const close = async () => {
    await context.close().catch(() => {});
    fs.rmSync(userDataDir, { recursive: true, force: true });
  };
  return { context, page, dialogs, errors, close };
}

/** Save a screenshot under target/screenshots/: the full page, the viewport, or one element. */
export async function shot(page, name, { fullPage = true, locator } = {}) {
  fs.mkdirSync(SHOTS, { recursive: true });
  const file = path.join(SHOTS, `${name}.png`);
  // Toasts of earlier steps would push down or hide what the picture is about.
  await page.evaluate(() => { const t = document.getElementById('toast-root'); if (t) t.style.display = 'none'; });
  try {
    if (locator) await locator.screenshot({ path: file });
    else await page.screenshot({ path: file, fullPage });
  } finally {
    await page.evaluate(() => { const t = document.getElementById('toast-root'); if (t) t.style.display = ''; });
  }
  return file;
}

/** Open a console route and wait until the app has rendered it. */
export async function gotoConsole(page, hash = '#/integrations') {
  await page.goto(`${BASE}/${hash}`);
  await page.waitForSelector('body[data-ready=true]');
  await page.waitForSelector('[data-testid=loading]', { state: 'detached' });
}

/** Call the /sim control API directly (test set-up only; the console does its own calls). */
export async function sim(method, p, body) {
  const res = await fetch(`${BASE}${p}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = text; }
  return { status: res.status, body: json };
}

export async function simOk(method, p, body) {
  const r = await sim(method, p, body);
  assert.ok(r.status >= 200 && r.status < 300, `${method} ${p} answered ${r.status}: ${JSON.stringify(r.body)}`);
  return r.body;
}

/** The vendor's side: calls to /api/vendor-api with a GRADIENT-TOKEN header. */
export function vendorClient(token) {
  return async function call(method, p, body) {
    const headers = { 'GRADIENT-TOKEN': token };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${BASE}/api/vendor-api${p}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch { json = text; }
    return { status: res.status, body: json };
  };
}

/** Assert a vendor call answered one of the expected codes. */
export function expectStatus(r, codes, what) {
  const list = Array.isArray(codes) ? codes : [codes];
  assert.ok(list.includes(r.status), `${what}: expected ${list.join('/')} but got ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/** Retry `fn` until it stops throwing (or the time is up, then rethrow the last error). */
export async function eventually(fn, { timeout = 10_000, interval = 200 } = {}) {
  const end = Date.now() + timeout;
  let last;
  for (;;) {
    try { return await fn(); } catch (e) { last = e; }
    if (Date.now() > end) throw last;
    await new Promise((r) => setTimeout(r, interval));
  }
}

export async function text(locator) {
  return ((await locator.textContent()) || '').replace(/\s+/g, ' ').trim();
}

/** CSS attribute selector value, quoted. */
export const q = (s) => JSON.stringify(String(s));

export const card = (page, vendorName) => page.locator(`[data-testid=integration-card][data-vendor-name=${q(vendorName)}]`);
export const vendorItem = (page, name) => page.locator(`[data-testid=vendor-item][data-vendor-item-name=${q(name)}]`);
export const psaItem = (page, name) => page.locator(`[data-testid=psa-item][data-psa-name=${q(name)}]`);
/** Map a vendor card with its searchable picker: type the PSA label, pick the exact option. */
export async function pickPsa(vendorCard, label) {
  await vendorCard.getByTestId('map-picker').fill(label);
  await vendorCard.locator(`[data-testid=combobox-option][data-label=${q(label)}]`).click();
}
export const serviceCard = (page, account, code) => page.locator(`[data-testid=service-card][data-account-name=${q(account)}][data-product-code=${q(code)}]`);

/** Confirm the open modal (our own dialog, never window.confirm). */
export async function confirmModal(page, testid) {
  const dlg = page.getByTestId(testid);
  await dlg.waitFor();
  await dlg.getByTestId('modal-confirm').click();
  await dlg.waitFor({ state: 'detached' });
}

export const SEEDED_VENDOR = 'Pelican Endpoint Security';

/**
 * Sequential steps inside one test: once a step fails, the later ones are skipped (they would only
 * fail for the same reason).
 */
export function steps(t) {
  let broken = null;
  return (name, fn) => t.test(name, { skip: broken ? `skipped: the step "${broken}" failed` : false }, async (st) => {
    try { await fn(st); } catch (e) { broken = name; throw e; }
  });
}

/** Set the world up through the APIs: seeded integration, exact-name accounts, one EDR service, counts. */
export async function setUpUsage() {
  await simOk('POST', '/sim/reset');
  const info = await simOk('GET', '/sim/info');
  const vendor = vendorClient(info.demoKeys.gradientToken);
  const [integ] = await simOk('GET', '/sim/integrations');
  const id = integ.id;
  const svc = expectStatus(await vendor('POST', '/service', { name: 'Pelican EDR', description: 'EDR per endpoint', category: 'security', subcategory: 'endpoint detection and response (EDR)' }), 201, 'service');
  const sku = svc.skus.find((s) => s.name === 'Pelican EDR').id;
  const names = ['Acme Corp', 'Bluebird Dental Group', 'Granite Peak Credit Union', 'Delta Logistics Inc.', 'Evergreen Animal Hospital'];
  expectStatus(await vendor('POST', '/organization/accounts', names.map((name, i) => ({ id: `b-${i}`, name }))), 201, 'accounts');
  expectStatus(await vendor('PATCH', '/organization/status/pending'), 200, 'pending');
  await simOk('POST', `/sim/integrations/${id}/step`, { step: 'account_mapping' });
  await simOk('POST', `/sim/integrations/${id}/auto-map`);
  const m = await simOk('GET', `/sim/integrations/${id}/mappings`);
  assert.equal(m.accounts.filter((a) => a.psaAccountId).length, 5, 'exact names auto-map');
  const edr = m.psaProducts.find((p) => p.productCode === 'SEC-EDR');
  await simOk('PUT', `/sim/integrations/${id}/mappings/services/${sku}`, { psaProductIds: [edr.id] });
  await simOk('POST', `/sim/integrations/${id}/step`, { step: 'service_mapping' });
  await simOk('POST', `/sim/integrations/${id}/step`, { step: 'review' });
  await simOk('POST', `/sim/integrations/${id}/finish`);
  const counts = [48, 20, 60, 70, 15]; // Acme 45, Bluebird 20, Granite 58, Delta 69, Evergreen 12
  for (let i = 0; i < names.length; i++) {
    expectStatus(await vendor('POST', `/service/${sku}/count`, { accountId: `b-${i}`, unitCount: counts[i] }), 201, `count ${names[i]}`);
  }
  return { id, info };
}
