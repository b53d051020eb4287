// The journal as HAR 1.2: the file the Journal page's DOWNLOAD HAR button saves validates with
// har-validator (the JSON schema of HAR 1.2 that devtools and Playwright follow), and Playwright's
// routeFromHAR replays it: the recorded answers come back even after the simulator has moved on.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import harValidator from 'har-validator';
import { openBrowser, gotoConsole, shot, simOk, vendorClient, expectStatus, BASE } from './lib.mjs';

let b;
before(async () => { b = await openBrowser(); });
after(async () => { if (b) await b.close(); });

/** har-validator resolves for a valid document and rejects with every schema error, shown whole. */
async function assertValidHar(doc, what) {
  try {
    await harValidator.har(doc);
  } catch (e) {
    assert.fail(`${what} is not valid HAR 1.2: ${JSON.stringify(e.errors || e.message, null, 1)}`);
  }
}

test('DOWNLOAD HAR saves the journal as valid HAR, and routeFromHAR replays its answers', async () => {
  const { page } = b;
  await simOk('POST', '/sim/reset');
  const info = await simOk('GET', '/sim/info');
  const vendor = vendorClient(info.demoKeys.gradientToken);
  expectStatus(await vendor('GET', ''), 200, 'profile');
  expectStatus(await vendor('POST', '/organization/accounts', [{ id: 'har-1', name: 'Replayed Account' }]), 201, 'accounts');
  const listed = expectStatus(await vendor('GET', '/organization/accounts'), 200, 'account list');
  assert.ok(JSON.stringify(listed).includes('har-1'));
  // A call the journal keeps with lint: a numeric id.
  await vendor('POST', '/organization/accounts', [{ id: 12, name: 'Numeric' }]);

  await gotoConsole(page, '#/journal');
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByTestId('btn-download-har').click(),
  ]);
  assert.equal(download.suggestedFilename(), 'synthesize-sim-journal.har');
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'synthsim-har-')), 'journal.har');
  await download.saveAs(file);
  const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
  await assertValidHar(doc, 'the downloaded journal');
  const entries = doc.log.entries;
  assert.ok(entries.length >= 4, `${entries.length} entries`);
  assert.ok(entries.some((e) => e._lints.length > 0), 'the lint rides along in _lints');
  assert.ok(!JSON.stringify(doc).includes(info.demoKeys.gradientToken), 'no whole token in the file');
  await shot(page, '75-journal-har', { fullPage: false });

  // The simulator moves on: after a reset the live list no longer has the account.
  await simOk('POST', '/sim/reset');
  const live = expectStatus(await vendor('GET', '/organization/accounts'), 200, 'live list');
  assert.ok(!JSON.stringify(live).includes('har-1'), 'the live answer changed');

  // Replayed from the file, the page's call gets the recorded answer.
  const replay = await b.context.newPage();
  try {
    await replay.routeFromHAR(file, { url: '**/api/vendor-api/**', notFound: 'abort' });
    await replay.goto(`${BASE}/sim/health`);
    const replayed = await replay.evaluate(async ([url, token]) => {
      const res = await fetch(url, { headers: { 'GRADIENT-TOKEN': token } });
      return { status: res.status, text: await res.text() };
    }, [`${BASE}/api/vendor-api/organization/accounts`, info.demoKeys.gradientToken]);
    assert.equal(replayed.status, 200);
    assert.ok(replayed.text.includes('har-1'), `recorded answer: ${replayed.text.slice(0, 200)}`);
  } finally {
    await replay.close();
  }
  fs.rmSync(path.dirname(file), { recursive: true, force: true });
});

test('GET /sim/journal?format=har answers valid HAR for a filtered view', async () => {
  const info = await simOk('GET', '/sim/info');
  const vendor = vendorClient(info.demoKeys.gradientToken);
  expectStatus(await vendor('GET', '/organization'), 200, 'organization');
  await vendor('GET', '/nowhere');
  const doc = await simOk('GET', '/sim/journal?format=har&method=GET');
  await assertValidHar(doc, 'the filtered journal');
  // The validator does refuse: the same document without its creator is not HAR.
  await assert.rejects(harValidator.har({ log: { ...doc.log, creator: undefined } }));
  assert.ok(doc.log.entries.length >= 1);
  assert.ok(doc.log.entries.every((e) => e.request.method === 'GET'));
});
