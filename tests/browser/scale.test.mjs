// The console at a real MSP's size: the large seed (1,000 PSA companies, 10,000 contract lines)
// with 5,000 vendor accounts. What is checked is what keeps it fast (bounded pages, a picker
// instead of 1,001-option selects, no redraw of everything per action), never a time: the
// timings are printed by bench/console.sh.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openBrowser, shot, gotoConsole, simOk, eventually, text, q, steps, vendorItem, pickPsa, expectStatus } from './lib.mjs';
import { largeMapping, largeBilling } from './scale.mjs';

const WIDTHS = [1440, 1280, 1024];
let b;
before(async () => { b = await openBrowser(); });
// The other files expect the demo seed.
after(async () => { await simOk('POST', '/sim/reset', { seed: 'flamingo' }); if (b) await b.close(); });

/**
 * What the console asks of /sim/integrations/{id}/mappings*, as "path?query" in order: the
 * account step must ask for pages, never the whole view with every account.
 */
function mappingRequests(page) {
  const asked = [];
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (r.method() === 'GET' && /\/sim\/integrations\/[^/]+\/mappings/.test(u.pathname)) asked.push(u);
  });
  return {
    all: () => asked,
    pages: () => asked.filter((u) => u.pathname.endsWith('/mappings/accounts')),
    /** Asks for the whole view, the one that carries every account. */
    whole: () => asked.filter((u) => u.pathname.endsWith('/mappings') && u.searchParams.get('accounts') !== 'false'),
    clear: () => { asked.length = 0; },
  };
}

/** Elements in the page, and <option>s: the 618,000 elements of 604 selects are what froze the tab. */
const domSize = (page) => page.evaluate(() => ({ all: document.getElementsByTagName('*').length, options: document.querySelectorAll('option, [role=option]').length }));

test('account mapping with 1,000 PSA companies and 5,000 vendor accounts', async (t) => {
  const step = steps(t);
  const { page } = b;
  let m;
  const asked = mappingRequests(page);

  await step('the step paints a page of each column, with a picker per card and no long select', async () => {
    m = await largeMapping();
    await page.setViewportSize({ width: 1440, height: 900 });
    asked.clear();
    await gotoConsole(page, `#/setup/${m.id}`);
    await page.getByTestId('vendor-item').first().waitFor();
    // One page of accounts, and the PSA side without them: never every account.
    assert.deepEqual(asked.whole().map(String), [], 'no whole mappings view');
    assert.deepEqual(asked.pages().map((u) => [u.searchParams.get('offset'), u.searchParams.get('limit')]), [['0', '60']]);
    assert.equal(await text(page.getByTestId('map-counter')), '600 of 5000 vendor accounts mapped', 'exact names auto-mapped on entering the step');
    assert.equal(await page.getByTestId('vendor-item').count(), 60);
    assert.equal(await page.getByTestId('psa-item').count(), 100);
    assert.equal(await text(page.getByTestId('vendor-count')), '5000');
    assert.equal(await page.locator('[data-testid=vendor-column] select').count(), 0, 'no select on the cards');
    const size = await domSize(page);
    assert.ok(size.all < 8000, `a bounded page: ${size.all} elements`);
    assert.equal(size.options, 0, 'no option in the page until a picker opens');
    await shot(page, 'scale-01-mapping-1440', { fullPage: false });
  });

  await step('the picker types ahead over the PSA list and maps', async () => {
    await page.getByTestId('vendor-search').fill('Vendor Tenant 00800');
    const card = vendorItem(page, 'Vendor Tenant 00800');
    const picker = card.getByTestId('map-picker');
    await picker.fill('zen');
    const options = card.getByTestId('combobox-option');
    await options.first().waitFor();
    const labels = await options.evaluateAll((els) => els.map((e) => e.dataset.label));
    assert.ok(labels.length > 0 && labels.length <= 12, `at most a screenful: ${labels.length}`);
    assert.ok(labels.every((l) => l.toLowerCase().includes('zen')), labels.join(', '));
    await picker.press('ArrowDown');
    assert.equal(await picker.getAttribute('aria-expanded'), 'true');
    assert.ok(await picker.getAttribute('aria-activedescendant'));
    await picker.press('Enter');
    await eventually(async () => assert.equal(await text(card.getByTestId('mapped-target-name')), labels[0]));
    assert.equal(await text(page.getByTestId('map-counter')), '601 of 5000 vendor accounts mapped');
    // Focus stays on the card just mapped, for the next keystroke.
    assert.equal(await page.evaluate(() => document.activeElement.closest('[data-testid=vendor-item]').dataset.vendorItemName), 'Vendor Tenant 00800');
    const row = (await simOk('GET', `/sim/integrations/${m.id}/mappings`)).accounts.find((a) => a.id === 'acct-00800');
    assert.equal(row.source, 'manual');
  });

  await step('each card\'s filter puts the closest PSA names first; an empty picker suggests them', async () => {
    const name = m.rows[650].name; // a near-miss: a company's name without its punctuation, "(tenant)"
    await page.getByTestId('vendor-search').fill(name);
    const card = vendorItem(page, name);
    await card.getByTestId('card-filter').click();
    await page.getByTestId('closest-chip').waitFor();
    const company = m.companies[650 % m.companies.length].name;
    assert.equal(await page.getByTestId('psa-item').first().getAttribute('data-psa-name'), company);
    await card.getByTestId('map-picker').click();
    assert.equal(await card.getByTestId('combobox-option').first().getAttribute('data-label'), company);
    await card.getByTestId('map-picker').press('Escape');
    await page.getByTestId('closest-clear').click();
    assert.equal(await page.getByTestId('closest-chip').isHidden(), true);
    await page.getByTestId('vendor-search').fill('');
  });

  await step('search filters each column on its own; hide mapped', async () => {
    asked.clear();
    await page.getByTestId('psa-search').fill('harbor');
    await eventually(async () => {
      const names = await page.getByTestId('psa-item').evaluateAll((els) => els.map((e) => e.dataset.psaName));
      assert.ok(names.length > 0 && names.every((n) => n.toLowerCase().includes('harbor')));
    });
    await eventually(async () => assert.equal(await text(page.getByTestId('vendor-count')), '5000', 'the vendor column is not filtered by the PSA search'));
    // Typed a key at a time: the search goes to the server once typing pauses, not per key.
    await page.getByTestId('vendor-search').pressSequentially('Vendor Tenant 0499', { delay: 30 });
    await eventually(async () => assert.equal(await page.getByTestId('vendor-item').count(), 10));
    assert.equal(await text(page.getByTestId('vendor-count')), '10');
    const searches = asked.pages().filter((u) => u.searchParams.has('q'));
    assert.ok(searches.length >= 1 && searches.length <= 3, `debounced: ${searches.map(String).join(' ')}`);
    assert.equal(searches.at(-1).searchParams.get('q'), 'Vendor Tenant 0499');
    // The server searches the PSA company's name too.
    await page.getByTestId('vendor-search').fill(m.companies[1].name);
    await eventually(async () => assert.equal(await page.locator(`[data-testid=vendor-item][data-vendor-item-id=${q('acct-00001')}]`).count(), 1));
    assert.ok(Number(await text(page.getByTestId('psa-count'))) > 0, 'the PSA column keeps its own search');
    await page.getByTestId('vendor-search').fill('');
    await page.getByTestId('psa-search').fill('');
    await page.getByTestId('hide-mapped').check();
    await eventually(async () => assert.equal(await text(page.getByTestId('vendor-count')), '4399'));
    assert.equal(await page.locator('[data-testid=vendor-item][data-mapped=true]').count(), 0);
    assert.equal(asked.pages().at(-1).searchParams.get('hideMapped'), 'true', 'hide mapped is the server\'s');
    assert.equal(await page.getByTestId('vendor-item').count(), 60);
    // Mapping a card with "Hide mapped" on takes it out; the counts and the PSA column's mark
    // follow from the answer, without asking again. Company 950: no account is named as it.
    const company = m.companies[950];
    const mark = page.locator(`[data-testid=psa-item][data-psa-id=${q(company.id)}]`);
    const first = page.getByTestId('vendor-item').first();
    const id = await first.getAttribute('data-vendor-item-id');
    const card = page.locator(`[data-testid=vendor-item][data-vendor-item-id=${q(id)}]`);
    await page.getByTestId('psa-search').fill(company.name);
    await mark.waitFor();
    const before = asked.all().length;
    await pickPsa(first, company.name);
    await eventually(async () => assert.equal(await text(page.getByTestId('map-counter')), '602 of 5000 vendor accounts mapped'));
    assert.equal(await card.count(), 0, 'the mapped card left the unmapped list');
    assert.equal(await text(page.getByTestId('vendor-count')), '4398');
    assert.equal(await mark.count(), 0, 'the company is used now: hidden with the mapped');
    assert.equal(asked.all().length, before, 'a map asks for no page and no view');
    await page.getByTestId('hide-mapped').uncheck();
    await eventually(async () => assert.equal(await text(page.getByTestId('vendor-count')), '5000'));
    assert.match(await mark.getAttribute('class'), /is-used/);
    // Taking it back: the card, the counter and the mark, still without a reload.
    await page.getByTestId('vendor-search').fill(id);
    await eventually(async () => assert.equal(await page.getByTestId('vendor-item').count(), 1));
    const pages = asked.pages().length;
    await card.getByTestId('unmap').click();
    await eventually(async () => assert.equal(await text(page.getByTestId('map-counter')), '601 of 5000 vendor accounts mapped'));
    assert.equal(await card.getAttribute('data-mapped'), 'false');
    assert.doesNotMatch(await mark.getAttribute('class'), /is-used/);
    assert.equal(asked.pages().length, pages, 'an unmap asks for no page');
    assert.equal(asked.whole().length, 0, 'nor the whole view');
    await page.getByTestId('vendor-search').fill('');
    await page.getByTestId('psa-search').fill('');
  });

  await step('"Show more" pages the cards; the PSA column stays in view while they scroll', async () => {
    await eventually(async () => assert.equal(await page.getByTestId('vendor-item').count(), 60));
    await page.getByTestId('map-more-vendor').click();
    await eventually(async () => assert.equal(await page.getByTestId('vendor-item').count(), 120));
    const next = asked.pages().at(-1).searchParams;
    assert.deepEqual([next.get('offset'), next.get('limit'), next.get('q'), next.get('hideMapped')], ['60', '60', null, null], 'the next page from the server');
    for (const width of WIDTHS) {
      await page.setViewportSize({ width, height: 900 });
      await page.getByTestId('vendor-item').nth(110).scrollIntoViewIfNeeded();
      const box = await page.getByTestId('psa-column').boundingBox();
      assert.ok(box.y >= 0 && box.y < 120, `PSA column in view at ${width} px: top ${box.y}`);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `no sideways scroll at ${width} px (${overflow})`);
      await shot(page, `scale-02-mapping-scrolled-${width}`, { fullPage: false });
    }
    await page.setViewportSize({ width: 1440, height: 900 });
    // A map during a search may move a card into or out of it (the search looks at the PSA
    // company too): the next "Show more" asks again for what is shown and the next page.
    await page.getByTestId('vendor-search').fill('tenant 0');
    await eventually(async () => assert.equal(await page.locator('[data-testid=vendor-item][data-vendor-item-id="acct-00000"]').count(), 1));
    const card = page.locator('[data-testid=vendor-item][data-mapped=false]').first();
    const cardId = await card.getAttribute('data-vendor-item-id');
    await pickPsa(card, m.companies[960].name);
    await eventually(async () => assert.equal(await page.locator(`[data-testid=vendor-item][data-vendor-item-id=${q(cardId)}]`).getAttribute('data-mapped'), 'true'));
    await page.getByTestId('map-more-vendor').click();
    await eventually(async () => assert.equal(await page.getByTestId('vendor-item').count(), 120));
    const again = asked.pages().at(-1).searchParams;
    assert.deepEqual([again.get('offset'), again.get('limit'), again.get('q')], ['0', '120', 'tenant 0']);
    const ids = await page.getByTestId('vendor-item').evaluateAll((els) => els.map((e) => e.dataset.vendorItemId));
    assert.equal(new Set(ids).size, 120, 'no card twice');
    await page.locator(`[data-testid=vendor-item][data-vendor-item-id=${q(cardId)}]`).getByTestId('unmap').click();
    await eventually(async () => assert.equal(await page.locator(`[data-testid=vendor-item][data-vendor-item-id=${q(cardId)}]`).getAttribute('data-mapped'), 'false'));
    await page.getByTestId('vendor-search').fill('');
    await eventually(async () => assert.equal(await page.getByTestId('vendor-item').count(), 60));
  });

  await step('accounts that arrive while the step is open are auto-mapped, as the page says', async () => {
    const name = m.companies[990].name;
    expectStatus(await m.vendor('POST', '/organization/accounts', [{ id: 'late-1', name, description: 'late' }, { id: 'late-2', name: 'Late Near Miss', description: 'late' }]), 201, 'late accounts');
    await page.getByTestId('btn-reload-mappings').click();
    await eventually(async () => assert.equal(await text(page.getByTestId('map-counter')), '602 of 5002 vendor accounts mapped'));
    await page.getByTestId('vendor-search').fill('late');
    const late = page.locator(`[data-testid=vendor-item][data-vendor-item-id=${q('late-1')}]`);
    await late.waitFor();
    assert.equal(await text(late.getByTestId('source-badge')), 'auto');
    assert.equal(await text(late.getByTestId('mapped-target-name')), name);
    assert.equal(await page.locator(`[data-testid=vendor-item][data-vendor-item-id=${q('late-2')}]`).getAttribute('data-mapped'), 'false');
  });

  await step('the review lists the first mapped pairs and counts the rest, without every account', async () => {
    await page.getByTestId('btn-next').click();
    await page.getByTestId('service-mapping-step').waitFor();
    asked.clear();
    await page.getByTestId('btn-next').click();
    await page.getByTestId('review-accounts').waitFor();
    assert.equal(await page.getByTestId('review-account-row').count(), 100);
    assert.equal(await text(page.getByTestId('review-accounts-mapped')), 'Accounts mapped: 602');
    assert.match(await text(page.getByTestId('review-accounts-more')), /The first 100 shown; 502 more/);
    assert.match(await text(page.getByTestId('review-summary')), /4400 vendor accounts left unmapped/);
    assert.deepEqual(asked.whole().map(String), [], 'no whole mappings view');
    assert.deepEqual(asked.pages().map((u) => u.searchParams.get('onlyMapped')), ['true']);
    assert.deepEqual(b.errors, []);
  });
});

test('billing with 10,000 service cards and usage', async (t) => {
  const step = steps(t);
  const { page } = b;
  let m;

  await step('the page draws a page of cards, not 10,000', async () => {
    m = await largeBilling();
    await page.setViewportSize({ width: 1440, height: 900 });
    await gotoConsole(page, '#/billing');
    await page.getByTestId('service-card').first().waitFor();
    const results = page.getByTestId('billing-results');
    const total = Number(await results.getAttribute('data-total'));
    assert.ok(total >= 10000, `every card is on the page's list: ${total}`);
    assert.equal(await page.getByTestId('service-card').count(), 120);
    const height = await page.evaluate(() => document.documentElement.scrollHeight);
    assert.ok(height < 40000, `a page of cards, not 442,000 px: ${height}`);
    // More come a page at a time (the button, or scrolling near the end).
    await page.getByTestId('billing-more').click();
    await eventually(async () => assert.ok(await page.getByTestId('service-card').count() >= 240));
    assert.equal(await page.getByTestId('service-card').count(), Number(await results.getAttribute('data-shown')));
    await shot(page, 'scale-03-billing-1440', { fullPage: false });
  });

  await step('the type tiles filter, and press again to show every type', async () => {
    const reconcile = Number(await text(page.getByTestId('summary-reconcile')));
    assert.ok(reconcile > 0);
    await page.getByTestId('tile-reconcile').click();
    assert.equal(await page.getByTestId('tile-reconcile').getAttribute('aria-pressed'), 'true');
    await eventually(async () => assert.equal(Number(await page.getByTestId('billing-results').getAttribute('data-total')), reconcile));
    const types = await page.getByTestId('service-card').evaluateAll((els) => [...new Set(els.map((e) => e.dataset.type))]);
    assert.deepEqual(types, ['reconcile']);
    await page.getByTestId('tile-reconcile').click();
    assert.equal(await page.getByTestId('tile-reconcile').getAttribute('aria-pressed'), 'false');
  });

  await step('select all shown takes every open card, drawn or not; list view pages too', async () => {
    const open = (await simOk('GET', '/sim/billing')).cards.filter((c) => c.type !== 'psa_only').length;
    await page.evaluate(() => window.scrollTo(0, 0));
    const drawn = await page.getByTestId('service-card').count();
    await page.getByTestId('bulk-select-all').click();
    assert.equal(await text(page.getByTestId('bulk-count')), `${open} cards selected`);
    assert.equal(await page.getByTestId('service-card').count(), drawn, 'selecting draws nothing more');
    assert.equal(await page.locator('[data-testid=card-select]:checked').count(), await page.getByTestId('card-select').count());
    await page.getByTestId('bulk-clear').click();
    for (const width of WIDTHS) {
      await page.setViewportSize({ width, height: 900 });
      await page.getByTestId('view-list').click();
      await page.getByTestId('billing-table').waitFor();
      assert.ok(await page.getByTestId('service-card').count() <= 240, 'list view draws a page of rows');
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `list view fits at ${width} px (${overflow})`);
      await shot(page, `scale-04-billing-list-${width}`, { fullPage: false });
      await page.getByTestId('view-card').click();
    }
    await page.setViewportSize({ width: 1440, height: 900 });
  });

  await step('an approved card leaves for the month; a round with nothing open says why', async () => {
    await page.getByTestId('tile-reconcile').click();
    const first = page.getByTestId('service-card').first();
    const id = await first.getAttribute('data-card-id');
    await first.getByTestId('card-approve').click();
    await eventually(async () => assert.equal(await page.locator(`[data-testid=service-card][data-card-id=${q(id)}]`).count(), 0));
    await page.getByTestId('btn-billing-rebuild').click();
    await page.getByTestId('toast').filter({ hasText: 'rebuilt' }).first().waitFor();
    assert.equal(await page.locator(`[data-testid=service-card][data-card-id=${q(id)}]`).count(), 0, 'it does not come back as No Change');
    assert.deepEqual(b.errors, []);
    void m;
  });
});
