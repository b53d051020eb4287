// CSV usage import (#/billing › IMPORT CSV): the billing page's other usage source. The file is
// read in the browser and sent as JSON to POST /sim/usage/csv; the server checks every row and
// answers each problem with its row number, which this dialog lists.

import { h, mount, fmtDateTime, fmtQty } from './dom.js';
import { get, post, del, ApiError } from './api.js';
import { openModal, toast } from './ui.js';

const TEMPLATE = 'Account Name,Account ID,Product Name,SKU,Quantity,Unit Cost\nAcme Corp,,,SEC-SAT,12,1.00\nHarbor View Realty,,,BKP-GB,262.75,\n';

/** Opens the import dialog; resolves true when the usage changed (imported or removed). */
export async function openCsvImport() {
  let current = null;
  try { current = await get('/sim/usage/csv'); } catch { /* shown as no import */ }
  const fileInput = h('input', { type: 'file', accept: '.csv,text/csv', class: 'input', testid: 'csv-file', 'aria-label': 'Usage CSV file' });
  const aggregate = h('input', { type: 'checkbox', checked: true, testid: 'csv-aggregate' });
  const problems = h('ol', { class: 'csv-errors', testid: 'csv-errors', hidden: true });
  const template = h('a', {
    href: `data:text/csv;charset=utf-8,${encodeURIComponent(TEMPLATE)}`, download: 'usage-template.csv', testid: 'csv-template',
  }, 'Download the template');
  const usage = current && current.usage && current.usage.length ? current.usage : null;
  const currentBox = usage ? h('div', { class: 'csv-current', testid: 'csv-current' },
    h('p', { class: 'small' }, h('strong', {}, current.fileName), ` imported ${fmtDateTime(current.importedAt)}: ${usage.length} account and service pair(s).`),
    h('ul', { class: 'bullets small' }, usage.slice(0, 8).map((u) => h('li', {}, `${u.accountName} · ${u.serviceName} (${u.productCode}): ${fmtQty(u.quantity)}`))))
    : h('p', { class: 'muted small', testid: 'csv-current' }, 'No CSV usage imported yet.');

  let changed = false;
  const actions = [
    { label: 'CLOSE', kind: 'ghost', testid: 'modal-cancel', value: null },
  ];
  if (usage) {
    actions.push({ label: 'REMOVE IMPORT', kind: 'danger', testid: 'csv-remove', onClick: async () => {
      await del('/sim/usage/csv');
      changed = true;
      toast('CSV usage removed; the billing view was rebuilt');
      return true;
    } });
  }
  actions.push({ label: 'IMPORT', kind: 'primary', testid: 'csv-import-confirm', onClick: async () => {
    const file = fileInput.files && fileInput.files[0];
    if (!file) throw new Error('Choose a CSV file first');
    const csv = await file.text();
    problems.hidden = true;
    try {
      const r = await post('/sim/usage/csv', { csv, fileName: file.name, aggregate: aggregate.checked });
      changed = true;
      toast(`Imported ${r.rows} row(s) from ${r.fileName}: ${r.usage.length} card(s) fed; the billing view was rebuilt`);
      return true;
    } catch (e) {
      const list = e instanceof ApiError && e.body && Array.isArray(e.body.message) ? e.body.message : null;
      if (!list) throw e;
      mount(problems, list.map((m) => h('li', { testid: 'csv-error' }, m)));
      problems.hidden = false;
      throw new Error(`Nothing was imported: ${list.length} problem(s) in the file`);
    }
  } });

  await openModal({
    title: 'Import usage from a CSV file',
    testid: 'csv-dialog',
    wide: true,
    body: h('div', { class: 'form' },
      h('p', { class: 'small' }, 'The first row is the header. Columns: ', h('code', {}, 'Account Name, Account ID, Product Name, SKU, Quantity, Unit Cost'),
        ' (Account Name or ID, SKU or Product Name, and Quantity are needed; names match the PSA exactly). ', template, '.'),
      h('p', { class: 'muted small' }, 'Imported usage sits beside the integrations\' counts: on a line both feed, they are summed. A new file replaces the last one; a file with any bad row imports nothing.'),
      currentBox,
      h('label', { class: 'field' }, h('span', {}, 'File'), fileInput),
      h('label', { class: 'toggle' }, aggregate, h('span', {}, 'Aggregate: sum rows of the same account and SKU')),
      problems),
    actions,
  });
  return changed;
}
