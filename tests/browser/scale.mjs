// A real MSP's size, set up through the APIs: the large seed (1,000 PSA companies, 10,000
// contract lines) and thousands of vendor accounts. Shared by the scale tests and the console
// benchmark (bench/console.sh).
import { simOk, vendorClient, expectStatus } from './lib.mjs';

const BODY = 500; // accounts per POST, well under the body limit

/**
 * RESET to the large seed, then play the vendor: one service, `accounts` vendor accounts (the
 * first `exact` named as a PSA company, so they auto-map; the next `near` as near-misses of a
 * company's name; the rest the vendor's own names), status pending, and the wizard on Account
 * Mapping. Answers what the tests need to go on.
 */
export async function largeMapping({ accounts = 5000, exact = 600, near = 200 } = {}) {
  await simOk('POST', '/sim/reset', { seed: 'large' });
  const info = await simOk('GET', '/sim/info');
  const vendor = vendorClient(info.demoKeys.gradientToken);
  const [integ] = await simOk('GET', '/sim/integrations');
  const id = integ.id;
  const companies = (await simOk('GET', '/sim/psa')).companies.filter((c) => c.visibleInSynthesize !== false);
  const svc = expectStatus(await vendor('POST', '/service', { name: 'Pelican EDR', description: 'EDR per endpoint', category: 'security', subcategory: 'endpoint detection and response (EDR)' }), 201, 'service');
  const sku = svc.skus.find((s) => s.name === 'Pelican EDR').id;
  const rows = [];
  for (let i = 0; i < accounts; i += 1) {
    let name;
    if (i < exact) name = companies[i % companies.length].name;
    else if (i < exact + near) name = `${companies[i % companies.length].name.replace(/[.,]/g, '')} (tenant)`;
    else name = `Vendor Tenant ${String(i).padStart(5, '0')}`;
    rows.push({ id: `acct-${String(i).padStart(5, '0')}`, name, description: `tenant ${i}` });
  }
  for (let i = 0; i < rows.length; i += BODY) {
    expectStatus(await vendor('POST', '/organization/accounts', rows.slice(i, i + BODY)), 201, `accounts ${i}`);
  }
  expectStatus(await vendor('PATCH', '/organization/status/pending'), 200, 'pending');
  await simOk('POST', `/sim/integrations/${id}/step`, { step: 'account_mapping' });
  return { id, vendor, sku, companies, rows };
}

/**
 * largeMapping, then the service mapped to one PSA product, FINISH, one count per auto-mapped
 * account and a rebuild: the Billing page at the large seed with usage (10,000 cards).
 */
export async function largeBilling(opts = {}) {
  const m = await largeMapping(opts);
  const { id, vendor, sku } = m;
  const mappings = await simOk('GET', `/sim/integrations/${id}/mappings`);
  const edr = mappings.psaProducts.find((p) => p.productCode === 'SEC-EDR') || mappings.psaProducts[0];
  await simOk('PUT', `/sim/integrations/${id}/mappings/services/${sku}`, { psaProductIds: [edr.id] });
  await simOk('POST', `/sim/integrations/${id}/step`, { step: 'service_mapping' });
  await simOk('POST', `/sim/integrations/${id}/step`, { step: 'review' });
  await simOk('POST', `/sim/integrations/${id}/finish`);
  const mapped = mappings.accounts.filter((a) => a.psaAccountId);
  // Paced under production's 100 requests a second per token, when the simulator enforces it.
  const limited = ((await simOk('GET', '/sim/info')).config || {}).rateLimit !== 0;
  // Half the limit a second, after a quiet second: the limiter's window may still hold the
  // account posts just made.
  const burst = limited ? 50 : mapped.length;
  if (limited) await new Promise((r) => setTimeout(r, 1000));
  for (let i = 0; i < mapped.length; i += burst) {
    const start = Date.now();
    for (let j = i; j < Math.min(mapped.length, i + burst); j += 1) {
      expectStatus(await vendor('POST', `/service/${sku}/count?no_build=true`, { accountId: mapped[j].id, unitCount: 1 + (j % 97) }), 201, `count ${j}`);
    }
    if (limited) await new Promise((r) => setTimeout(r, Math.max(0, 1000 - (Date.now() - start))));
  }
  await simOk('POST', '/sim/billing/rebuild?vendorId=none');
  return { ...m, mapped: mapped.length };
}
