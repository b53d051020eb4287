// The billing page over time, from the sync runs (docs/sim-api.md, "Sync runs"): the last sync's
// strip above the cards, each number of it a filter of the cards (as the type tiles are), a mark
// on the cards the last run changed, and each card's history as a small chart.

import { h, mount, fmtQty, fmtDateTime } from './dom.js';
import { get, enc } from './api.js';
import { emptyState } from './ui.js';

const SVG_NS = 'http://www.w3.org/2000/svg';
// How many of the last rebuilt runs a card's chart shows.
const RUNS = 8;
// [filter, words after the number, testid]
const FILTERS = [['counted', 'counts', 'sync-counts'], ['changed', 'changed', 'sync-changed'],
  ['notMapped', 'not mapped', 'sync-not-mapped'], ['stopped', 'stopped reporting', 'sync-stopped']];

// The filter survives navigation within the session, as the page's other settings do.
let filter = '';

const hhmm = (iso) => (iso ? `${new Date(iso).toISOString().slice(11, 16)} UTC` : '');

export class SyncStrip {
  constructor(page) {
    this.page = page;
    this.run = null;
    this.ids = { changed: new Set(), stopped: new Set(), counted: new Set() };
    this.refused = [];
    /** card id -> its points at each of `this.runs`; null once asked for and not there. */
    this.history = new Map();
    this.runs = [];
    this.el = h('section', { class: 'sync-strip', testid: 'sync-strip', 'aria-label': 'Last sync' });
  }

  /** The newest run and the ids its numbers filter by; the histories drawn so far go stale. */
  async load() {
    this.history.clear();
    const list = await get('/sim/runs?limit=1&pairLimit=0');
    this.run = (list && list.runs && list.runs[0]) || null;
    if (!this.run) {
      this.ids = { changed: new Set(), stopped: new Set(), counted: new Set() };
      this.refused = [];
      filter = '';
      return;
    }
    const d = await get(`/sim/runs/${enc(String(this.run.id))}?kind=notMapped&limit=1000`);
    this.ids = { changed: new Set(d.cardIds.changed), stopped: new Set(d.cardIds.stoppedReporting), counted: new Set(d.cardIds.counted) };
    this.refused = d.pairs || [];
  }

  number(key) {
    const r = this.run;
    return { counted: r.counts, changed: r.changed, notMapped: r.notMapped, stopped: r.stoppedReporting }[key];
  }

  render() {
    const r = this.run;
    if (!r) {
      mount(this.el, h('p', { class: 'muted small', testid: 'sync-none' }, 'No sync yet: the vendor has sent no count since the last reset.'));
      return;
    }
    const at = r.endedAt || r.lastCountAt;
    const btn = ([key, words, testid]) => h('button', {
      type: 'button', class: ['sync-num', filter === key && 'active'], testid, 'aria-pressed': String(filter === key),
      title: filter === key ? 'Show every card again' : key === 'notMapped' ? 'Show the refused pairs' : `Show only the cards counted as ${words}`,
      onclick: () => { filter = filter === key ? '' : key; this.render(); this.page.renderResults(); },
    }, h('strong', {}, String(this.number(key))), ` ${words}`);
    const parts = [];
    FILTERS.forEach((f, i) => { if (i) parts.push(', '); parts.push(btn(f)); });
    mount(this.el,
      h('p', { class: 'sync-line' },
        h('span', { class: 'sync-when', testid: 'sync-when', title: fmtDateTime(at), dataset: { at } },
          r.open ? `Sync in progress since ${hhmm(r.startedAt)}: ` : `Last sync ${hhmm(at)}: `),
        parts),
      r.flagged ? h('p', { class: 'notice notice-warn small', testid: 'sync-flag' }, `Flagged: ${r.flag}. They are not on the billing page until a rebuild (REBUILD builds them now).`) : null,
      r.rebuildPending ? h('p', { class: 'muted small', testid: 'sync-pending' }, 'The billing rebuild that ends this sync is pending; reload in a moment.') : null);
  }

  /** Whether a card passes the strip's filter. */
  keeps(c) {
    if (!filter || filter === 'notMapped' || !this.run) return true;
    return this.ids[filter].has(c.id);
  }

  filtering() { return !!filter && !!this.run; }

  /** Refused counts have no card: their filter shows the pairs instead. */
  replacesCards() { return filter === 'notMapped' && !!this.run; }

  notMappedView() {
    if (!this.refused.length) return emptyState('No count refused', 'Every count of the last sync was for a mapped account and service.');
    return h('div', { class: 'table-wrap' }, h('table', { class: 'table', testid: 'sync-refused' },
      h('caption', { class: 'muted small' }, 'Counts of the last sync refused (404) for an account or service the partner has not mapped'),
      h('thead', {}, h('tr', {}, h('th', {}, 'Vendor account'), h('th', {}, 'Service'), h('th', { class: 'num' }, 'Counts refused'), h('th', { class: 'num' }, 'Last unit count'))),
      h('tbody', {}, this.refused.map((p) => h('tr', { testid: 'sync-refused-row' },
        h('td', {}, p.accountId), h('td', {}, p.serviceId), h('td', { class: 'num' }, String(p.counts)), h('td', { class: 'num' }, fmtQty(p.unitCount)))))));
  }

  /** The mark of a card the last run changed. */
  mark(c) {
    if (!this.run) return null;
    if (this.ids.stopped.has(c.id)) return h('span', { class: 'chip chip-small chip-warn', testid: 'card-sync-mark', dataset: { change: 'stopped' }, title: `The vendor's number turned to "-" in the last sync` }, 'Stopped reporting');
    if (this.ids.changed.has(c.id)) return h('span', { class: 'chip chip-small chip-on', testid: 'card-sync-mark', dataset: { change: 'changed' }, title: 'Changed in the last sync' }, 'Changed in last sync');
    return null;
  }

  /** Where a card's chart goes once its history is in. */
  slot(c) {
    const el = h('div', { class: 'card-history', testid: 'card-history', dataset: { historyFor: c.id } });
    const known = this.history.get(c.id);
    if (known) this.draw(el, c, known);
    return el;
  }

  /** Fetches the history of the cards just drawn (one request a page), then charts them. */
  async fill(cards) {
    const ids = cards.map((c) => c.id).filter((id) => !this.history.has(id));
    if (!ids.length || !this.run) return;
    for (const id of ids) this.history.set(id, null);
    let d;
    try {
      d = await get(`/sim/billing/history?runs=${RUNS}&cardIds=${ids.map(enc).join(',')}`);
    } catch {
      return; // the chart is extra: the cards stay as they are
    }
    this.runs = d.runs || [];
    for (const c of cards) {
      const points = d.cards && d.cards[c.id];
      if (!points) continue;
      this.history.set(c.id, points);
      const el = this.page.results.querySelector(`[data-history-for="${CSS.escape(c.id)}"]`);
      if (el) this.draw(el, c, points);
    }
  }

  /** A line each for the PSA and the vendor quantity over the runs, the numbers on hover
   * (title) and in a table for screen readers. */
  draw(el, c, points) {
    if (!this.runs.length) return;
    const W = 150; const H = 34; const P = 4;
    const vals = points.flatMap((p) => (p ? [p.psaQuantity, p.vendorQuantity] : [])).filter((v) => v !== null && v !== undefined);
    if (!vals.length) return;
    const lo = Math.min(...vals); const hi = Math.max(...vals);
    const x = (i) => (points.length === 1 ? W / 2 : P + (i * (W - 2 * P)) / (points.length - 1));
    const y = (v) => (hi === lo ? H / 2 : H - P - ((v - lo) * (H - 2 * P)) / (hi - lo));
    const svg = document.createElementNS(SVG_NS, 'svg');
    svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
    svg.setAttribute('width', W);
    svg.setAttribute('height', H);
    svg.setAttribute('class', 'history-chart');
    svg.setAttribute('aria-hidden', 'true');
    const line = (key, cls) => {
      // A gap where the value is missing (no card, or "-"): the line lifts its pen.
      let d = '';
      let pen = false;
      points.forEach((p, i) => {
        const v = p && p[key];
        if (v === null || v === undefined) { pen = false; return; }
        d += `${pen ? 'L' : 'M'}${x(i).toFixed(1)},${y(v).toFixed(1)} `;
        pen = true;
      });
      if (!d) return;
      const path = document.createElementNS(SVG_NS, 'path');
      path.setAttribute('d', d.trim());
      path.setAttribute('class', cls);
      svg.appendChild(path);
    };
    line('psaQuantity', 'h-psa');
    line('vendorQuantity', 'h-vendor');
    points.forEach((p, i) => {
      if (!p) return;
      const run = this.runs[i] || {};
      const dot = document.createElementNS(SVG_NS, 'circle');
      dot.setAttribute('cx', x(i).toFixed(1));
      dot.setAttribute('cy', y(p.vendorQuantity ?? p.psaQuantity).toFixed(1));
      dot.setAttribute('r', '3');
      dot.setAttribute('class', p.vendorQuantity === null ? 'h-dot h-dot-psa' : 'h-dot');
      const title = document.createElementNS(SVG_NS, 'title');
      title.textContent = `${fmtDateTime(run.endedAt)}: PSA ${fmtQty(p.psaQuantity)}, vendor ${fmtQty(p.vendorQuantity)}`;
      dot.appendChild(title);
      svg.appendChild(dot);
    });
    const first = points.find(Boolean); const last = [...points].reverse().find(Boolean);
    mount(el,
      h('div', { class: 'history-head muted small' },
        h('span', { 'aria-hidden': 'true' }, h('span', { class: 'key key-vendor' }), 'Vendor ', h('span', { class: 'key key-psa' }), 'PSA'),
        h('span', { testid: 'card-history-summary' }, `last ${points.length} sync${points.length === 1 ? '' : 's'}: vendor ${fmtQty(first.vendorQuantity)} → ${fmtQty(last.vendorQuantity)}`)),
      svg,
      // Hidden in a wrapper: a table keeps its own width under the clipping of .sr-only.
      h('div', { class: 'sr-only' }, h('table', { testid: 'card-history-table' },
        h('caption', {}, `${c.serviceName} for ${c.accountName}, over the last syncs`),
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Sync'), h('th', { scope: 'col' }, 'PSA'), h('th', { scope: 'col' }, 'Vendor'))),
        h('tbody', {}, points.map((p, i) => h('tr', {},
          h('th', { scope: 'row' }, fmtDateTime((this.runs[i] || {}).endedAt)),
          h('td', {}, p ? fmtQty(p.psaQuantity) : 'no card'), h('td', {}, p ? fmtQty(p.vendorQuantity) : 'no card')))))));
  }
}
