// The partner console at a real MSP's size, measured in Chromium: the large seed (1,000 PSA
// companies, 10,000 contract lines) with 5,000 vendor accounts. Prints the timings of the
// account mapping step and the billing page; asserts nothing. Run by bench/console.sh, which
// starts the simulator and sets SIM_URL.
//
// Each action is timed inside the page, from the event to the frame that shows its result
// (so the browser driver's own round trips are not counted); the first paints are timed from
// the navigation to the first card on screen, the server's answer included.
import { openBrowser, simOk, BASE } from '../tests/browser/lib.mjs';
import { largeMapping, largeBilling } from '../tests/browser/scale.mjs';

const ROUNDS = Number(process.env.ROUNDS || 5);
const rows = [];

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor((s.length - 1) / 2)]; };
function record(what, samples, goal) {
  rows.push({ what, median: median(samples), max: Math.max(...samples), n: samples.length, goal });
}

/** Milliseconds from `act` (run in the page) until `done` (polled each frame) holds. */
function inPage(page, act, done, arg) {
  return page.evaluate(async ([actSrc, doneSrc, a]) => {
    // eslint-disable-next-line no-new-func
    const actFn = new Function('a', actSrc);
    // eslint-disable-next-line no-new-func
    const doneFn = new Function('a', doneSrc);
    const t0 = performance.now();
    actFn(a);
    for (;;) {
      if (doneFn(a)) break;
      await new Promise((r) => requestAnimationFrame(r));
      if (performance.now() - t0 > 20000) throw new Error('gave up after 20 s');
    }
    // The frame that shows it.
    await new Promise((r) => requestAnimationFrame(r));
    return performance.now() - t0;
  }, [act, done, arg]);
}

/** A full load of a console route: navigation until `selector` is on screen; and the longest task. */
async function firstPaint(page, hash, selector) {
  await page.goto('about:blank');
  const t0 = Date.now();
  await page.goto(`${BASE}/${hash}`);
  await page.waitForSelector(selector);
  const ms = Date.now() - t0;
  const longest = await page.evaluate(() => Math.max(0, ...(window.__longTasks || [])));
  return { ms, longest };
}

const setValue = `const el = document.querySelector(a.sel); el.value = a.value; el.dispatchEvent(new Event('input', { bubbles: true }));`;
const click = `document.querySelector(a.sel).click();`;

async function mapping(page) {
  const m = await largeMapping({ accounts: 5000 });
  // What the step asks at first paint: the PSA side without the accounts, and their first page.
  const t = Date.now();
  await Promise.all([simOk('GET', `/sim/integrations/${m.id}/mappings?accounts=false`),
    simOk('GET', `/sim/integrations/${m.id}/mappings/accounts?limit=60`)]);
  const apiMs = Date.now() - t;
  const paints = [];
  const longs = [];
  for (let i = 0; i < ROUNDS; i += 1) {
    const p = await firstPaint(page, `#/setup/${m.id}`, '[data-testid=vendor-item]');
    paints.push(p.ms);
    longs.push(p.longest);
  }
  record('GET mappings?accounts=false and the first page of accounts (the API alone)', [apiMs]);
  record('Account mapping: first paint', paints, 1000);
  record('Account mapping: longest task while loading', longs);

  const search = [];
  const hide = [];
  const filter = [];
  const map = [];
  const unmap = [];
  const more = [];
  for (let i = 0; i < ROUNDS; i += 1) {
    const name = `Vendor Tenant ${String(900 + i).padStart(5, '0')}`;
    search.push(await inPage(page, setValue, `return document.querySelectorAll('[data-testid=vendor-item]').length === 1 && document.querySelector('[data-testid=vendor-item]').dataset.vendorItemName === a.value;`, { sel: '[data-testid=vendor-search]', value: name }));
    filter.push(await inPage(page, click, `return !document.querySelector('[data-testid=closest-chip]').hidden;`, { sel: '[data-testid=vendor-item] [data-testid=card-filter]' }));
    await page.getByTestId('closest-clear').click();
    // Map with the picker: type, then Enter on the first option; done when the card shows it.
    await page.getByTestId('map-picker').first().fill('Harbor');
    await page.getByTestId('combobox-option').first().waitFor();
    map.push(await inPage(page, `document.querySelector('[data-testid=map-picker]').dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));`,
      `return document.querySelector('[data-testid=vendor-item]').dataset.mapped === 'true';`));
    unmap.push(await inPage(page, click, `return document.querySelector('[data-testid=vendor-item]').dataset.mapped === 'false';`, { sel: '[data-testid=vendor-item] [data-testid=unmap]' }));
    await inPage(page, setValue, 'return document.querySelectorAll(\'[data-testid=vendor-item]\').length > 1;', { sel: '[data-testid=vendor-search]', value: '' });
    hide.push(await inPage(page, click, `return document.querySelector('[data-testid=vendor-count]').textContent !== '5000';`, { sel: '[data-testid=hide-mapped]' }));
    await inPage(page, click, `return document.querySelector('[data-testid=vendor-count]').textContent === '5000';`, { sel: '[data-testid=hide-mapped]' });
    more.push(await inPage(page, click, `return document.querySelectorAll('[data-testid=vendor-item]').length > 60;`, { sel: '[data-testid=map-more-vendor]' }));
    await inPage(page, setValue, 'return document.querySelectorAll(\'[data-testid=vendor-item]\').length === 60;', { sel: '[data-testid=vendor-search]', value: '' });
  }
  record('Account mapping: search a vendor account', search, 200);
  record('Account mapping: card filter (closest PSA names first)', filter, 200);
  record('Account mapping: map with the picker (server included)', map, 200);
  record('Account mapping: unmap (server included)', unmap, 200);
  record('Account mapping: hide mapped', hide, 200);
  record('Account mapping: show 60 more cards', more, 200);
}

async function billing(page) {
  await largeBilling({ accounts: 5000 });
  const t = Date.now();
  const view = await simOk('GET', '/sim/billing');
  const apiMs = Date.now() - t;
  const reconcile = view.cards.filter((c) => c.type === 'reconcile').length;
  const paints = [];
  const longs = [];
  for (let i = 0; i < ROUNDS; i += 1) {
    const p = await firstPaint(page, '#/billing', '[data-testid=service-card]');
    paints.push(p.ms);
    longs.push(p.longest);
  }
  record(`GET /sim/billing (the API alone, ${view.cards.length.toLocaleString('en-US')} cards)`, [apiMs]);
  record('Billing: first paint', paints, 1000);
  record('Billing: longest task while loading', longs);
  const selectAll = [];
  const clear = [];
  const list = [];
  const cards = [];
  const tile = [];
  const search = [];
  for (let i = 0; i < ROUNDS; i += 1) {
    selectAll.push(await inPage(page, click, `return Boolean(document.querySelector('[data-testid=bulk-count]'));`, { sel: '[data-testid=bulk-select-all]' }));
    clear.push(await inPage(page, click, `return !document.querySelector('[data-testid=bulk-count]');`, { sel: '[data-testid=bulk-clear]' }));
    list.push(await inPage(page, click, `return Boolean(document.querySelector('[data-testid=billing-table] [data-testid=service-card]'));`, { sel: '[data-testid=view-list]' }));
    cards.push(await inPage(page, click, `return Boolean(document.querySelector('.svc-grid [data-testid=service-card]'));`, { sel: '[data-testid=view-card]' }));
    tile.push(await inPage(page, click, `return document.querySelector('[data-testid=billing-results]').dataset.total === String(a.n);`, { sel: '[data-testid=tile-reconcile]', n: reconcile }));
    await inPage(page, click, `return document.querySelector('[data-testid=tile-reconcile]').getAttribute('aria-pressed') === 'false';`, { sel: '[data-testid=tile-reconcile]' });
    search.push(await inPage(page, setValue, `return document.querySelector('[data-testid=billing-results]').dataset.total !== undefined && Number(document.querySelector('[data-testid=billing-results]').dataset.total) < 10000;`, { sel: '[data-testid=billing-search]', value: 'Harbor' }));
    await inPage(page, setValue, `return Number(document.querySelector('[data-testid=billing-results]').dataset.total) >= 10000;`, { sel: '[data-testid=billing-search]', value: '' });
  }
  record('Billing: select all shown', selectAll, 300);
  record('Billing: clear the selection', clear, 300);
  record('Billing: list view', list, 300);
  record('Billing: back to card view', cards, 300);
  record('Billing: a type tile as filter', tile, 300);
  record('Billing: search', search, 300);
}

const b = await openBrowser();
await b.context.addInitScript(() => {
  window.__longTasks = [];
  try {
    new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__longTasks.push(e.duration); }).observe({ type: 'longtask', buffered: true });
  } catch { /* no long task timing */ }
});
await b.page.setViewportSize({ width: 1440, height: 900 });
try {
  await mapping(b.page);
  await billing(b.page);
} finally {
  await simOk('POST', '/sim/reset', { seed: 'flamingo' }).catch(() => {});
  await b.close();
}
const w = Math.max(...rows.map((r) => r.what.length));
console.log(`${'what'.padEnd(w)}  median ms   max ms  rounds  goal`);
for (const r of rows) {
  console.log(`${r.what.padEnd(w)}  ${r.median.toFixed(0).padStart(9)}  ${r.max.toFixed(0).padStart(7)}  ${String(r.n).padStart(6)}  ${r.goal ? `< ${r.goal} ms` : ''}`);
}
if (b.errors.length) console.log(`page errors: ${b.errors.join('; ')}`);
