// Partner console of synthesize-sim: header, hash router, RESET.
// Pages: #/integrations, #/setup/{id}, #/billing, #/tickets, #/qa, #/journal.

import { h, mount } from './dom.js';
import { get, post, currentPartner, setPartner } from './api.js';
import { state, loadInfo, loadIntegrations, currentCard, onHeaderChange, navigate, setCurrentIntegration } from './state.js';
import { confirmDialog, toast, errorPanel, loading } from './ui.js';
import { renderIntegrations } from './integrations.js';
import { renderSetup } from './wizard.js';
import { renderBilling } from './billing.js';
import { renderTickets } from './tickets.js';
import { renderQa } from './qa.js';
import { renderJournal } from './journal.js';

const ROUTES = [
  { re: /^#\/integrations\/?$/, nav: 'integrations', render: renderIntegrations, title: 'Integrations' },
  { re: /^#\/setup\/([^/]+)(?:\/([a-z_]+))?\/?$/, nav: 'integrations', render: renderSetup, title: 'Integration setup' },
  { re: /^#\/billing\/?$/, nav: 'billing', render: renderBilling, title: 'Billing' },
  { re: /^#\/tickets\/?$/, nav: 'tickets', render: renderTickets, title: 'Tickets' },
  { re: /^#\/qa\/?$/, nav: 'qa', render: renderQa, title: 'QA checklist' },
  { re: /^#\/journal\/?$/, nav: 'journal', render: renderJournal, title: 'Journal' },
];

let renderSeq = 0;
/** Each page render gets a context; `ctx.alive()` turns false once the user navigated away. */
function makeCtx() {
  const seq = ++renderSeq;
  const cleanups = [];
  return {
    alive: () => seq === renderSeq,
    onLeave: (fn) => cleanups.push(fn),
    cleanups,
  };
}
let currentCtx = null;

async function route() {
  const hash = location.hash || '#/integrations';
  const r = ROUTES.find((x) => x.re.test(hash));
  if (!r) { navigate('#/integrations'); return; }
  const params = hash.match(r.re).slice(1).map((p) => (p === undefined ? undefined : decodeURIComponent(p)));
  if (currentCtx) for (const fn of currentCtx.cleanups) { try { fn(); } catch { /* ignore */ } }
  const ctx = makeCtx();
  currentCtx = ctx;
  for (const a of document.querySelectorAll('[data-nav]')) {
    const on = a.dataset.nav === r.nav;
    a.classList.toggle('active', on);
    if (on) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
  document.title = `${r.title} · Synthesize simulator`;
  loadPartners(); // a test may have made a partner since: the switcher follows, without a wait
  const main = document.getElementById('page');
  main.dataset.page = r.nav;
  mount(main, loading());
  try {
    await r.render(main, params, ctx);
  } catch (e) {
    if (ctx.alive()) mount(main, errorPanel(e, () => route()));
  }
}

function renderHeaderIntegration() {
  const slot = document.getElementById('header-integration');
  const card = currentCard();
  if (!card) { mount(slot); return; }
  mount(slot,
    h('a', { href: `#/setup/${encodeURIComponent(card.id)}`, class: 'hdr-integration', testid: 'header-integration', title: 'The integration you are looking at' },
      h('span', { class: 'hdr-label' }, 'Integration'),
      h('span', { class: 'hdr-vendor', testid: 'header-integration-name' }, card.vendorName),
      h('span', { class: ['hdr-state', `state-${card.state}`, (card.status === 'error' || card.status === 'disabled') && card.state !== 'ready_to_connect' && 'state-error'], testid: 'header-integration-state', title: card.stateLabel || card.state }, card.stateLabel || card.state)));
}

function renderPartner() {
  const info = state.info;
  const el = document.getElementById('partner-name');
  el.textContent = info && info.partner ? info.partner.name : 'Partner';
  const psa = document.getElementById('partner-psa');
  psa.textContent = info && info.partner && info.partner.psa ? info.partner.psa : '';
  // What Gradient's setup wizard asks for to connect this PSA, on hover.
  const fields = info && info.psa && info.psa.setupFields;
  psa.title = fields && fields.length ? `PSA connection: ${fields.map((f) => f.label).join(', ')}` : '';
  psa.dataset.psaKind = (info && info.psa && info.psa.kind) || '';
  renderSwitcher();
}

// Partners made by POST /sim/partners (tests running side by side): a switcher appears in the
// header once there is more than the seed's, and the console then acts for the one chosen.
let partners = [];

async function loadPartners() {
  try { partners = (await get('/sim/partners')).partners || []; } catch { partners = []; }
  // A partner a reset removed (or a snapshot restore left out) falls back to the seed's.
  if (currentPartner() && !partners.some((p) => p.id === currentPartner())) setPartner(null);
  renderSwitcher();
}

function renderSwitcher() {
  const slot = document.getElementById('partner-switcher');
  if (!slot) return;
  if (partners.length < 2) { mount(slot); return; }
  const chosen = currentPartner() || (partners.find((p) => p.isDefault) || partners[0]).id;
  const select = h('select', { class: 'partner-select', testid: 'partner-switcher', 'aria-label': 'Partner' },
    partners.map((p) => h('option', { value: p.id, selected: p.id === chosen, title: p.psa }, p.name)));
  select.addEventListener('change', () => switchPartner(select.value));
  mount(slot, select);
}

async function switchPartner(id) {
  const p = partners.find((x) => x.id === id);
  setPartner(p && !p.isDefault ? id : null);
  setCurrentIntegration(null);
  try { await loadInfo(); renderPartner(); await loadIntegrations(); } catch (e) { toast(e.message, 'error'); }
  toast(`Acting for ${p ? p.name : 'the seed\'s partner'}`);
  route();
}

async function onReset() {
  // The embedded seeds (ConnectWise, Autotask, HaloPSA, ...): RESET can switch the partner's PSA.
  let seeds = [];
  try { seeds = await get('/sim/seeds'); } catch { /* older server: plain reset */ }
  const seedSelect = seeds.length ? h('select', { class: 'input', testid: 'reset-seed', 'aria-label': 'Seed to reset to' },
    seeds.map((s) => h('option', { value: s.name, selected: s.current }, `${s.partner} · ${s.psa}`))) : null;
  const ok = await confirmDialog({
    title: 'Reset the simulator?',
    body: h('div', {},
      h('p', {}, 'Everything goes back to the seed, in one step:'),
      h('ul', { class: 'bullets' },
        h('li', {}, 'integrations return to their seeded state, with the seed\'s kickoff keys'),
        h('li', {}, 'vendor accounts, services the vendor created, mappings and usage are deleted'),
        h('li', {}, 'billing approvals, PSA quantities, alerts, tickets and the request journal are reset')),
      h('p', { class: 'muted' }, 'API tokens generated since the start stop working.'),
      seedSelect ? h('label', { class: 'field' }, h('span', {}, 'Seed (partner and PSA)'), seedSelect) : null),
    confirmLabel: 'RESET',
    danger: true,
    testid: 'reset-dialog',
    onConfirm: () => post('/sim/reset', seedSelect ? { seed: seedSelect.value } : {}),
  });
  if (!ok) return;
  toast(seedSelect ? `Simulator reset to the ${seedSelect.selectedOptions[0].textContent} seed` : 'Simulator reset to the seed');
  setPartner(null); // a reset keeps only the seed's partner
  try { await loadInfo(); await loadPartners(); renderPartner(); await loadIntegrations(); } catch { /* the page shows errors */ }
  route();
}

async function start() {
  document.getElementById('btn-reset').addEventListener('click', onReset);
  onHeaderChange(renderHeaderIntegration);
  window.addEventListener('hashchange', route);
  // Partners created since the page loaded show up when the user comes back to it.
  window.addEventListener('focus', loadPartners);
  await loadPartners();
  try {
    await loadInfo();
  } catch (e) {
    toast(`Could not read /sim/info: ${e.message}`, 'error');
  }
  renderPartner();
  try { await loadIntegrations(); } catch { /* pages show their own errors */ }
  if (!location.hash) history.replaceState(null, '', '#/integrations');
  await route();
  document.body.dataset.ready = 'true';
}

// Small header extra: a version tag in the footer of the header once /sim/info answered.
onHeaderChange(() => {
  const v = document.getElementById('sim-version');
  if (v && state.info && state.info.version) v.textContent = `v${state.info.version}`;
});

start();
