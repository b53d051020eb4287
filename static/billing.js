// Billing page (#/billing): the service cards of the last rebuild, in card view (grouped by service)
// or list view (grouped by account, service or contract), with Approve / Adjust / Dismiss and bulk actions.

import { h, mount, icon, fmtDateTime, fmtMoney, fmtQty, fmtSigned, signClass } from './dom.js';
import { get, post, enc, qs } from './api.js';
import { state } from './state.js';
import { openCsvImport } from './csv-import.js';
import { openModal, toast, toastError, button, withBusy, emptyState, setBusy } from './ui.js';
import { SyncStrip } from './billing-runs.js';

// The partner's PSA names things its own way (ConnectWise: Company / Agreement; Autotask:
// Account / Contract; HaloPSA: Customer / Recurring Invoice); the server says which.
const DEFAULT_TERMS = { account: 'Company', contract: 'Agreement', service: 'Addition' };
const terms = (d) => (d && d.psa && d.psa.terms) || DEFAULT_TERMS;

const TYPE_LABEL = { new_revenue: 'New Revenue', reconcile: 'Reconcile', no_change: 'No Change', psa_only: 'PSA only' };
const ACTIONED = new Set(['approved', 'adjusted', 'dismissed', 'actioned']);

// View settings survive navigation within the session.
const prefs = { view: 'card', groupBy: 'account', search: '', vendorId: '', includeActioned: false, type: '' };

// Cards are drawn a page at a time (more as the partner scrolls): 10,000 cards at once were a
// page 442,000 px tall that took seconds to lay out.
const PAGE = 120;
const TILES = [['reconcile', 'Reconcile', 'summary-reconcile'], ['new_revenue', 'New Revenue', 'summary-new-revenue'],
  ['no_change', 'No Change', 'summary-no-change'], ['psa_only', 'PSA only', 'summary-psa-only']];

export async function renderBilling(main, _params, ctx) {
  const page = new BillingPage(main, ctx);
  await page.load();
}

class BillingPage {
  constructor(main, ctx) {
    this.main = main;
    this.ctx = ctx;
    this.data = null;
    this.cards = new Map();
    this.selected = new Set();
    /** New Revenue card id -> the agreement the partner picked for its line. */
    this.agreementFor = new Map();
    this.results = h('div', { class: 'billing-results', testid: 'billing-results' });
    this.bulkBar = h('div', { class: 'bulk-bar', testid: 'bulk-bar', hidden: true });
    this.summary = h('div', { class: 'billing-summary', testid: 'billing-summary' });
    this.sync = new SyncStrip(this);
  }

  async load() {
    const groupBy = prefs.view === 'card' ? 'service' : prefs.groupBy;
    const [data] = await Promise.all([
      get(`/sim/billing${qs({ view: prefs.view, groupBy, includeActioned: prefs.includeActioned ? 'true' : '' })}`),
      // The strip is extra: a failure leaves the page without it rather than without cards.
      this.sync.load().catch(() => { this.sync.run = null; })]);
    if (!this.ctx.alive()) return;
    this.setData(data);
    this.renderPage();
  }

  setData(data) {
    this.data = data || { cards: [] };
    this.cards = new Map((this.data.cards || []).map((c) => [c.id, c]));
    // What the search box looks in, lower-cased once rather than on every keystroke.
    this.haystack = new Map((this.data.cards || []).map((c) => [c.id,
      [c.serviceName, c.productCode, c.accountName, c.contractName, ...(c.vendors || []).map((v) => v.name)].filter(Boolean).join('\n').toLowerCase()]));
    for (const id of [...this.selected]) if (!this.cards.has(id)) this.selected.delete(id);
  }

  async reload(btn) {
    await withBusy(btn, async () => { await this.load(); toast('Billing page reloaded', 'info', 2000); });
  }

  async rebuild(btn) {
    await withBusy(btn, async () => {
      const groupBy = prefs.view === 'card' ? 'service' : prefs.groupBy;
      const data = await post(`/sim/billing/rebuild${qs({ view: prefs.view, groupBy, includeActioned: prefs.includeActioned ? 'true' : '' })}`);
      if (data && Array.isArray(data.cards)) { await this.sync.load().catch(() => {}); this.setData(data); this.renderPage(); } else await this.load();
      toast('Billing view rebuilt', 'info', 2500);
    });
  }

  renderPage() {
    const d = this.data;
    const vendors = [...((state.info && state.info.vendors) || [])];
    // CSV-imported usage is a source of its own, filterable like a vendor.
    if ((d.cards || []).some((c) => (c.usageSources || []).includes('csv'))) vendors.push({ id: 'csv-import', name: 'CSV import' });
    const searchInput = h('input', {
      type: 'search', class: 'input', placeholder: 'Search service, account or contract', value: prefs.search, testid: 'billing-search', 'aria-label': 'Search service cards',
      oninput: (e) => { prefs.search = e.target.value; this.renderResults(); },
    });
    const vendorSel = h('select', {
      class: 'input', testid: 'billing-vendor-filter', 'aria-label': 'Filter by vendor',
      onchange: (e) => { prefs.vendorId = e.target.value; this.renderResults(); },
    }, h('option', { value: '' }, 'All vendors'), vendors.map((v) => h('option', { value: v.id, selected: prefs.vendorId === v.id }, v.name)));
    const viewToggle = h('div', { class: 'seg', role: 'group', 'aria-label': 'View' },
      ['card', 'list'].map((v) => h('button', {
        type: 'button', class: ['seg-btn', prefs.view === v && 'active'], testid: `view-${v}`, 'aria-pressed': String(prefs.view === v),
        onclick: () => { if (prefs.view === v) return; prefs.view = v; this.renderPage(); this.main.querySelector(`[data-testid=view-${v}]`).focus(); },
      }, v === 'card' ? 'Card view' : 'List view')));
    const groupSel = prefs.view === 'list' ? h('label', { class: 'inline-label' }, 'Group by ',
      h('select', {
        class: 'input', testid: 'billing-group-by',
        onchange: (e) => { prefs.groupBy = e.target.value; this.renderPage(); },
      }, [['account', `${terms(d).account} (accounts)`], ['service', 'Services'], ['contract', `${terms(d).contract} (contracts)`]].map(([v, l]) => h('option', { value: v, selected: prefs.groupBy === v }, l)))) : null;
    const actionedToggle = h('label', { class: 'toggle' },
      h('input', { type: 'checkbox', testid: 'billing-include-actioned', checked: prefs.includeActioned, onchange: async (e) => { prefs.includeActioned = e.target.checked; await this.load().catch((er) => toastError(er)); } }),
      h('span', {}, 'Show actioned'));

    mount(this.main,
      h('div', { class: 'page-head' },
        h('div', {},
          h('h1', {}, 'Billing'),
          h('p', { class: 'rebuilt', testid: 'billing-built-at', dataset: { builtAt: d.builtAt || '' } },
            icon('refresh', { size: 15 }), ' Last rebuilt at ', h('strong', {}, fmtDateTime(d.builtAt, 'never')),
            d.period ? h('span', { class: 'period', testid: 'billing-period' }, ` · billing period ${d.period}`) : null),
          d.psa ? h('p', { class: 'muted small', testid: 'billing-psa', dataset: { psaKind: d.psa.kind, effectiveRule: d.psa.effectiveRule } },
            `${d.psa.name}: approvals take effect ${d.psa.effectiveRule === 'immediate' ? 'at once' : `on ${d.psa.approvalDate} (1st of next month)`}`,
            d.psa.takesDecimals ? '' : '; whole quantities only (decimals are rounded on write-back)') : null,
          d.pendingRebuild ? h('p', { class: 'notice notice-info small', testid: 'billing-pending' }, icon('info', { size: 14 }),
            ' New usage arrived after this rebuild; the rebuild is debounced. Reload the page in a moment to see it.') : null),
        h('div', { class: 'page-actions' },
          button('IMPORT CSV', { testid: 'btn-csv-import', title: 'Usage from a CSV file, the other usage source (POST /sim/usage/csv)', onClick: async () => { if (await openCsvImport()) await this.load(); } }),
          button('RELOAD', { iconName: 'refresh', testid: 'btn-billing-reload', title: 'Read the last rebuild again (as a browser reload)', onClick: (b) => this.reload(b) }),
          button('REBUILD', { kind: 'primary', testid: 'btn-billing-rebuild', title: 'Rebuild the billing view now (POST /sim/billing/rebuild)', onClick: (b) => this.rebuild(b) }))),
      this.sync.el,
      this.summary,
      roundNote(d),
      h('div', { class: 'toolbar', testid: 'billing-toolbar' },
        viewToggle,
        h('div', { class: 'search-box' }, icon('search'), searchInput),
        vendorSel, groupSel, actionedToggle),
      this.bulkBar,
      this.results);
    this.sync.render();
    this.renderResults();
  }

  visibleCards() {
    const q = prefs.search.trim().toLowerCase();
    return [...this.cards.values()].filter((c) => {
      if (prefs.type && c.type !== prefs.type) return false;
      if (!this.sync.keeps(c)) return false;
      if (prefs.vendorId && !(c.vendors || []).some((v) => v.id === prefs.vendorId)) return false;
      return !q || this.haystack.get(c.id).includes(q);
    });
  }

  /** Groups from the server (order, titles) applied to the cards still on the page. */
  groups(visible) {
    const groupBy = prefs.view === 'card' ? 'service' : prefs.groupBy;
    const vis = new Set(visible.map((c) => c.id));
    const out = [];
    const placed = new Set();
    // The server's groups when they are the grouping asked for; switching views regroups here,
    // without asking the server for 10,000 cards again.
    const serverGroups = Array.isArray(this.data.groups) && (this.data.groupBy || 'service') === groupBy ? this.data.groups : [];
    for (const g of serverGroups) {
      const cards = (g.cardIds || []).filter((id) => vis.has(id) && !placed.has(id)).map((id) => this.cards.get(id));
      cards.forEach((c) => placed.add(c.id));
      if (cards.length) out.push({ key: g.key, title: g.title, cards });
    }
    // Anything the server's groups did not cover (or no groups at all): group here.
    const rest = visible.filter((c) => !placed.has(c.id));
    // As the server groups: keys and titles alike, groups in the order of their first card.
    const keyOf = (c) => groupBy === 'account' ? [c.psaAccountId, c.accountName]
      : groupBy === 'contract' ? [c.contractId || `new:${c.psaAccountId}`, c.contractName ? `${c.accountName} — ${c.contractName}` : `${c.accountName} — no contract (New Revenue)`]
        : [c.productId || c.serviceName, c.serviceName];
    const local = new Map();
    for (const c of rest) {
      const [k, t] = keyOf(c);
      if (!local.has(k)) local.set(k, { key: k, title: t, cards: [] });
      local.get(k).cards.push(c);
    }
    out.push(...local.values());
    return out;
  }

  renderSummary() {
    const all = [...this.cards.values()];
    const count = (t) => all.filter((c) => c.type === t).length;
    const rev = all.reduce((s, c) => s + (Number(c.revenueChange) || 0), 0);
    const prof = all.reduce((s, c) => s + (Number(c.profitChange) || 0), 0);
    // The type tiles filter the cards (press again to show every type).
    const tile = ([type, label, testid]) => h('button', {
      type: 'button', class: ['stat', 'stat-filter', prefs.type === type && 'active'], testid: `tile-${type}`,
      'aria-pressed': String(prefs.type === type), title: prefs.type === type ? 'Show every type again' : `Show only ${label} cards`,
      onclick: () => { prefs.type = prefs.type === type ? '' : type; this.renderResults(); },
    }, h('span', { class: 'stat-label' }, label), h('strong', { class: 'stat-value', testid }, String(count(type))));
    mount(this.summary,
      TILES.map(tile),
      stat('Revenue change', fmtMoney(rev), 'summary-revenue', signClass(rev)),
      stat('Profit change', fmtMoney(prof), 'summary-profit', signClass(prof)));
  }

  /** Draw the cards the filters leave, the first `keep` of them (at least a page) at once. */
  renderResults({ keep = 0 } = {}) {
    this.renderSummary();
    const visible = this.visibleCards();
    this.visibleCount = visible.length;
    this.flat = [];
    this.groupEls = new Map();
    this.shown = 0;
    if (this.observer) { this.observer.disconnect(); this.observer = null; }
    if (this.sync.replacesCards()) {
      mount(this.results, this.sync.notMappedView());
    } else if (this.cards.size === 0) {
      mount(this.results, emptyState('No service cards', 'The PSA has no active contract lines, or every card has been actioned this billing period.'));
    } else if (visible.length === 0) {
      const undo = this.sync.filtering() ? 'press the last sync\'s number again' : prefs.type ? 'press its tile again' : '';
      mount(this.results, emptyState('No card matches', undo ? `No ${prefs.type ? `${TYPE_LABEL[prefs.type]} ` : ''}card matches: ${undo}, or change the search or the vendor filter.` : 'Change the search or the vendor filter.'));
    } else {
      for (const g of this.groups(visible)) for (const c of g.cards) this.flat.push({ g, c });
      this.container = prefs.view === 'card' ? h('div', { class: 'card-groups' }) : this.listTable();
      this.moreBtn = h('button', { type: 'button', class: 'btn btn-ghost list-more', testid: 'billing-more', onclick: () => this.appendPage() });
      mount(this.results, this.container, this.moreBtn);
      this.appendPage(Math.max(PAGE, keep));
      // The next page comes on its own as the partner scrolls near the end.
      if ('IntersectionObserver' in window) {
        this.observer = new IntersectionObserver((es) => { if (es.some((e) => e.isIntersecting) && this.ctx.alive()) this.appendPage(); }, { rootMargin: '600px' });
        this.observer.observe(this.moreBtn);
      }
    }
    this.renderBulkBar();
  }

  appendPage(n = PAGE) {
    const end = Math.min(this.flat.length, this.shown + n);
    if (prefs.view === 'card') this.sync.fill(this.flat.slice(this.shown, end).map((x) => x.c));
    for (let i = this.shown; i < end; i += 1) {
      const { g, c } = this.flat[i];
      let ge = this.groupEls.get(g.key);
      if (!ge) { ge = prefs.view === 'card' ? this.cardGroup(g) : this.listGroup(g); this.groupEls.set(g.key, ge); }
      ge.add(c);
    }
    this.shown = end;
    const rest = this.flat.length - end;
    this.results.dataset.shown = String(end);
    this.results.dataset.total = String(this.flat.length);
    this.moreBtn.hidden = rest <= 0;
    this.moreBtn.textContent = `Show more (${rest.toLocaleString('en-US')} of ${this.flat.length.toLocaleString('en-US')} cards left)`;
  }

  groupTotals(g) {
    const rev = g.cards.reduce((s, c) => s + (Number(c.revenueChange) || 0), 0);
    const prof = g.cards.reduce((s, c) => s + (Number(c.profitChange) || 0), 0);
    return h('div', { class: 'group-totals' },
      h('span', {}, 'Revenue change ', h('strong', { class: signClass(rev), testid: 'group-revenue' }, fmtMoney(rev))),
      h('span', {}, 'Profit change ', h('strong', { class: signClass(prof), testid: 'group-profit' }, fmtMoney(prof))));
  }

  /** A group's section (its header counts every card of the group, drawn or not); `add` puts a
   * card in it. Cards with vendor usage, then the PSA-only ones in a grid of their own: mixed in
   * one grid, the short PSA-only cards stretch to the taller ones' height and leave white gaps. */
  cardGroup(g) {
    const section = h('section', { class: 'card-group', testid: 'billing-group', dataset: { groupKey: g.key, groupTitle: g.title } },
      h('header', { class: 'group-head' },
        h('h2', { testid: 'group-title' }, g.title, h('span', { class: 'col-count' }, String(g.cards.length))),
        this.groupTotals(g)));
    this.container.appendChild(section);
    const usage = g.cards.filter((c) => c.type !== 'psa_only').length;
    const psaOnly = g.cards.length - usage;
    let usageGrid = null;
    let psaGrid = null;
    return {
      add: (c) => {
        if (c.type !== 'psa_only') {
          if (!usageGrid) usageGrid = section.appendChild(h('div', { class: 'svc-grid' }));
          usageGrid.appendChild(this.serviceCard(c));
          return;
        }
        if (!psaGrid) {
          psaGrid = section.appendChild(h('div', { class: ['svc-grid', 'svc-grid-psa', usage && 'after-usage'], testid: 'psa-only-grid' },
            usage ? h('p', { class: 'grid-note muted small' }, `PSA only: ${psaOnly} line${psaOnly === 1 ? '' : 's'} with no vendor usage`) : null));
        }
        psaGrid.appendChild(this.serviceCard(c));
      },
    };
  }

  actionable(c) { return c.type !== 'psa_only' && !ACTIONED.has(c.state); }

  checkbox(c) {
    if (!this.actionable(c)) return null;
    return h('input', {
      type: 'checkbox', class: 'card-check', testid: 'card-select', 'aria-label': `Select ${c.serviceName} for ${c.accountName}`, checked: this.selected.has(c.id),
      onchange: (e) => { if (e.target.checked) this.selected.add(c.id); else this.selected.delete(c.id); this.renderBulkBar(); markSelected(e.target, e.target.checked); },
    });
  }

  serviceCard(c) {
    const hasVendor = c.type !== 'psa_only';
    let qty;
    if (!hasVendor) {
      qty = h('div', { class: 'qty-row one' },
        h('div', { class: 'qty psa' }, h('span', { class: 'qty-label' }, 'PSA'), h('span', { class: 'qty-num', testid: 'card-psa-qty' }, fmtQty(c.psaQuantity))),
        h('div', { class: 'qty vendor-slot', testid: 'card-vendor-slot', dataset: { feed: c.feed || '' } },
          c.feed === 'none' ? h('span', { class: 'plug-off', testid: 'card-no-feed', title: 'No integrated vendor supplies this line' }, icon('plug-off', { size: 22, title: 'No integration feeds this line' }))
            : h('span', { class: 'no-count', testid: 'card-no-count', title: 'A connected integration feeds this line but sent no count' }, '-')));
    } else {
      qty = h('div', { class: 'qty-row two' },
        h('div', { class: 'qty psa' }, h('span', { class: 'qty-label' }, 'PSA'), h('span', { class: 'qty-num', testid: 'card-psa-qty' }, c.type === 'new_revenue' && !c.psaQuantity ? '0' : fmtQty(c.psaQuantity))),
        h('span', { class: 'qty-arrow', 'aria-hidden': 'true' }, icon('arrow', { size: 18 })),
        h('div', { class: 'qty vendor' }, h('span', { class: 'qty-label' }, 'Vendor'), h('span', { class: 'qty-num', testid: 'card-vendor-qty' }, fmtQty(c.vendorQuantity))));
    }
    const changes = hasVendor ? h('dl', { class: 'changes' },
      h('div', {}, h('dt', {}, 'Difference'), h('dd', { class: signClass(c.difference), testid: 'card-difference' }, fmtSigned(c.difference))),
      h('div', {}, h('dt', {}, 'Revenue change'), h('dd', { class: signClass(c.revenueChange), testid: 'card-revenue' }, fmtMoney(c.revenueChange))),
      h('div', {}, h('dt', {}, 'Profit change'), h('dd', { class: signClass(c.profitChange), testid: 'card-profit' }, fmtMoney(c.profitChange)))) : null;

    return h('article', {
      class: ['svc-card', `type-${c.type}`, this.selected.has(c.id) && 'selected'], testid: 'service-card',
      dataset: { cardId: c.id, type: c.type, accountName: c.accountName, serviceName: c.serviceName, productCode: c.productCode || '', feed: c.feed || '' },
    },
    c.type === 'psa_only' ? null : h('div', { class: 'svc-top' },
      typeBadge(c),
      ACTIONED.has(c.state) ? h('span', { class: 'chip chip-small', testid: 'card-state', dataset: { effectiveDate: c.effectiveDate || '' } },
        c.effectiveDate ? `${c.state} · effective ${c.effectiveDate}` : c.state) : null,
      (c.usageSources || []).includes('csv') ? h('span', { class: 'chip chip-small', testid: 'card-source-csv', title: 'Usage imported from a CSV file' }, 'CSV') : null,
      h('span', { class: 'spacer' }),
      this.checkbox(c)),
    this.sync.mark(c),
    h('h3', { testid: 'card-account', class: 'svc-account' }, c.accountName),
    h('div', { class: 'svc-name', testid: 'card-service', title: c.productCode ? `${c.serviceName} (${c.productCode})` : c.serviceName },
      h('span', { class: 'svc-name-text', testid: 'card-service-name' }, c.serviceName), c.productCode ? h('span', { class: 'code' }, c.productCode) : null),
    c.type === 'new_revenue' ? this.agreementPicker(c) : h('div', { class: 'svc-contract' },
      c.contractName ? h('span', { class: 'muted small', testid: 'card-contract-term' }, `${terms(this.data).contract}: `) : null,
      h('span', { testid: 'card-contract' }, c.contractName || '—')),
    qty,
    changes,
    this.sync.slot(c),
    (c.vendors || []).length ? h('div', { class: 'svc-vendors muted small', testid: 'card-vendors' }, 'From ', (c.vendors || []).map((v) => v.name).join(', ')) : null,
    this.actionable(c) ? h('div', { class: 'svc-actions' }, this.actionButtons(c)) : null);
  }

  /** The agreement an approval adds a New Revenue line to: the first active one unless picked. */
  chosenAgreement(c) {
    const list = c.agreements || [];
    return list.find((a) => a.id === this.agreementFor.get(c.id)) || list[0] || null;
  }

  agreementPicker(c) {
    const list = c.agreements || [];
    const chosen = this.chosenAgreement(c);
    if (list.length <= 1) {
      const t = terms(this.data);
      return h('div', { testid: 'card-contract', class: 'svc-contract' },
        chosen ? `No ${t.service.toLowerCase()} yet: Approve adds it to ${chosen.name}` : `No active ${t.contract.toLowerCase()} to add this to`);
    }
    return h('label', { class: 'svc-contract agreement-pick', testid: 'card-contract' },
      h('span', {}, 'Add to '),
      h('select', {
        class: 'input input-sm', testid: 'card-agreement', 'aria-label': `Agreement that takes the new ${c.serviceName} line for ${c.accountName}`,
        onchange: (e) => this.agreementFor.set(c.id, e.target.value),
      }, list.map((a) => h('option', { value: a.id, selected: chosen && a.id === chosen.id }, a.name))));
  }

  /** The body of an approval or adjustment: a New Revenue card names its agreement. */
  withAgreement(c, body) {
    const chosen = c.type === 'new_revenue' && (c.agreements || []).length > 1 ? this.chosenAgreement(c) : null;
    return chosen ? { ...(body || {}), agreementId: chosen.id } : body;
  }

  actionButtons(c) {
    return [
      button('Approve', { kind: 'primary', small: true, testid: 'card-approve', title: c.type === 'new_revenue' ? 'Add this service to the agreement chosen on the card' : `Set the PSA quantity to ${fmtQty(c.vendorQuantity)}`, onClick: (b) => this.act(c, 'approve', b, this.withAgreement(c)) }),
      button('Adjust', { small: true, testid: 'card-adjust', iconName: 'calendar', onClick: () => this.adjust(c) }),
      button('Dismiss', { kind: 'ghost', small: true, testid: 'card-dismiss', onClick: (b) => this.act(c, 'dismiss', b) }),
    ];
  }

  listTable() {
    const head = h('thead', {}, h('tr', {},
      h('th', { class: 'col-check' }, this.selectAllBox()), h('th', {}, 'Type'), h('th', {}, 'Service'), h('th', {}, terms(this.data).account), h('th', {}, terms(this.data).contract),
      h('th', { class: 'num' }, 'PSA'), h('th', { class: 'num' }, 'Vendor'), h('th', { class: 'num' }, 'Difference'),
      h('th', { class: 'num' }, 'Revenue change'), h('th', { class: 'num' }, 'Profit change'), h('th', {}, 'Actions')));
    this.table = h('table', { class: 'table billing-table', testid: 'billing-table' }, head);
    return h('div', { class: 'table-wrap' }, this.table);
  }

  listGroup(g) {
    const body = h('tbody', { testid: 'billing-group', dataset: { groupKey: g.key, groupTitle: g.title } },
      h('tr', { class: 'group-row' }, h('th', { colspan: '11' },
        h('div', { class: 'group-row-inner' }, h('span', { testid: 'group-title' }, g.title, h('span', { class: 'col-count' }, String(g.cards.length))), this.groupTotals(g)))));
    this.table.appendChild(body);
    return { add: (c) => body.appendChild(this.listRow(c)) };
  }

  listRow(c) {
    const vendorCell = c.type !== 'psa_only' ? h('span', { testid: 'card-vendor-qty' }, fmtQty(c.vendorQuantity))
      : c.feed === 'none' ? h('span', { class: 'plug-off', testid: 'card-no-feed' }, icon('plug-off', { size: 18, title: 'No integration feeds this line' }))
        : h('span', { testid: 'card-no-count' }, '-');
    const v = c.type !== 'psa_only';
    return h('tr', { class: ['svc-row', `type-${c.type}`, this.selected.has(c.id) && 'selected'], testid: 'service-card', dataset: { cardId: c.id, type: c.type, accountName: c.accountName, serviceName: c.serviceName, productCode: c.productCode || '', feed: c.feed || '' } },
      h('td', { class: 'col-check' }, this.checkbox(c)),
      h('td', {}, typeBadge(c) || h('span', { class: 'muted small' }, 'PSA only')),
      h('td', { testid: 'card-service' }, c.serviceName, c.productCode ? h('span', { class: 'code' }, c.productCode) : null, this.sync.mark(c)),
      h('td', { testid: 'card-account' }, c.accountName),
      c.type === 'new_revenue' ? h('td', {}, this.agreementPicker(c)) : h('td', { testid: 'card-contract' }, c.contractName || '—'),
      h('td', { class: 'num', testid: 'card-psa-qty' }, fmtQty(c.psaQuantity ?? 0)),
      h('td', { class: 'num' }, vendorCell),
      h('td', { class: ['num', v && signClass(c.difference)], testid: v ? 'card-difference' : null }, v ? fmtSigned(c.difference) : ''),
      h('td', { class: ['num', v && signClass(c.revenueChange)], testid: v ? 'card-revenue' : null }, v ? fmtMoney(c.revenueChange) : ''),
      h('td', { class: ['num', v && signClass(c.profitChange)], testid: v ? 'card-profit' : null }, v ? fmtMoney(c.profitChange) : ''),
      h('td', {}, this.actionable(c) ? h('div', { class: 'row-actions' }, this.actionButtons(c)) : null));
  }

  selectAllBox() {
    return h('input', {
      type: 'checkbox', testid: 'select-all', 'aria-label': 'Select every actionable card shown',
      onchange: (e) => {
        const ids = this.visibleCards().filter((c) => this.actionable(c)).map((c) => c.id);
        for (const id of ids) { if (e.target.checked) this.selected.add(id); else this.selected.delete(id); }
        this.syncSelection();
      },
    });
  }

  renderBulkBar() {
    const n = this.selected.size;
    const dateInput = h('input', { type: 'date', class: 'input input-date', testid: 'bulk-effective-date', 'aria-label': 'Effective date for bulk approval (optional)' });
    const selectVisible = () => {
      for (const c of this.visibleCards()) if (this.actionable(c)) this.selected.add(c.id);
      this.syncSelection();
    };
    if (n === 0) {
      const any = this.visibleCards().some((c) => this.actionable(c));
      this.bulkBar.hidden = !any;
      mount(this.bulkBar,
        h('span', { class: 'muted small' }, 'Tick cards to approve or dismiss several at once.'),
        h('span', { class: 'spacer' }),
        button('SELECT ALL SHOWN', { small: true, testid: 'bulk-select-all', onClick: selectVisible }));
      this.bulkBar.classList.remove('active');
      return;
    }
    this.bulkBar.classList.add('active');
    mount(this.bulkBar,
      h('strong', { testid: 'bulk-count' }, `${n} card${n === 1 ? '' : 's'} selected`),
      h('label', { class: 'inline-label' }, 'Effective date ', dateInput),
      button('APPROVE', { kind: 'primary', small: true, testid: 'bulk-approve', onClick: (b) => this.bulk('approve', b, dateInput.value) }),
      button('DISMISS', { small: true, testid: 'bulk-dismiss', onClick: (b) => this.bulk('dismiss', b) }),
      h('span', { class: 'spacer' }),
      button('SELECT ALL SHOWN', { small: true, testid: 'bulk-select-all', onClick: selectVisible }),
      button('CLEAR', { kind: 'ghost', small: true, testid: 'bulk-clear', onClick: () => { this.selected.clear(); this.syncSelection(); } }));
  }

  /** Tick what is selected among the cards drawn, without drawing them again. */
  syncSelection() {
    for (const box of this.results.querySelectorAll('[data-testid=card-select]')) {
      const host = box.closest('[data-testid=service-card]');
      const on = this.selected.has(host.dataset.cardId);
      box.checked = on;
      host.classList.toggle('selected', on);
    }
    this.renderBulkBar();
  }

  removeCards(ids) {
    const gone = new Set(ids);
    for (const id of ids) { this.cards.delete(id); this.selected.delete(id); }
    if (this.data && Array.isArray(this.data.cards)) this.data.cards = this.data.cards.filter((c) => !gone.has(c.id));
    if (prefs.includeActioned) return; // they stay, marked; reload shows their new state
    this.renderResults({ keep: this.shown });
  }

  async act(c, action, btn, body) {
    await withBusy(btn, async () => {
      await post(`/sim/billing/cards/${enc(c.id)}/${action}`, body);
      this.afterAction([c], action, body);
    }, (e) => toastError(e, `${action[0].toUpperCase()}${action.slice(1)} failed`));
  }

  afterAction(cards, action, body) {
    const label = cards.length === 1 ? `${cards[0].serviceName} · ${cards[0].accountName}` : `${cards.length} cards`;
    if (action === 'dismiss') toast(`Dismissed ${label} for this billing period`);
    else if (action === 'adjust') toast(`Adjusted ${label}: effective ${body.effectiveDate}`);
    else if (cards.length === 1) toast(cards[0].type === 'new_revenue' ? `Approved ${label}: added to ${(this.chosenAgreement(cards[0]) || {}).name || 'the PSA agreement'} with quantity ${fmtQty(cards[0].vendorQuantity)}` : `Approved ${label}: PSA quantity set to ${fmtQty(cards[0].vendorQuantity)}`);
    else toast(`Approved ${label}: PSA quantities updated`);
    if (prefs.includeActioned) { this.load().catch(() => {}); return; }
    this.removeCards(cards.map((c) => c.id));
  }

  async adjust(c) {
    const today = new Date();
    const iso = (d) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
    const psa = this.data && this.data.psa;
    const firstOfMonth = psa && psa.kind === 'autotask';
    const dateInput = h('input', { type: 'date', class: 'input', testid: 'adjust-date', value: psa && psa.effectiveRule !== 'immediate' ? psa.approvalDate : iso(today), required: true });
    const qtyInput = h('input', { type: 'number', class: 'input', testid: 'adjust-quantity', min: '0', step: 'any', value: c.vendorQuantity ?? '' });
    const r = await openModal({
      title: 'Adjust service',
      testid: 'adjust-dialog',
      body: h('div', { class: 'form' },
        h('p', {}, h('strong', {}, c.serviceName), ' · ', c.accountName, ' · ', c.contractName || (this.chosenAgreement(c) || {}).name || ''),
        h('p', { class: 'muted small' }, `PSA ${fmtQty(c.psaQuantity)} → vendor ${fmtQty(c.vendorQuantity)}. The change is prorated from the effective date.`),
        h('label', { class: 'field' }, h('span', {}, 'Effective date'), dateInput),
        psa ? h('p', { class: 'muted small', testid: 'adjust-date-rule' }, firstOfMonth
          ? `${psa.name} changes ${terms(this.data).contract.toLowerCase()} services from the 1st of a month.`
          : psa.effectiveRule === 'immediate' ? `${psa.name} applies approvals at once; Adjust prorates from the date you choose.`
            : `${psa.name} bills in advance: approvals take effect on the 1st of next month.`) : null,
        h('label', { class: 'field' }, h('span', {}, 'Quantity'), qtyInput)),
      actions: [
        { label: 'CANCEL', kind: 'ghost', testid: 'modal-cancel', value: null },
        { label: 'ADJUST', kind: 'primary', testid: 'adjust-confirm', onClick: async () => {
          if (!dateInput.value) throw new Error('Choose an effective date');
          let body = { effectiveDate: dateInput.value };
          if (qtyInput.value !== '' && Number(qtyInput.value) !== Number(c.vendorQuantity)) body.quantity = Number(qtyInput.value);
          body = this.withAgreement(c, body);
          await post(`/sim/billing/cards/${enc(c.id)}/adjust`, body);
          return body;
        } },
      ],
    });
    if (r && r.effectiveDate) this.afterAction([c], 'adjust', r);
  }

  async bulk(action, btn, effectiveDate) {
    const ids = [...this.selected].filter((id) => this.cards.has(id));
    if (!ids.length) return;
    const cards = ids.map((id) => this.cards.get(id));
    setBusy(btn, true);
    try {
      const body = { action, cardIds: ids };
      if (action === 'approve' && effectiveDate) body.effectiveDate = effectiveDate;
      await post('/sim/billing/bulk', body);
      this.afterAction(cards, action, body);
    } catch (e) {
      toastError(e, `Bulk ${action} failed`);
    } finally {
      if (btn.isConnected) setBusy(btn, false);
    }
  }
}

/** When this round's usage leaves nothing to act on, say why rather than look broken: cards
 * actioned earlier this billing period stay off the dashboard (or read No Change) until the
 * vendor's quantity changes, as in production. */
function roundNote(d) {
  const usage = (d.cards || []).filter((c) => c.type !== 'psa_only');
  const open = usage.filter((c) => !ACTIONED.has(c.state));
  const n = d.actionedCount || 0;
  const allNoChange = usage.length > 0 && usage.every((c) => c.type === 'no_change');
  if (n > 0 && (open.length === 0 || allNoChange)) {
    return h('p', { class: 'notice notice-info small', testid: 'billing-round-note' }, icon('info', { size: 14 }), ' ',
      `${n} card${n === 1 ? ' was' : 's were'} approved, adjusted or dismissed earlier this billing period (${d.period}), and the vendor's quantities have not changed since: `,
      open.length === 0 ? 'they stay off the dashboard until next month, as in production (tick Show actioned to see them). ' : 'approvals wrote them into the PSA, so every card reads No Change. ',
      'New values from the vendor bring a card back.');
  }
  if (allNoChange && open.length) {
    return h('p', { class: 'notice notice-info small', testid: 'billing-round-note' }, icon('info', { size: 14 }), ' ',
      'Every card with vendor usage reads No Change: the vendor\'s counts equal the PSA quantities, so there is nothing to approve.');
  }
  return null;
}

/** One badge per card. New Revenue's "New" mark is part of it, not a second badge beside it. */
function typeBadge(c) {
  if (c.type === 'psa_only') return null;
  if (c.type === 'new_revenue' || c.isNew) {
    return h('span', { class: ['type-badge', 'type-new_revenue'], testid: 'card-type', dataset: { type: c.type } },
      h('span', { class: 'new-mark', testid: 'card-new-tag' }, 'New'), c.type === 'new_revenue' ? ' Revenue' : ` · ${TYPE_LABEL[c.type] || c.type}`);
  }
  return h('span', { class: ['type-badge', `type-${c.type}`], testid: 'card-type', dataset: { type: c.type } }, TYPE_LABEL[c.type] || c.type);
}

function stat(label, value, testid, cls) {
  return h('div', { class: 'stat' }, h('span', { class: 'stat-label' }, label), h('strong', { class: ['stat-value', cls], testid }, String(value)));
}

function markSelected(input, on) {
  const host = input.closest('[data-testid=service-card]');
  if (host) host.classList.toggle('selected', on);
}
