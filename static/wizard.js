// Integration setup page (#/setup/{id}): the stepper Connect to Vendor → Account Mapping →
// Service Mapping → Review, and the connected view (mappings, token, portal, DISCONNECT).

import { h, mount, icon, fmtDateTime } from './dom.js';
import { get, post, put, enc } from './api.js';
import { updateCard, setCurrentIntegration, navigate, state } from './state.js';
import {
  openModal, confirmDialog, toast, toastError, button, statusBadge, stateBadge, stateHint, isFailing, withBusy, copyText,
} from './ui.js';
import { startConnect, disconnectFlow, stepLabel } from './integrations.js';
import { mappingEditor } from './mapping.js';

const REVIEW_ROWS = 100; // mapped accounts the review lists; the rest are counted
const STEPS = ['connect_to_vendor', 'account_mapping', 'service_mapping', 'review'];

// Keys are shown once: kept in memory for this page only, dropped when the user leaves it.
const shownKeys = new Map();

/** The wizard's step is in the URL (#/setup/{id}/{step}): a reload opens it, Back goes to the
 * step before. A step the server refuses (NEXT not lit) falls back to the card's own. */
export async function renderSetup(main, [id, step], ctx) {
  let card = await get(`/sim/integrations/${enc(id)}`);
  if (!ctx.alive()) return;
  if (card.state === 'setup' && STEPS.includes(step) && step !== card.step) {
    try {
      const r = await post(`/sim/integrations/${enc(id)}/step`, { step });
      card = r && r.id === card.id && r.state ? r : await get(`/sim/integrations/${enc(id)}`);
    } catch (e) {
      toast(`${stepLabel(step)} is not open yet: ${e.message}`, 'info');
    }
    if (!ctx.alive()) return;
  }
  history.replaceState(null, '', setupHash(card));
  updateCard(card);
  setCurrentIntegration(card.id);
  ctx.onLeave(() => shownKeys.delete(id));
  const page = new SetupPage(main, card, ctx);
  page.render();
}

class SetupPage {
  constructor(main, card, ctx) {
    this.main = main;
    this.card = card;
    this.ctx = ctx;
    this.timer = null;
    this.lastChecked = new Date();
    this.portalResult = null;
    this.connectedTab = 'overview';
    ctx.onLeave(() => this.stopAuto());
  }

  get id() { return this.card.id; }

  setCard(card) {
    if (!card || !card.id) return;
    this.card = card;
    updateCard(card);
  }

  async refreshCard() {
    const card = await get(`/sim/integrations/${enc(this.id)}`);
    this.lastChecked = new Date();
    this.setCard(card);
    return card;
  }

  render() {
    if (!this.ctx.alive()) return;
    this.stopAuto();
    const c = this.card;
    const head = h('div', { class: 'page-head setup-head' },
      h('div', {},
        h('a', { href: '#/integrations', class: 'back-link', testid: 'back-to-integrations' }, '← Integrations'),
        h('h1', { testid: 'setup-vendor-name' }, c.vendorName),
        h('div', { class: 'head-badges' }, stateBadge(c, 'setup-state'),
          c.modules && c.modules.length && c.state !== 'ready_to_connect' ? h('span', { class: 'muted small' }, `Modules: ${c.modules.map((m) => m[0].toUpperCase() + m.slice(1)).join(' & ')}`) : null),
        stateHint(c, 'setup-state-hint')),
      h('div', { class: 'page-actions' },
        c.state !== 'ready_to_connect' ? button('DISCONNECT', { kind: 'danger-ghost', testid: 'btn-disconnect', onClick: () => this.disconnect() }) : null));

    let content;
    if (c.state === 'ready_to_connect') content = this.notConnected();
    else if (c.state === 'setup') content = this.wizard();
    else content = this.connectedView();
    mount(this.main, head, content);
  }

  async disconnect() {
    await disconnectFlow(this.card, { after: () => navigate('#/integrations') });
  }

  notConnected() {
    const c = this.card;
    return h('section', { class: 'panel center-panel', testid: 'not-connected' },
      h('h2', {}, 'Ready to Connect'),
      h('p', { class: 'muted' }, `${c.vendorName} is not connected to ${c.partnerName || 'this partner'}. CONNECT starts the setup: you will generate an API token for the vendor, then map accounts and services.`),
      button('CONNECT', { kind: 'primary', testid: 'btn-connect', onClick: (b) => startConnect(c, b) }));
  }

  // ---- the stepper -------------------------------------------------------------------------
  wizard() {
    const current = STEPS.includes(this.card.step) ? this.card.step : 'connect_to_vendor';
    const idx = STEPS.indexOf(current);
    const stepper = h('ol', { class: 'stepper', testid: 'stepper', dataset: { step: current } },
      STEPS.map((s, i) => h('li', {
        class: ['step', i < idx && 'done', i === idx && 'current'], testid: `step-${s}`,
        'aria-current': i === idx ? 'step' : null,
      },
      h('span', { class: 'step-num' }, i < idx ? icon('check', { size: 14 }) : String(i + 1)),
      h('span', { class: 'step-name' }, stepLabel(s)))));
    let body;
    if (current === 'connect_to_vendor') body = this.connectStep();
    else if (current === 'account_mapping') body = this.mappingStep('accounts');
    else if (current === 'service_mapping') body = this.mappingStep('services');
    else body = this.reviewStep();
    return h('div', { class: 'wizard', testid: 'wizard', dataset: { step: current } }, stepper, body);
  }

  async goStep(step, btn) {
    await withBusy(btn, async () => {
      const r = await post(`/sim/integrations/${enc(this.id)}/step`, { step });
      if (r && r.id === this.id && r.state) this.setCard(r);
      if (this.card.step !== step || !r || !r.state) await this.refreshCard();
      // A step of its own in the history: Back returns to the step before.
      if (location.hash !== setupHash(this.card)) history.pushState(null, '', setupHash(this.card));
      this.render();
      window.scrollTo(0, 0);
    }, (e) => toastError(e, e.status === 409 ? 'NEXT is not available yet' : 'Could not change step'));
  }

  // ---- step 1: Connect to Vendor ---------------------------------------------------------
  connectStep() {
    const c = this.card;
    const nextBtn = button('NEXT', { kind: 'primary', testid: 'btn-next', disabled: !c.nextEnabled, onClick: (b) => this.goStep('account_mapping', b) });
    const hint = c.nextEnabled ? null
      : h('span', { class: 'next-hint', testid: 'next-hint' }, icon('info', { size: 14 }), ' Waiting for the vendor to set the integration status to pending');

    return h('div', { class: 'step-body', testid: 'connect-step' },
      h('div', { class: 'connect-grid' },
        this.tokenSection(),
        this.portalSection()),
      this.statusSection(),
      h('div', { class: 'wizard-nav' }, h('span', { class: 'spacer' }), hint, nextBtn));
  }

  tokenSection() {
    const c = this.card;
    const keys = shownKeys.get(this.id);
    const hasToken = Boolean(c.tokenGeneratedAt) || Boolean(keys);
    const genBtn = button(hasToken ? 'REGENERATE API TOKEN' : 'GENERATE API TOKEN', {
      kind: hasToken ? 'ghost' : 'primary', testid: 'btn-generate-token', iconName: hasToken ? 'refresh' : null,
      onClick: (b) => this.generateToken(b, hasToken),
    });
    return h('section', { class: 'panel', testid: 'token-section' },
      h('h2', {}, 'Create API Token'),
      h('p', { class: 'muted' }, 'Give the vendor this token: its integration sends it in the GRADIENT-TOKEN header of every call.'),
      hasToken && !keys ? h('p', { class: 'token-meta', testid: 'token-meta' },
        `Token generated ${fmtDateTime(c.tokenGeneratedAt, 'earlier')}`,
        c.partnerKeyHint ? ` · partner API key ending …${c.partnerKeyHint}` : '',
        '. It was shown once; regenerate it if it is lost.') : null,
      keys ? keyPanel(keys) : null,
      h('div', { class: 'btn-row' }, genBtn));
  }

  async generateToken(btn, regenerate) {
    if (regenerate) {
      const ok = await confirmDialog({
        title: 'Regenerate the API token?',
        testid: 'regenerate-dialog',
        danger: true,
        confirmLabel: 'REGENERATE API TOKEN',
        body: h('div', {},
          h('p', {}, h('strong', {}, 'The current partner API key stops working at once'),
            this.card.partnerKeyHint ? ` (the key ending …${this.card.partnerKeyHint})` : '',
            ': the vendor\'s calls with the old token get 401 until it is given the new one.'),
          h('p', { class: 'muted' }, 'Vendor accounts and mappings are kept.')),
      });
      if (!ok) return;
    }
    await withBusy(btn, async () => {
      const keys = await post(`/sim/integrations/${enc(this.id)}/token`);
      shownKeys.set(this.id, keys);
      await this.refreshCard().catch(() => {});
      toast(regenerate ? 'New API token generated: the old partner key no longer works' : 'API token generated: copy it now, it is shown once');
      this.render();
    }, (e) => toastError(e, 'Could not generate the token'));
  }

  portalSection() {
    const r = this.portalResult;
    let result = null;
    if (r && r.url) {
      result = h('div', { class: 'notice notice-ok', testid: 'portal-opened' },
        icon('external', { size: 14 }), ' Opened the vendor portal in a new tab: ',
        h('a', { href: safeHref(r.url), target: '_blank', rel: 'noopener noreferrer', testid: 'portal-url' }, r.url));
    } else if (r && r.missing) {
      result = h('div', { class: 'notice notice-warn', testid: 'portal-missing', role: 'alert' },
        h('strong', {}, 'The vendor has not set an integration portal URL: in production OPEN VENDOR PORTAL opens a blank page.'),
        h('p', { testid: 'portal-server-message' }, r.message || 'The vendor never set integrationPortalUrl (PATCH /api/vendor-api {"integrationPortalUrl": "…"}).'),
        h('p', {}, 'Gradient\'s QA step: contact support with the URL this should point to, ideally the vendor\'s Gradient MSP integration page.'),
        h('p', {}, 'No vendor code yet? Play the vendor in the ',
          h('a', { href: `/demo-vendor/?integration=${enc(this.id)}`, target: '_blank', rel: 'noopener', testid: 'demo-vendor-link' }, 'built-in demo vendor portal'), '.'));
    } else if (r && r.error) {
      result = h('div', { class: 'notice notice-error', testid: 'portal-error', role: 'alert' }, r.error);
    }
    return h('section', { class: 'panel', testid: 'portal-section' },
      h('h2', {}, 'Vendor portal'),
      h('p', { class: 'muted' }, 'Open the vendor\'s portal and authenticate the integration there with the token. The vendor\'s code then sets the integration status to pending.'),
      result,
      h('div', { class: 'btn-row' },
        button('OPEN VENDOR PORTAL', { testid: 'btn-open-portal', iconName: 'external', onClick: (b) => this.openPortal(b) })));
  }

  async openPortal(btn) {
    await withBusy(btn, async () => {
      try {
        const r = await get(`/sim/integrations/${enc(this.id)}/vendor-portal?format=json`);
        const url = r && r.url;
        if (!url) throw Object.assign(new Error((r && r.message) || 'The vendor has not set an integration portal URL'), { status: 404 });
        this.portalResult = { url };
        // Still inside the click's user activation: browsers let this tab open.
        window.open(safeHref(url), '_blank', 'noopener');
      } catch (e) {
        this.portalResult = e.status === 404 ? { missing: true, message: e.message } : { error: `Could not open the vendor portal: ${e.message}` };
      }
      this.render();
    });
  }

  statusSection() {
    const c = this.card;
    const auto = h('label', { class: 'toggle', title: 'Production does not poll: this is a convenience of the simulator' },
      h('input', {
        type: 'checkbox', testid: 'auto-refresh', checked: Boolean(SetupPage.autoOn),
        onchange: (e) => { SetupPage.autoOn = e.target.checked; if (e.target.checked) this.startAuto(); else this.stopAuto(); },
      }), h('span', {}, 'Auto-refresh every 5 s'));
    if (SetupPage.autoOn) queueMicrotask(() => this.startAuto());
    return h('section', { class: 'panel status-panel', testid: 'status-section' },
      h('div', { class: 'status-head' },
        h('h2', {}, 'Connection status'),
        h('span', { class: 'muted small', testid: 'status-checked-at' }, `Checked ${fmtDateTime(this.lastChecked.toISOString())}`)),
      h('dl', { class: 'facts facts-wide' },
        h('div', { class: 'fact' }, h('dt', {}, 'Integration status'), h('dd', {}, statusBadge(c.status, 'status-value'))),
        h('div', { class: 'fact' }, h('dt', {}, 'Accounts received'), h('dd', { testid: 'status-accounts' }, String(c.accountCount ?? 0))),
        h('div', { class: 'fact' }, h('dt', {}, 'Services received'), h('dd', { testid: 'status-services' }, String(c.serviceCount ?? 0))),
        h('div', { class: 'fact' }, h('dt', {}, 'Last sync'), h('dd', { testid: 'status-last-sync' }, fmtDateTime(c.lastSyncedAt, 'never')))),
      h('div', { class: 'btn-row' },
        button('STATUS REFRESH', { testid: 'btn-status-refresh', iconName: 'refresh', onClick: (b) => this.statusRefresh(b) }),
        auto));
  }

  async statusRefresh(btn) {
    await withBusy(btn, async () => {
      const before = this.card.status;
      await this.refreshCard();
      this.render();
      if (this.card.status !== before) toast(`Status is now ${this.card.status || 'none'}`, 'info');
    }, (e) => toastError(e, 'STATUS REFRESH failed'));
  }

  startAuto() {
    if (this.timer || !this.ctx.alive()) return;
    this.timer = setInterval(async () => {
      if (!this.ctx.alive()) { this.stopAuto(); return; }
      if (document.querySelector('.modal-overlay')) return;
      try {
        const before = JSON.stringify(this.card);
        await this.refreshCard();
        if (JSON.stringify(this.card) !== before) this.render();
        else { const el = this.main.querySelector('[data-testid=status-checked-at]'); if (el) el.textContent = `Checked ${fmtDateTime(this.lastChecked.toISOString())}`; }
      } catch { /* keep trying */ }
    }, 5000);
  }

  stopAuto() { if (this.timer) { clearInterval(this.timer); this.timer = null; } }

  // ---- steps 2 and 3: mapping ------------------------------------------------------------
  mappingStep(kind) {
    const isAcc = kind === 'accounts';
    const editor = mappingEditor(this.id, kind, { onChange: () => this.refreshCard().catch(() => {}) });
    editor.reload();
    const prev = isAcc ? 'connect_to_vendor' : 'account_mapping';
    const next = isAcc ? 'service_mapping' : 'review';
    return h('div', { class: 'step-body', testid: `${kind === 'accounts' ? 'account' : 'service'}-mapping-step` },
      h('div', { class: 'step-intro' },
        h('h2', {}, isAcc ? 'Account Mapping' : 'Service Mapping'),
        h('p', { class: 'muted' }, isAcc
          ? 'Match each vendor account to the PSA company it bills. Exact name matches were mapped automatically; map the rest by dragging a PSA account onto a vendor account, or with the picker on the card (type a few letters; the closest names come first).'
          : 'Match each vendor service to the PSA product(s) its usage updates. A service may feed several PSA products.')),
      editor.el,
      !isAcc && (this.card.modules || []).includes('alerts') ? this.alertBoardSection() : null,
      h('div', { class: 'wizard-nav' },
        button('BACK', { testid: 'btn-back', onClick: (b) => this.goStep(prev, b) }),
        h('span', { class: 'spacer' }),
        button('NEXT', { kind: 'primary', testid: 'btn-next', onClick: (b) => this.goStep(next, b) })));
  }

  alertBoardSection() {
    const sel = h('select', { class: 'input', testid: 'alert-board-select', 'aria-label': 'PSA board for alerts', disabled: true }, h('option', { value: '' }, 'Loading boards…'));
    const section = h('section', { class: 'panel', testid: 'alert-board-section' },
      h('h2', { testid: 'alert-board-title' }, `Alerts: PSA ${((state.info && state.info.psa && state.info.psa.terms.board) || 'Board').toLowerCase()}`),
      h('p', { class: 'muted' }, 'Alerts the vendor sends become tickets on this board.'),
      sel);
    get('/sim/psa').then((psa) => {
      const boards = (psa && psa.boards) || [];
      mount(sel, h('option', { value: '' }, 'No board (alerts fail)'),
        boards.map((b) => h('option', { value: b.id, selected: b.id === this.card.alertBoardId }, b.name)));
      sel.disabled = false;
      sel.onchange = async () => {
        sel.disabled = true;
        try {
          const r = await put(`/sim/integrations/${enc(this.id)}/alert-board`, { boardId: sel.value || null });
          if (r && r.id === this.id) this.setCard(r);
          const b = boards.find((x) => x.id === sel.value);
          toast(b ? `Alerts go to the board "${b.name}"` : 'No alert board set', 'info');
        } catch (e) { toastError(e, 'Could not set the board'); }
        sel.disabled = false;
      };
    }).catch((e) => { mount(sel, h('option', { value: '' }, `Boards unavailable (${e.message})`)); });
    return section;
  }

  // ---- step 4: Review --------------------------------------------------------------------
  reviewStep() {
    const summary = h('div', { class: 'review-summary', testid: 'review-summary' }, h('p', { class: 'muted' }, 'Loading mappings…'));
    const error = h('div', { class: 'notice notice-error', testid: 'finish-error', role: 'alert', hidden: true });
    const wantsAlerts = (this.card.modules || []).includes('alerts');
    // The services and PSA side, and the first mapped accounts with the counts: not every
    // account, which is 100,000 after a large MSP's first sync.
    Promise.all([
      get(`/sim/integrations/${enc(this.id)}/mappings?accounts=false`),
      get(`/sim/integrations/${enc(this.id)}/mappings/accounts?onlyMapped=true&limit=${REVIEW_ROWS}`),
      wantsAlerts ? get('/sim/psa').catch(() => null) : Promise.resolve(null),
    ]).then(([m, pairs, psa]) => mount(summary, reviewTables(m, pairs, this.card, psa))).catch((e) => mount(summary, h('p', { class: 'notice notice-error' }, e.message)));
    const finishBtn = button('FINISH', {
      kind: 'primary', testid: 'btn-finish',
      onClick: (b) => withBusy(b, async () => {
        error.hidden = true;
        const card = await post(`/sim/integrations/${enc(this.id)}/finish`);
        if (card && card.id === this.id) this.setCard(card); else await this.refreshCard();
        await openModal({
          title: 'Setup complete',
          testid: 'finish-modal',
          body: h('div', {},
            h('p', { testid: 'finish-message' }, 'Setup complete: usage appears on the Billing page once the vendor syncs.'),
            h('p', { class: 'muted' }, 'The integration shows as Connected with no imported results until the vendor sends its first usage count (then its status turns active). Refresh the Billing page after the sync.')),
          actions: [{ label: 'OK', kind: 'primary', testid: 'modal-ok', value: true }],
        });
        await this.refreshCard().catch(() => {});
        this.render();
      }, (e) => { mount(error, icon('alert'), ' ', h('strong', {}, 'FINISH refused: '), e.message); error.hidden = false; }),
    });
    return h('div', { class: 'step-body', testid: 'review-step' },
      h('div', { class: 'step-intro' }, h('h2', {}, 'Review'),
        h('p', { class: 'muted' }, 'Check the pairs below. FINISH needs at least one mapped account and one mapped service, and the integration status pending or active.')),
      summary,
      error,
      h('div', { class: 'wizard-nav' },
        button('BACK', { testid: 'btn-back', onClick: (b) => this.goStep('service_mapping', b) }),
        h('span', { class: 'spacer' }),
        finishBtn));
  }

  // ---- connected view --------------------------------------------------------------------
  connectedView() {
    const c = this.card;
    const tabs = [['overview', 'Overview'], ['accounts', 'Account Mapping'], ['services', 'Service Mapping']];
    const tabBar = h('div', { class: 'tabs', role: 'tablist' }, tabs.map(([k, label]) => h('button', {
      type: 'button', role: 'tab', class: ['tab', this.connectedTab === k && 'active'], 'aria-selected': String(this.connectedTab === k), testid: `tab-${k}`,
      onclick: () => { this.connectedTab = k; this.render(); },
    }, label)));
    let body;
    if (this.connectedTab === 'overview') {
      body = h('div', { class: 'step-body' },
        h('section', { class: 'panel connected-panel', testid: 'connected-panel' },
          h('div', { class: 'connected-head' },
            isFailing(c) ? h('span', { class: 'big-check big-alert' }, icon('alert', { size: 22 })) : h('span', { class: 'big-check' }, icon('check', { size: 22 })),
            h('div', {},
              h('h2', { testid: 'connected-label' }, c.stateLabel || 'Connected'),
              isFailing(c) ? stateHint(c, 'connected-hint') : h('p', { class: 'muted' }, c.status === 'active'
                ? 'Usage or alerts have arrived. The Billing page shows the vendor quantities after its next rebuild.'
                : 'Setup is finished. No imported results yet: the status turns active with the vendor\'s first usage count or alert.'))),
          h('dl', { class: 'facts facts-wide' },
            h('div', { class: 'fact' }, h('dt', {}, 'Integration status'), h('dd', {}, statusBadge(c.status, 'status-value'))),
            h('div', { class: 'fact' }, h('dt', {}, 'Accounts'), h('dd', { testid: 'status-accounts' }, `${c.mappedAccountCount ?? 0} mapped of ${c.accountCount ?? 0}`)),
            h('div', { class: 'fact' }, h('dt', {}, 'Services'), h('dd', { testid: 'status-services' }, `${c.mappedServiceCount ?? 0} mapped of ${c.serviceCount ?? 0}`)),
            h('div', { class: 'fact' }, h('dt', {}, 'Last sync'), h('dd', { testid: 'status-last-sync' }, fmtDateTime(c.lastSyncedAt, 'never'))),
            h('div', { class: 'fact' }, h('dt', {}, 'Setup finished'), h('dd', {}, fmtDateTime(c.finishedAt, '—')))),
          h('div', { class: 'btn-row' },
            button('STATUS REFRESH', { testid: 'btn-status-refresh', iconName: 'refresh', onClick: (b) => this.statusRefresh(b) }),
            button('GO TO BILLING', { kind: 'primary', testid: 'btn-go-billing', onClick: () => navigate('#/billing') }))),
        h('div', { class: 'connect-grid' }, this.tokenSection(), this.portalSection()));
    } else {
      const editor = mappingEditor(this.id, this.connectedTab, { onChange: () => this.refreshCard().catch(() => {}) });
      editor.reload();
      body = h('div', { class: 'step-body' }, editor.el,
        this.connectedTab === 'services' && (c.modules || []).includes('alerts') ? this.alertBoardSection() : null);
    }
    return h('div', { class: 'connected', testid: 'connected-view' }, tabBar, body);
  }
}
SetupPage.autoOn = false;

function setupHash(card) {
  return `#/setup/${enc(card.id)}${card.state === 'setup' && card.step ? `/${card.step}` : ''}`;
}

function keyPanel(keys) {
  const rows = [
    ['Partner API key', keys.partnerApiKey, 'token-partner-key', 'COPY'],
    ['Vendor API key', keys.vendorApiKey, 'token-vendor-key', 'COPY'],
    ['GRADIENT-TOKEN', keys.gradientToken, 'token-gradient', 'COPY API TOKEN'],
  ];
  return h('div', { class: 'key-panel', testid: 'key-panel' },
    h('p', { class: 'notice notice-warn small' }, icon('alert', { size: 14 }), ' Shown once: copy the token now. The GRADIENT-TOKEN is base64 of "vendor key:partner key".'),
    rows.map(([label, value, testid, copyLabel]) => h('div', { class: 'key-row' },
      h('span', { class: 'key-label' }, label),
      h('code', { class: 'key-value', testid }, value || '—'),
      h('button', {
        type: 'button', class: 'btn btn-sm btn-ghost', testid: `copy-${testid}`,
        onclick: async (e) => {
          const b = e.currentTarget;
          const ok = await copyText(value || '');
          b.textContent = ok ? 'COPIED' : 'COPY FAILED: SELECT IT';
          setTimeout(() => { if (b.isConnected) b.textContent = copyLabel; }, 1500);
        },
      }, copyLabel))));
}

/** `pairs`: the first mapped accounts, a page of GET .../mappings/accounts?onlyMapped=true. */
function reviewTables(m, pairs, card, psa) {
  const services = (m.services || []);
  const prod = new Map((m.psaProducts || []).map((p) => [p.id, p]));
  const psaAcc = new Map((m.psaAccounts || []).map((p) => [p.id, p]));
  const mappedAcc = pairs.accounts || [];
  const mappedSvc = services.filter((s) => (s.psaProductIds || []).length);
  const unA = pairs.total - pairs.mapped;
  const moreA = pairs.mapped - mappedAcc.length;
  const unS = services.length - mappedSvc.length;
  return h('div', { class: 'review-grid' },
    h('section', { class: 'panel' },
      h('h3', { testid: 'review-accounts-mapped' }, `Accounts mapped: ${pairs.mapped}`),
      mappedAcc.length ? h('table', { class: 'table', testid: 'review-accounts' },
        h('thead', {}, h('tr', {}, h('th', {}, 'Vendor account'), h('th', {}, 'PSA account'), h('th', {}, 'How'))),
        h('tbody', {}, mappedAcc.map((a) => h('tr', { testid: 'review-account-row' },
          h('td', {}, a.name), h('td', {}, a.psaAccountName || (psaAcc.get(a.psaAccountId) || {}).name || a.psaAccountId),
          h('td', {}, a.source ? h('span', { class: ['source-badge', `source-${a.source}`] }, a.source) : '—')))))
        : h('p', { class: 'notice notice-warn', testid: 'review-no-accounts' }, 'No account is mapped: FINISH needs at least one.'),
      moreA > 0 ? h('p', { class: 'muted small', testid: 'review-accounts-more' }, `The first ${mappedAcc.length.toLocaleString('en-US')} shown; ${moreA.toLocaleString('en-US')} more on the Account Mapping step.`) : null,
      unA ? h('p', { class: 'muted small' }, `${unA} vendor account${unA === 1 ? '' : 's'} left unmapped: usage for ${unA === 1 ? 'it' : 'them'} is refused (404).`) : null),
    h('section', { class: 'panel' },
      h('h3', {}, `Services mapped: ${mappedSvc.length}`),
      mappedSvc.length ? h('table', { class: 'table', testid: 'review-services' },
        h('thead', {}, h('tr', {}, h('th', {}, 'Vendor service'), h('th', {}, 'PSA products'), h('th', {}, 'How'))),
        h('tbody', {}, mappedSvc.map((s) => h('tr', { testid: 'review-service-row' },
          h('td', {}, s.name),
          h('td', {}, (s.psaProductIds || []).map((id) => { const p = prod.get(id); return h('div', {}, p ? `${p.productCode} · ${p.name}` : id); })),
          h('td', {}, s.source ? h('span', { class: ['source-badge', `source-${s.source}`] }, s.source) : '—')))))
        : h('p', { class: 'notice notice-warn', testid: 'review-no-services' }, 'No service is mapped: FINISH needs at least one.'),
      unS ? h('p', { class: 'muted small' }, `${unS} vendor service${unS === 1 ? '' : 's'} left unmapped.`) : null),
    h('section', { class: 'panel review-status' },
      h('h3', {}, 'Integration status'),
      statusBadge(card.status, 'review-status'),
      ['pending', 'active'].includes(card.status) ? null : h('p', { class: 'notice notice-warn small' }, 'FINISH needs the status pending or active.'),
      (card.modules || []).includes('alerts') ? h('div', { testid: 'review-alert-board' },
        h('h3', {}, 'Alerts'),
        (() => {
          const board = psa && (psa.boards || []).find((x) => x.id === card.alertBoardId);
          if (board) return h('p', {}, 'Tickets go to the PSA board ', h('strong', {}, board.name), '.');
          if (card.alertBoardId) return h('p', { class: 'muted' }, 'A PSA board is set for alert tickets.');
          return h('p', { class: 'notice notice-warn small' }, 'No PSA board chosen: alerts will fail. Pick one on the Service Mapping step.');
        })()) : null));
}

/** Only http(s) URLs become links or tabs; anything else (javascript:, data:) is refused. */
function safeHref(url) {
  try {
    const u = new URL(url, location.href);
    if (u.protocol === 'http:' || u.protocol === 'https:') return u.href;
  } catch { /* not a URL */ }
  return 'about:blank';
}
