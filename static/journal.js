// Journal (#/journal): every vendor API call the simulator received (GET /sim/journal), newest
// first, with the lint the simulator attached. Filters go to the server as query parameters; a row
// click shows the request (headers, body), the response body and the findings with why / what to
// change. Request bodies are the vendor's own bytes: every one of them goes in as text.

import { h, mount, icon, fmtDateTime, priorityLabel } from './dom.js';
import { get, qs } from './api.js';
import { state } from './state.js';
import { button, emptyState, toastError } from './ui.js';

const LIMIT = 200;
const AUTO_MS = 3000;
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

// Kept while the console is open, so coming back to the page shows the same view.
const prefs = {
  filters: { route: '', method: '', status: '', integrationId: '', lint: false },
  auto: false,
};

export async function renderJournal(main, params, ctx) {
  const page = new JournalPage(main, ctx);
  let data;
  try {
    data = await page.fetch();
  } catch (e) {
    if (e.status === 404) {
      mount(main,
        h('div', { class: 'page-head' }, h('div', {}, h('h1', {}, 'Journal'))),
        h('section', { class: 'panel center-panel', testid: 'coming-soon' },
          h('h2', {}, 'Not available'),
          h('p', { class: 'muted' }, 'This simulator build does not serve /sim/journal.')));
      return;
    }
    if (e.status !== 400) throw e;
    data = { error: e };
  }
  if (!ctx.alive()) return;
  page.start(data);
}

/** A status 200..599 is sent to the server; anything else is refused here (the server would 400). */
function statusValid(s) { return s === '' || /^[1-5]\d\d$/.test(s); }

function query(f) {
  return qs({
    route: f.route.trim(),
    method: f.method,
    status: statusValid(f.status.trim()) ? f.status.trim() : '',
    integrationId: f.integrationId,
    lint: f.lint ? 'true' : '',
    limit: LIMIT,
  });
}

/**
 * Downloads the calls the filters show as HAR 1.2 (GET /sim/journal?format=har), for devtools,
 * Playwright's routeFromHAR, Postman or Insomnia. Fetched rather than linked, so that it is the
 * chosen partner's journal.
 */
async function downloadHar(f) {
  const params = new URLSearchParams(query(f).slice(1));
  params.delete('limit');
  params.set('format', 'har');
  const har = await get(`/sim/journal?${params}`);
  const url = URL.createObjectURL(new Blob([JSON.stringify(har, null, 2)], { type: 'application/json' }));
  const a = h('a', { href: url, download: 'synthesize-sim-journal.har', hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function activeFilters(f) {
  return Boolean(f.route.trim() || f.method || f.status.trim() || f.integrationId || f.lint);
}

class JournalPage {
  constructor(main, ctx) {
    this.main = main;
    this.ctx = ctx;
    this.f = prefs.filters;
    this.expanded = new Set();
    this.seq = 0;
    this.sig = null;
    this.timer = null;
    this.debounce = null;
  }

  async fetch() {
    return get(`/sim/journal${query(this.f)}`);
  }

  start(data) {
    const f = this.f;
    this.summary = h('div', { class: 'journal-summary', testid: 'journal-summary' });
    this.errorBox = h('div', { class: 'notice notice-error', testid: 'journal-error', role: 'alert', hidden: true });
    this.tableSlot = h('div', { testid: 'journal-slot' });

    const routeInput = h('input', { class: 'input', type: 'search', placeholder: 'Path contains… e.g. /count', value: f.route, testid: 'journal-filter-route', 'aria-label': 'Route or path contains' });
    routeInput.addEventListener('input', () => { f.route = routeInput.value; this.reloadSoon(); });
    routeInput.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); this.reload(); } });

    const methodSelect = h('select', { class: 'input', testid: 'journal-filter-method', 'aria-label': 'Method' },
      h('option', { value: '' }, 'Any method'),
      METHODS.map((m) => h('option', { value: m, selected: f.method === m }, m)));
    methodSelect.addEventListener('change', () => { f.method = methodSelect.value; this.reload(); });

    const statusInput = h('input', { class: 'input input-status', type: 'text', inputmode: 'numeric', maxlength: '3', placeholder: 'Status', value: f.status, list: 'journal-status-codes', testid: 'journal-filter-status', 'aria-label': 'HTTP status (exact code)', title: 'An exact HTTP status code, e.g. 401' });
    const statusList = h('datalist', { id: 'journal-status-codes' }, ['200', '201', '400', '401', '403', '404', '409', '422', '429'].map((c) => h('option', { value: c })));
    statusInput.addEventListener('input', () => {
      f.status = statusInput.value;
      const ok = statusValid(f.status.trim());
      statusInput.classList.toggle('invalid', !ok);
      statusInput.setAttribute('aria-invalid', ok ? 'false' : 'true');
      if (ok) this.reloadSoon();
    });
    statusInput.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); this.reload(); } });

    const integrationSelect = h('select', { class: 'input', testid: 'journal-filter-integration', 'aria-label': 'Integration' },
      h('option', { value: '' }, 'All integrations'),
      state.integrations.map((c) => h('option', { value: c.id, selected: f.integrationId === c.id }, c.vendorName)));
    integrationSelect.addEventListener('change', () => { f.integrationId = integrationSelect.value; this.reload(); });

    const lintBox = h('input', { type: 'checkbox', checked: f.lint, testid: 'journal-filter-lint' });
    lintBox.addEventListener('change', () => { f.lint = lintBox.checked; this.reload(); });

    this.clearBtn = button('CLEAR FILTERS', {
      small: true, testid: 'journal-clear',
      onClick: () => {
        Object.assign(f, { route: '', method: '', status: '', integrationId: '', lint: false });
        routeInput.value = ''; methodSelect.value = ''; statusInput.value = ''; integrationSelect.value = ''; lintBox.checked = false;
        statusInput.classList.remove('invalid');
        this.reload();
      },
    });

    const autoBox = h('input', { type: 'checkbox', checked: prefs.auto, testid: 'journal-auto-refresh' });
    autoBox.addEventListener('change', () => { prefs.auto = autoBox.checked; if (prefs.auto) this.startAuto(); else this.stopAuto(); });

    mount(this.main,
      h('div', { class: 'page-head' },
        h('div', {},
          h('h1', {}, 'Journal'),
          h('p', { class: 'subtitle' }, 'Every call the vendor API received, newest first, with what it answered and the lint the simulator found. Click a row for the request and the response.')),
        h('div', { class: 'page-actions' },
          h('label', { class: 'toggle', title: `Re-read the journal every ${AUTO_MS / 1000} s while this page is open` }, autoBox, 'Auto-refresh'),
          button('DOWNLOAD HAR', {
            testid: 'btn-download-har',
            title: 'The calls these filters show, as HAR 1.2 (devtools, Playwright, Postman, Insomnia)',
            onClick: () => downloadHar(f).catch((e) => toastError(e, 'Download HAR')),
          }),
          button('REFRESH', { iconName: 'refresh', testid: 'btn-refresh-journal', onClick: () => this.reload() }))),
      h('form', { class: 'toolbar journal-filters', testid: 'journal-filters', role: 'search', onsubmit: (e) => { e.preventDefault(); this.reload(); } },
        h('label', { class: 'search-box' }, icon('search'), routeInput),
        methodSelect,
        statusInput, statusList,
        state.integrations.length > 1 ? integrationSelect : null,
        h('label', { class: 'toggle' }, lintBox, 'Only calls with lint'),
        this.clearBtn),
      this.summary,
      this.errorBox,
      this.tableSlot);

    this.ctx.onLeave(() => { this.stopAuto(); clearTimeout(this.debounce); });
    this.show(data);
    if (prefs.auto) this.startAuto();
  }

  reloadSoon() {
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => this.reload(), 350);
  }

  async reload({ quiet = false } = {}) {
    clearTimeout(this.debounce);
    const seq = ++this.seq;
    if (!quiet) this.summary.classList.add('is-loading');
    try {
      const data = await this.fetch();
      if (!this.ctx.alive() || seq !== this.seq) return;
      this.show(data);
    } catch (e) {
      if (!this.ctx.alive() || seq !== this.seq) return;
      this.show({ error: e });
    } finally {
      if (seq === this.seq) this.summary.classList.remove('is-loading');
    }
  }

  startAuto() {
    this.stopAuto();
    this.timer = setInterval(() => {
      if (!this.ctx.alive()) { this.stopAuto(); return; }
      if (document.hidden) return;
      this.reload({ quiet: true });
    }, AUTO_MS);
  }

  stopAuto() { if (this.timer) { clearInterval(this.timer); this.timer = null; } }

  show(data) {
    this.clearBtn.hidden = !activeFilters(this.f);
    if (data && data.error) {
      mount(this.errorBox, icon('alert'), ' ', `Could not read the journal: ${data.error.message || data.error}`);
      this.errorBox.hidden = false;
      return;
    }
    this.errorBox.hidden = true;
    const rows = Array.isArray(data) ? data : (data && data.entries) || [];
    const total = data && typeof data.total === 'number' ? data.total : rows.length;
    const cap = state.info && state.info.config ? state.info.config.journalSize : null;
    const filtered = activeFilters(this.f);
    mount(this.summary,
      h('span', { testid: 'journal-count' },
        filtered ? `${rows.length} matching call${rows.length === 1 ? '' : 's'}` : `Showing ${rows.length}`,
        ' of ', h('strong', { testid: 'journal-total' }, String(total)), ' recorded'),
      rows.length >= LIMIT ? h('span', {}, ` (the newest ${LIMIT})`) : null,
      h('span', { class: 'muted', testid: 'journal-bounded' },
        ' · ', cap ? `The journal is bounded: it keeps the last ${cap} calls, oldest dropped first` : 'The journal is bounded: the oldest calls are dropped first',
        ', and long bodies are cut. RESET clears it.'),
      h('span', { class: 'journal-spinner spinner', 'aria-hidden': 'true' }));

    // Same answer as before (auto-refresh): keep the table and what is expanded as it is.
    const sig = JSON.stringify([total, rows.map((r) => r.id)]);
    if (sig === this.sig && this.tableSlot.firstChild) return;
    this.sig = sig;
    if (!rows.length) {
      mount(this.tableSlot, filtered
        ? emptyState('No call matches', 'Change or clear the filters.')
        : emptyState('No calls yet', 'Vendor API calls appear here as they arrive: the vendor\'s code calls /api/vendor-api with its GRADIENT-TOKEN.'));
      return;
    }
    const ids = new Set(rows.map((r) => r.id));
    for (const id of [...this.expanded]) if (!ids.has(id)) this.expanded.delete(id);
    mount(this.tableSlot, h('div', { class: 'table-wrap' }, h('table', { class: 'table journal-table', testid: 'journal-table' },
      h('thead', {}, h('tr', {},
        h('th', { class: 'col-caret' }, h('span', { class: 'sr-only' }, 'Expand')),
        h('th', {}, 'Time'), h('th', {}, 'Method'), h('th', {}, 'Path'), h('th', {}, 'Status'),
        h('th', { class: 'num' }, 'Duration'), h('th', {}, 'Integration'), h('th', {}, 'Partner key'), h('th', { class: 'num' }, 'Lint'))),
      rows.map((r) => this.rowGroup(r)))));
  }

  rowGroup(r) {
    const open = this.expanded.has(r.id);
    const lints = Array.isArray(r.lints) ? r.lints : [];
    const detail = h('tr', { class: 'j-detail', testid: 'journal-detail', hidden: !open, dataset: { id: String(r.id) } },
      h('td', { colspan: '9' }, open ? entryDetail(r) : null));
    const toggle = () => {
      const now = !this.expanded.has(r.id);
      if (now) this.expanded.add(r.id); else this.expanded.delete(r.id);
      row.classList.toggle('open', now);
      row.dataset.expanded = String(now);
      caret.setAttribute('aria-expanded', String(now));
      if (now && !detail.firstChild.firstChild) mount(detail.firstChild, entryDetail(r));
      detail.hidden = !now;
    };
    const status = Number(r.status);
    const detailId = `journal-detail-${r.id}`;
    detail.id = detailId;
    // The caret is the keyboard's way in; a click anywhere on the row does the same (unless the
    // user was selecting text to copy it).
    const caret = h('button', { type: 'button', class: 'icon-btn j-caret', testid: 'journal-expand', 'aria-expanded': String(open), 'aria-controls': detailId, 'aria-label': `Details of ${r.method || ''} ${r.path || ''}`, onclick: (e) => { e.stopPropagation(); toggle(); } }, icon('arrow', { size: 13 }));
    const row = h('tr', {
      class: ['j-row', open && 'open', status >= 400 && 'is-error'], testid: 'journal-row',
      dataset: { id: String(r.id), status: String(r.status), method: r.method || '', route: r.route || '', lintCount: String(lints.length), expanded: String(open) },
      onclick: () => { if (String(window.getSelection ? window.getSelection() : '') === '') toggle(); },
    },
    h('td', { class: 'col-caret' }, caret),
    h('td', { class: 'nowrap', testid: 'journal-time', title: r.at || '' }, fmtTime(r.at)),
    h('td', {}, h('span', { class: ['method', `method-${String(r.method || '').toLowerCase()}`], testid: 'journal-method' }, r.method || '')),
    h('td', { class: 'j-path' }, h('code', { testid: 'journal-path' }, breakable(r.path || r.route || '')), r.query ? h('code', { class: 'muted' }, breakable(`?${r.query}`)) : null),
    h('td', {}, statusBadge(r.status)),
    h('td', { class: 'num nowrap', testid: 'journal-duration' }, fmtDuration(r.durationMs)),
    h('td', { class: 'j-integration', testid: 'journal-integration' }, integrationName(r)),
    h('td', { class: 'nowrap' }, h('code', { class: 'j-token', testid: 'journal-token', title: 'The partner API key the GRADIENT-TOKEN carried, by its last four characters (as the integration card names it)' }, tokenHint(r.token))),
    h('td', { class: 'num' }, h('span', { class: ['lint-badge', lints.length ? 'has-lint' : 'no-lint'], testid: 'journal-lint-count', title: lints.map((l) => l.code).join(', ') || 'No lint' }, String(lints.length))));
    return h('tbody', { class: 'j-group', testid: 'journal-entry', dataset: { id: String(r.id) } }, row, detail);
  }
}

function statusBadge(status, testid = 'journal-status') {
  const n = Number(status);
  const cls = n >= 500 ? 'http-5xx' : n >= 400 ? 'http-4xx' : n >= 300 ? 'http-3xx' : 'http-2xx';
  return h('span', { class: ['http-badge', cls], testid, dataset: { status: String(status) } }, String(status ?? ''));
}

function integrationName(r) {
  if (!r.integrationId) return h('span', { class: 'muted', title: 'The token did not identify an integration' }, '—');
  const c = state.integrations.find((x) => x.id === r.integrationId);
  return h('span', { title: r.integrationId }, c ? c.vendorName : r.integrationId);
}

/** The server names the key redacted ("…abcd", the partner key's tail); never show more than its last four characters. */
function tokenHint(t) {
  if (!t) return '—';
  const s = String(t);
  const tail = s.replace(/^…/, '');
  return `…${tail.slice(-4)}`;
}

function fmtTime(s) {
  return fmtDateTime(s, '—', { ms: true });
}

function fmtDuration(ms) {
  if (ms === null || ms === undefined || Number.isNaN(Number(ms))) return '—';
  const v = Number(ms);
  return v < 10 ? `${v.toFixed(1)} ms` : `${Math.round(v)} ms`;
}

/** Pretty-printed JSON when the body parses, the raw text otherwise. */
function prettyBody(body) {
  if (body === null || body === undefined || body === '') return null;
  try { return { text: JSON.stringify(JSON.parse(body), null, 2), json: true }; } catch { return { text: String(body), json: false }; }
}

function bodyBlock(label, body, testid, truncated) {
  const p = prettyBody(body);
  return h('div', { class: 'j-block' },
    h('div', { class: 'j-block-head' }, h('h4', {}, label), p ? h('span', { class: 'chip chip-small' }, p.json ? 'JSON' : 'text') : null,
      truncated ? h('span', { class: 'chip chip-small chip-warn', title: 'The journal keeps only the start of long bodies' }, 'truncated') : null),
    p ? h('pre', { class: 'j-pre', testid }, p.text) : h('p', { class: 'muted small', testid }, 'No body'));
}

/** An alert's priority in words, on Gradient's scale, as the ticket it becomes shows it. */
function alertPriority(r) {
  if (!/alerting/.test(r.route || r.path || '')) return null;
  let p;
  try { p = JSON.parse(r.requestBody || '').priority; } catch { return null; }
  if (p === undefined || p === null) return null;
  return h('span', { class: ['prio', `prio-${p}`], testid: 'journal-priority', title: 'Alert priority on Gradient\'s scale (1 low to 4 very high)' }, `priority ${p}: ${priorityLabel(p)}`);
}

function entryDetail(r) {
  const lints = Array.isArray(r.lints) ? r.lints : [];
  const headers = Array.isArray(r.requestHeaders) ? r.requestHeaders : [];
  return h('div', { class: 'j-detail-inner' },
    h('div', { class: 'j-detail-line' },
      h('code', {}, `${r.method || ''} ${r.path || ''}${r.query ? `?${r.query}` : ''}`),
      r.route && r.route !== r.path ? h('span', { class: 'muted small' }, 'route ', h('code', {}, r.route)) : null,
      h('span', { class: 'muted small' }, `#${r.id} · ${fmtTime(r.at)}`),
      alertPriority(r)),
    lints.length ? h('div', { class: 'j-lints' },
      h('h4', {}, `Lint (${lints.length})`),
      h('ul', { class: 'lint-list' }, lints.map((l) => h('li', { class: 'lint-item', testid: 'journal-lint', dataset: { code: l.code } },
        h('div', { class: 'lint-head' }, h('code', { class: 'lint-code', testid: 'journal-lint-code' }, l.code)),
        l.message ? h('p', { class: 'lint-example', testid: 'journal-lint-message' }, l.message) : null,
        h('dl', { class: 'lint-advice' },
          h('dt', {}, 'Why it matters'), h('dd', { testid: 'journal-lint-why' }, l.why || ''),
          h('dt', {}, 'What to change'), h('dd', { testid: 'journal-lint-fix' }, l.fix || '')))))) : null,
    h('div', { class: 'j-detail-grid' },
      h('div', { class: 'j-col' },
        h('h3', {}, 'Request'),
        h('div', { class: 'j-block' },
          h('div', { class: 'j-block-head' }, h('h4', {}, 'Headers')),
          headers.length ? h('table', { class: 'j-headers', testid: 'journal-request-headers' },
            h('tbody', {}, headers.map(([k, v]) => h('tr', {}, h('th', {}, String(k)), h('td', {}, String(v))))))
            : h('p', { class: 'muted small' }, 'None recorded')),
        bodyBlock('Body', r.requestBody, 'journal-request-body', r.truncated)),
      h('div', { class: 'j-col' },
        h('h3', {}, 'Response ', statusBadge(r.status, 'journal-detail-status')),
        bodyBlock('Body', r.responseBody, 'journal-response-body', r.truncated))));
}

/** A path as text with line-break chances after its separators (/ ? & =), so a long path wraps
 * between its segments, never in the middle of a word. */
function breakable(text) {
  return String(text).split(/(?<=[/?&=])/).flatMap((part, i) => (i ? [document.createElement('wbr'), part] : [part]));
}
