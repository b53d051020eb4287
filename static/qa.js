// QA checklist (#/qa) and request journal (#/journal). Both show a "coming soon" placeholder while
// the server does not serve /sim/qa or /sim/journal yet (404).

import { h, mount, icon, fmtDateTime } from './dom.js';
import { get, qs } from './api.js';
import { state } from './state.js';
import { button, withBusy, emptyState } from './ui.js';

function comingSoon(main, title, what) {
  mount(main,
    h('div', { class: 'page-head' }, h('div', {}, h('h1', {}, title))),
    h('section', { class: 'panel center-panel', testid: 'coming-soon' },
      h('h2', {}, 'Coming soon'),
      h('p', { class: 'muted' }, what)));
}

export async function renderQa(main, params, ctx) {
  let list;
  try {
    list = await get('/sim/qa');
  } catch (e) {
    if (e.status === 404) {
      comingSoon(main, 'QA checklist', 'Gradient\'s QA steps as a live checklist per integration, each step ticked from what actually happened, with hints when it is stuck. This simulator build does not serve /sim/qa yet.');
      return;
    }
    throw e;
  }
  if (!ctx.alive()) return;
  const vendorOf = (id) => (state.integrations.find((c) => c.id === id) || {}).vendorName || id;
  mount(main,
    h('div', { class: 'page-head' },
      h('div', {}, h('h1', {}, 'QA checklist'),
        h('p', { class: 'subtitle' }, 'Gradient\'s QA steps, ticked from what the partner and the vendor\'s code actually did.')),
      h('div', { class: 'page-actions' }, button('REFRESH', { iconName: 'refresh', testid: 'btn-refresh-qa', onClick: (b) => withBusy(b, () => renderQa(main, params, ctx)) }))),
    (Array.isArray(list) ? list : []).map((q) => h('section', { class: 'panel qa-panel', testid: 'qa-integration', dataset: { integrationId: q.integrationId, passed: String(Boolean(q.passed)) } },
      h('div', { class: 'status-head' },
        h('h2', {}, vendorOf(q.integrationId)),
        h('span', { class: ['badge', q.passed ? 'status-active' : 'status-pending'], testid: 'qa-passed' }, h('span', { class: 'dot' }), q.passed ? 'QA passed' : 'In progress'),
        q.cycle !== undefined ? h('span', { class: 'muted small' }, `cycle ${q.cycle}`) : null),
      h('ol', { class: 'qa-steps' }, (q.steps || []).map((s) => h('li', { class: ['qa-step', s.done && 'done'], testid: 'qa-step', dataset: { key: s.key, done: String(Boolean(s.done)) } },
        h('span', { class: 'qa-tick' }, s.done ? icon('check', { size: 14 }) : ''),
        h('div', {},
          h('strong', {}, s.title),
          s.done && s.at ? h('span', { class: 'muted small' }, ` · ${fmtDateTime(s.at)}`) : null,
          s.evidence ? h('div', { class: 'muted small' }, typeof s.evidence === 'string' ? s.evidence : JSON.stringify(s.evidence)) : null,
          !s.done && s.hint ? h('div', { class: 'qa-hint' }, icon('info', { size: 13 }), ' ', s.hint) : null))))),
    ));
  if (!list || !list.length) main.appendChild(emptyState('No integration', 'Nothing to check yet.'));
}

export async function renderJournal(main, params, ctx) {
  let entries;
  try {
    entries = await get(`/sim/journal${qs({ limit: 200 })}`);
  } catch (e) {
    if (e.status === 404) {
      comingSoon(main, 'Journal', 'Every vendor API call the simulator received, newest first, with lint warnings (deprecated fields, numeric ids, no_build on every call…). This simulator build does not serve /sim/journal yet.');
      return;
    }
    throw e;
  }
  if (!ctx.alive()) return;
  const rows = Array.isArray(entries) ? entries : (entries && (entries.entries || entries.items)) || [];
  mount(main,
    h('div', { class: 'page-head' },
      h('div', {}, h('h1', {}, 'Journal'), h('p', { class: 'subtitle' }, `The last ${rows.length} vendor API calls, newest first.`)),
      h('div', { class: 'page-actions' }, button('REFRESH', { iconName: 'refresh', testid: 'btn-refresh-journal', onClick: (b) => withBusy(b, () => renderJournal(main, params, ctx)) }))),
    rows.length ? h('div', { class: 'table-wrap' }, h('table', { class: 'table', testid: 'journal-table' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Time'), h('th', {}, 'Method'), h('th', {}, 'Path'), h('th', { class: 'num' }, 'Status'), h('th', {}, 'Warnings'))),
      h('tbody', {}, rows.map((r) => {
        const warnings = r.lints || r.lint || r.warnings || [];
        return h('tr', { testid: 'journal-row' },
          h('td', { class: 'nowrap' }, fmtDateTime(r.at || r.time || r.createdAt)),
          h('td', {}, h('code', {}, r.method || '')),
          h('td', {}, h('code', {}, r.path || r.route || '')),
          h('td', { class: ['num', Number(r.status) >= 400 ? 'neg' : 'pos'] }, r.status !== undefined ? String(r.status) : ''),
          h('td', {}, (Array.isArray(warnings) ? warnings : [warnings]).map((w) => h('div', { class: 'small' }, typeof w === 'string' ? w : (w.message || w.code || JSON.stringify(w))))));
      }))))
      : emptyState('No calls yet', 'Vendor API calls appear here as they arrive.'));
}
