// QA checklist (#/qa): Gradient's "Steps to QA the Integration" as a live checklist per integration,
// ticked by the server from what actually happened (GET /sim/qa), with the hint support would give
// on the first open step, the lint findings of the report (GET /sim/qa/report) and, once passed,
// the report to keep. The page polls every 2 s while it is shown and visible, so a vendor sees
// each step tick as their code works; it stops as soon as the user navigates away.

import { h, mount, icon, fmtDateTime } from './dom.js';
import { get, qs } from './api.js';
import { state, loadIntegrations } from './state.js';
import { button, emptyState } from './ui.js';

const POLL_MS = 2000;

const ROUND_TITLES = {
  1: ['Round 1', 'Connect, sync and see usage'],
  2: ['Round 2', 'Disconnect and reconnect: partners must be able to do it again'],
};

/** Both answers the page needs; the report is optional (its lint section just stays empty). */
async function load() {
  const [list, report] = await Promise.all([
    get('/sim/qa'),
    get('/sim/qa/report').catch(() => null),
  ]);
  return { list: Array.isArray(list) ? list : [], report };
}

export async function renderQa(main, params, ctx) {
  let data;
  try {
    data = await load();
  } catch (e) {
    if (e.status === 404) {
      mount(main,
        h('div', { class: 'page-head' }, h('div', {}, h('h1', {}, 'QA checklist'))),
        h('section', { class: 'panel center-panel', testid: 'coming-soon' },
          h('h2', {}, 'Not available'),
          h('p', { class: 'muted' }, 'This simulator build does not serve /sim/qa.')));
      return;
    }
    throw e;
  }
  if (!ctx.alive()) return;
  new QaPage(main, ctx).start(data);
}

class QaPage {
  constructor(main, ctx) {
    this.main = main;
    this.ctx = ctx;
    this.sig = null;
    this.doneBefore = null; // keys done at the previous paint (to flash newly ticked steps)
    this.timer = null;
    this.inflight = false;
    this.live = h('span', { class: 'live', testid: 'qa-live', dataset: { state: 'ok' }, title: 'The checklist re-reads GET /sim/qa every 2 seconds while this page is open' });
    this.body = h('div', { class: 'qa-body', testid: 'qa-body' });
    this.onVisibility = () => {
      if (!this.ctx.alive()) return;
      if (document.hidden) this.setLive('paused');
      else this.poll();
    };
  }

  start(data) {
    mount(this.main,
      h('div', { class: 'page-head' },
        h('div', {},
          h('h1', {}, 'QA checklist'),
          h('p', { class: 'subtitle' }, 'Gradient\'s "Steps to QA the Integration", ticked from what the partner and the vendor\'s code actually did. Work through them in your vendor portal: this page follows along.')),
        h('div', { class: 'page-actions' },
          this.live,
          button('REFRESH', { iconName: 'refresh', testid: 'btn-refresh-qa', onClick: () => this.poll() }))),
      this.body);
    this.paint(data);
    this.setLive('ok');
    document.addEventListener('visibilitychange', this.onVisibility);
    this.ctx.onLeave(() => this.stop());
    this.schedule();
  }

  stop() {
    clearTimeout(this.timer);
    this.timer = null;
    document.removeEventListener('visibilitychange', this.onVisibility);
  }

  schedule() {
    clearTimeout(this.timer);
    this.timer = null;
    if (!this.ctx.alive() || document.hidden) return;
    this.timer = setTimeout(() => this.poll(), POLL_MS);
  }

  async poll() {
    if (!this.ctx.alive()) { this.stop(); return; }
    if (this.inflight) return;
    clearTimeout(this.timer);
    if (document.hidden) { this.setLive('paused'); return; }
    this.inflight = true;
    try {
      const data = await load();
      if (!this.ctx.alive()) return;
      this.paint(data);
      this.setLive('ok');
    } catch (e) {
      if (this.ctx.alive()) this.setLive('error', e);
    } finally {
      this.inflight = false;
      this.schedule();
    }
  }

  setLive(kind, err) {
    this.live.dataset.state = kind;
    const now = fmtDateTime(new Date().toISOString()).replace(/^\S+ /, '');
    const label = kind === 'ok' ? `Live · checked ${now}`
      : kind === 'paused' ? 'Paused while the tab is hidden'
        : `Could not check (${err && err.message ? err.message : 'error'}): retrying`;
    mount(this.live, h('span', { class: 'live-dot' }), h('span', { testid: 'qa-live-text' }, label));
  }

  /** Re-draw only when something changed, so links keep focus and nothing flickers. */
  paint({ list, report }) {
    const reports = report && Array.isArray(report.reports) ? report.reports : [];
    const sig = JSON.stringify([list, reports.map((r) => [r.integrationId, r.lint, r.calls])]);
    if (sig === this.sig) return;
    // Something happened: the header's integration state (Connected, Ready to Connect…) moved too.
    if (this.sig !== null) loadIntegrations().catch(() => {});
    this.sig = sig;
    const done = new Set();
    for (const q of list) for (const s of q.steps || []) if (s.done) done.add(`${q.integrationId}/${s.key}`);
    const fresh = this.doneBefore ? new Set([...done].filter((k) => !this.doneBefore.has(k))) : new Set();
    this.doneBefore = done;
    const byId = new Map(reports.map((r) => [r.integrationId, r]));
    // The integration the user is looking at first.
    const ordered = [...list].sort((a, b) => (b.integrationId === state.currentIntegrationId) - (a.integrationId === state.currentIntegrationId));
    mount(this.body,
      ordered.length
        ? ordered.map((q) => integrationPanel(q, byId.get(q.integrationId), fresh))
        : emptyState('No integration', 'Nothing to check yet.'));
  }
}

function progressBar(done, total, testid) {
  const pct = total ? Math.round((done / total) * 100) : 0;
  return h('div', { class: ['progress', done === total && total > 0 && 'complete'], role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': String(total), 'aria-valuenow': String(done), 'aria-label': `${done} of ${total} steps done`, testid },
    h('div', { class: 'progress-fill', style: { width: `${pct}%` } }));
}

function vendorInitials(name) {
  return String(name || '?').split(/\s+/).filter(Boolean).slice(0, 2).map((w) => w[0].toUpperCase()).join('');
}

function integrationPanel(q, report, fresh) {
  const steps = Array.isArray(q.steps) ? q.steps : [];
  const vendorName = q.vendorName || (state.integrations.find((c) => c.id === q.integrationId) || {}).vendorName || q.integrationId;
  const doneCount = steps.filter((s) => s.done).length;
  const current = steps.find((s) => s.key === q.currentStep) || steps.find((s) => !s.done) || null;
  const rounds = [...new Set(steps.map((s) => s.round || 1))].sort();
  return h('section', { class: ['panel', 'qa-panel', q.passed && 'is-passed'], testid: 'qa-integration', dataset: { integrationId: q.integrationId, passed: String(Boolean(q.passed)), currentStep: q.currentStep || '' } },
    h('div', { class: 'qa-head' },
      h('div', { class: 'vendor-logo', 'aria-hidden': 'true' }, vendorInitials(vendorName)),
      h('div', { class: 'qa-head-text' },
        h('div', { class: 'qa-title-row' },
          h('h2', { testid: 'qa-vendor-name' }, vendorName),
          h('span', { class: ['badge', q.passed ? (warned(q) ? 'status-warn' : 'status-active') : 'status-pending'], testid: 'qa-passed' }, h('span', { class: 'dot' }), q.passed ? (q.verdict || 'QA passed') : 'In progress')),
        h('div', { class: 'qa-sub muted small' },
          h('span', { testid: 'qa-count' }, `${doneCount} of ${steps.length} steps done`),
          // One numbering: the QA rounds below (the connection's own cycle counts the seed's kickoff too).
          current && current.round ? h('span', { testid: 'qa-current-round' }, ` · round ${current.round}`) : null,
          current ? h('span', {}, ' · now: ', h('strong', { class: 'qa-now', testid: 'qa-now' }, current.title)) : null),
        progressBar(doneCount, steps.length, 'qa-progress'))),
    q.passed ? passedBanner(q, vendorName) : reportWaits(steps.length - doneCount),
    h('div', { class: 'qa-rounds' },
      rounds.map((r) => roundSection(q, r, steps.filter((s) => (s.round || 1) === r), fresh))),
    lintSection(q, report));
}

/** Done steps production would not accept as they are (e.g. the portal opened with no URL). */
function warned(q) { return (q.steps || []).some((s) => s.done && s.warning); }

function passedBanner(q, vendorName) {
  const base = { integrationId: q.integrationId };
  const jsonHref = `/sim/qa/report${qs(base)}`;
  const htmlHref = `/sim/qa/report${qs({ format: 'html', ...base })}`;
  const file = `synthesize-qa-report-${String(vendorName).toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'integration'}.json`;
  const withWarnings = warned(q);
  return h('div', { class: ['qa-passed-banner', withWarnings && 'with-warnings'], testid: 'qa-passed-banner', role: 'status', dataset: { warnings: String(withWarnings) } },
    h('div', { class: 'big-check' }, icon(withWarnings ? 'info' : 'check', { size: 24 })),
    h('div', { class: 'qa-passed-text' },
      h('h3', { testid: 'qa-verdict' }, q.verdict || 'QA passed'),
      h('p', {}, withWarnings
        ? 'Both rounds are done, but some steps carry a warning (marked !): production would not accept them as they are. Fix them and go through those steps again, or keep the report with its warnings.'
        : 'Both rounds are done: connect, sync, usage on the Billing page, then disconnect and the whole cycle again. Keep the report as evidence for Gradient.')),
    h('div', { class: 'qa-report-links', testid: 'qa-report-links' },
      h('span', { class: 'qa-report-label' }, 'Download report'),
      h('a', { class: 'btn btn-ghost btn-sm', href: jsonHref, download: file, testid: 'qa-report-json', title: 'The report as JSON (GET /sim/qa/report)' }, downloadIcon(), 'JSON'),
      h('a', { class: 'btn btn-primary btn-sm', href: htmlHref, target: '_blank', rel: 'noopener', testid: 'qa-report-html', title: 'A printable page, in a new tab' }, icon('external', { size: 14 }), 'Printable page')));
}

/** Where the report will be, before QA passes: the buttons show, disabled, with why. */
function reportWaits(left) {
  const why = `The report is ready to keep once QA passes: ${left} step${left === 1 ? '' : 's'} left.`;
  return h('div', { class: 'qa-report-links qa-report-waiting', testid: 'qa-report-links' },
    h('span', { class: 'qa-report-label' }, 'Download report'),
    h('button', { type: 'button', class: 'btn btn-ghost btn-sm', disabled: true, testid: 'qa-report-json', title: why, 'aria-describedby': 'qa-report-why' }, downloadIcon(), 'JSON'),
    h('button', { type: 'button', class: 'btn btn-ghost btn-sm', disabled: true, testid: 'qa-report-html', title: why, 'aria-describedby': 'qa-report-why' }, icon('external', { size: 14 }), 'Printable page'),
    h('span', { class: 'muted small', id: 'qa-report-why', testid: 'qa-report-why' }, why));
}

/** A download arrow (static markup, built node by node like dom.js's icons). */
function downloadIcon() {
  const NS = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(NS, 'svg');
  for (const [k, v] of Object.entries({ viewBox: '0 0 24 24', width: '14', height: '14', fill: 'none', stroke: 'currentColor', 'stroke-width': '2', 'stroke-linecap': 'round', 'stroke-linejoin': 'round', 'aria-hidden': 'true', class: 'icon icon-download' })) svg.setAttribute(k, v);
  for (const d of ['M12 3v12', 'M7 10l5 5 5-5', 'M4 21h16']) {
    const p = document.createElementNS(NS, 'path');
    p.setAttribute('d', d);
    svg.appendChild(p);
  }
  return svg;
}

function roundSection(q, round, steps, fresh) {
  const [name, what] = ROUND_TITLES[round] || [`Round ${round}`, ''];
  const done = steps.filter((s) => s.done).length;
  return h('section', { class: ['qa-round', done === steps.length && 'complete'], testid: 'qa-round', dataset: { round: String(round) } },
    h('div', { class: 'qa-round-head' },
      h('h3', {}, name, what ? h('span', { class: 'qa-round-what' }, ` · ${what}`) : null),
      h('span', { class: 'qa-round-count', testid: 'qa-round-count' }, `${done} / ${steps.length}`)),
    progressBar(done, steps.length, 'qa-round-progress'),
    h('ol', { class: 'qa-steps' }, steps.map((s) => stepItem(q, s, fresh))));
}

function stepItem(q, s, fresh) {
  const isCurrent = !s.done && s.key === q.currentStep;
  const isFresh = s.done && fresh.has(`${q.integrationId}/${s.key}`);
  const warn = s.done && s.warning;
  return h('li', { class: ['qa-step', s.done ? 'done' : 'open', warn && 'warn', isCurrent && 'current', isFresh && 'fresh'], testid: 'qa-step', 'aria-current': isCurrent ? 'step' : null, dataset: { key: s.key, done: String(Boolean(s.done)), current: String(isCurrent), warning: String(Boolean(warn)) } },
    h('span', { class: 'qa-tick', title: warn ? 'Done, with a warning' : s.done ? 'Done' : isCurrent ? 'Current step' : 'Not done yet' },
      warn ? h('span', { class: 'qa-tick-warn', 'aria-hidden': 'true' }, '!') : s.done ? icon('check', { size: 14 }) : isCurrent ? h('span', { class: 'qa-tick-dot' }) : null),
    h('div', { class: 'qa-step-main' },
      h('div', { class: 'qa-step-line' },
        h('span', { class: 'qa-step-title', testid: 'qa-step-title' }, s.title),
        s.done && s.at ? h('time', { class: 'qa-step-at', testid: 'qa-step-at', datetime: s.at, title: s.at }, fmtDateTime(s.at)) : null),
      s.done && s.evidence ? h('div', { class: 'qa-evidence', testid: 'qa-step-evidence' }, typeof s.evidence === 'string' ? s.evidence : JSON.stringify(s.evidence)) : null,
      warn ? h('div', { class: 'qa-callout qa-warning', testid: 'qa-warning', role: 'note' },
        h('div', { class: 'qa-callout-head' }, icon('info', { size: 15 }), 'Warning: production would not accept this as it is'),
        h('p', { testid: 'qa-warning-text' }, s.warning)) : null,
      !s.done && s.hint ? h('div', { class: 'qa-callout', testid: 'qa-hint', role: 'note' },
        h('div', { class: 'qa-callout-head' }, icon('info', { size: 15 }), 'What support would tell you'),
        h('p', { testid: 'qa-hint-text' }, s.hint)) : null));
}

function lintSection(q, report) {
  const lints = report && Array.isArray(report.lint) ? report.lint : null;
  const calls = report && report.calls ? report.calls : null;
  const journalLink = h('a', { href: '#/journal', testid: 'qa-journal-link' }, 'Journal');
  return h('section', { class: 'qa-lint', testid: 'qa-lint', dataset: { count: lints ? String(lints.length) : '' } },
    h('div', { class: 'qa-round-head' },
      h('h3', {}, 'Lint findings', h('span', { class: 'qa-round-what' }, ' · what works here but would hurt in production')),
      calls ? h('span', { class: 'muted small', testid: 'qa-calls' }, `${calls.recorded} vendor API call(s) recorded, ${calls.failed} failed`,
        // The demo portal's presses with a revoked key are the person playing the vendor, not its code.
        calls.demoPortalAfterDisconnect ? `, ${calls.demoPortalAfterDisconnect} from the demo vendor portal after a disconnect left out` : '',
        ' · ', journalLink) : null),
    lints === null
      ? h('p', { class: 'muted small' }, 'The report (GET /sim/qa/report) did not answer; the findings show up here once it does.')
      : lints.length === 0
        ? h('p', { class: 'qa-lint-none', testid: 'qa-lint-none' }, icon('check', { size: 14 }), ' No findings so far.')
        : h('ul', { class: 'lint-list' }, lints.map((l) => h('li', { class: 'lint-item', testid: 'qa-lint-item', dataset: { code: l.code } },
          h('div', { class: 'lint-head' },
            h('code', { class: 'lint-code', testid: 'qa-lint-code' }, l.code),
            h('span', { class: 'lint-count', testid: 'qa-lint-count', title: 'How many times' }, `× ${l.count}`),
            l.lastAt ? h('span', { class: 'muted small' }, `last ${fmtDateTime(l.lastAt)}`) : null),
          l.example ? h('p', { class: 'lint-example', testid: 'qa-lint-example' }, l.example) : null,
          h('dl', { class: 'lint-advice' },
            h('dt', {}, 'Why it matters'), h('dd', { testid: 'qa-lint-why' }, l.why || ''),
            h('dt', {}, 'What to change'), h('dd', { testid: 'qa-lint-fix' }, l.fix || ''))))));
}

