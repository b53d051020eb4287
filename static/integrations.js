// Integrations page: one card per vendor integration, with CONNECT / CONTINUE SETUP / connected view,
// plus the module chooser and the DISCONNECT confirmation shared with the setup page.

import { h, mount, fmtDateTime } from './dom.js';
import { post, enc } from './api.js';
import { loadIntegrations, updateCard, setCurrentIntegration, navigate } from './state.js';
import { openModal, confirmDialog, toast, toastError, button, stateBadge, stateHint, isKickoff, emptyState, withBusy } from './ui.js';

const MODULE_LABEL = { alerts: 'Alerts', billing: 'Billing' };

export async function renderIntegrations(main, _params, ctx) {
  const cards = await loadIntegrations();
  if (!ctx.alive()) return;
  const grid = h('div', { class: 'int-grid', testid: 'integration-list' }, cards.map((c) => integrationCard(c)));
  mount(main,
    h('div', { class: 'page-head' },
      h('div', {},
        h('h1', {}, 'Integrations'),
        h('p', { class: 'subtitle' }, 'Connect a vendor, generate its API token, then map accounts and services. Cards show what the vendor API has done so far.')),
      h('div', { class: 'page-actions' },
        button('REFRESH', { iconName: 'refresh', testid: 'btn-refresh-integrations', onClick: () => navigate('#/integrations') }))),
    cards.length ? grid : emptyState('No integrations', 'The seed has no vendor for this partner.'));
}

function integrationCard(c) {
  const connected = c.state !== 'ready_to_connect';
  const actions = [];
  const disconnect = (kind) => button('DISCONNECT', { kind, testid: 'btn-disconnect', onClick: () => disconnectFlow(c, { after: () => navigate('#/integrations') }) });
  if (c.state === 'ready_to_connect') {
    actions.push(button('CONNECT', { kind: 'primary', testid: 'btn-connect', onClick: (b) => startConnect(c, b) }));
  } else if (isKickoff(c)) {
    // The QA steps' first step is to disconnect: that is the main action of a fresh start.
    actions.push(disconnect('primary'), button('CONTINUE SETUP', { testid: 'btn-continue-setup', onClick: () => openSetup(c) }));
  } else if (c.state === 'setup') {
    actions.push(button('CONTINUE SETUP', { kind: 'primary', testid: 'btn-continue-setup', onClick: () => openSetup(c) }));
  } else {
    actions.push(button('VIEW INTEGRATION', { kind: 'primary', testid: 'btn-view-integration', onClick: () => openSetup(c) }));
  }
  if (connected && !isKickoff(c)) actions.push(disconnect('danger-ghost'));

  const facts = connected ? h('dl', { class: 'facts' },
    fact('Accounts received', c.accountCount, 'card-account-count'),
    fact('Services received', c.serviceCount, 'card-service-count'),
    fact('Accounts mapped', c.mappedAccountCount, 'card-mapped-accounts'),
    fact('Services mapped', c.mappedServiceCount, 'card-mapped-services'),
    c.state === 'setup' ? fact('Setup step', stepLabel(c.step), 'card-step') : fact('Last sync', fmtDateTime(c.lastSyncedAt, 'never'), 'card-last-sync'))
    : h('p', { class: 'muted card-hint' }, 'Not connected. CONNECT creates the integration; then generate an API token for the vendor.');

  return h('article', {
    class: ['int-card', `int-${c.state}`], testid: 'integration-card',
    dataset: { integrationId: c.id, vendorName: c.vendorName, state: c.state },
  },
  h('div', { class: 'int-card-head' },
    h('div', { class: 'vendor-logo', 'aria-hidden': 'true' }, initials(c.vendorName)),
    h('div', { class: 'int-card-title' },
      h('h2', { testid: 'integration-vendor-name' }, c.vendorName),
      h('div', { class: 'int-card-sub' }, stateBadge(c)))),
  stateHint(c),
  h('div', { class: 'chips' }, (c.vendorModules || []).map((m) => h('span', {
    class: ['chip', connected && (c.modules || []).includes(m) ? 'chip-on' : null], title: connected ? ((c.modules || []).includes(m) ? 'Integrated' : 'Offered by the vendor, not selected') : 'Offered by the vendor',
  }, MODULE_LABEL[m] || m))),
  facts,
  h('div', { class: 'int-card-actions' }, actions));
}

function fact(label, value, testid) {
  return h('div', { class: 'fact' }, h('dt', {}, label), h('dd', { testid }, value === null || value === undefined ? '—' : String(value)));
}

function initials(name) {
  return String(name || '?').split(/\s+/).filter(Boolean).slice(0, 2).map((w) => w[0].toUpperCase()).join('');
}

export function stepLabel(step) {
  return { connect_to_vendor: 'Connect to Vendor', account_mapping: 'Account Mapping', service_mapping: 'Service Mapping', review: 'Review' }[step] || step || '—';
}

function openSetup(c) {
  setCurrentIntegration(c.id);
  navigate(`#/setup/${enc(c.id)}`);
}

/** CONNECT: the module chooser when the vendor offers both modules, then POST connect and open setup. */
export async function startConnect(c, btn) {
  const vm = c.vendorModules || [];
  let modules = vm.slice();
  if (vm.includes('alerts') && vm.includes('billing')) {
    const chosen = await chooseModules(c);
    if (!chosen) return;
    modules = chosen;
  }
  await withBusy(btn, async () => {
    const card = await post(`/sim/integrations/${enc(c.id)}/connect`, { modules });
    updateCard(card);
    toast(`${c.vendorName}: connected. Generate an API token next.`);
    openSetup(card || c);
  }, (e) => toastError(e, 'CONNECT failed'));
}

function chooseModules(c) {
  const options = [
    { value: 'alerts,billing', label: 'Alerts & Billing', text: 'Usage counts reach the Billing page and alerts become PSA tickets.' },
    { value: 'alerts', label: 'Alerts only', text: 'Alerts become tickets on a PSA board.' },
    { value: 'billing', label: 'Billing only', text: 'Usage counts reach the Billing page.' },
  ];
  const radios = options.map((o, i) => h('label', { class: 'choice', testid: `module-option-${o.value.replace(',', '-')}` },
    h('input', { type: 'radio', name: 'modules', value: o.value, checked: i === 0 }),
    h('span', { class: 'choice-text' }, h('strong', {}, o.label), h('span', { class: 'muted' }, o.text))));
  const body = h('div', { class: 'choices' }, h('p', { class: 'muted' }, `${c.vendorName} offers both modules.`), radios);
  return openModal({
    title: 'What do you want to integrate?',
    body,
    testid: 'module-chooser',
    actions: [
      { label: 'CANCEL', kind: 'ghost', testid: 'modal-cancel', value: null },
      { label: 'CONTINUE', kind: 'primary', testid: 'module-continue', onClick: () => {
        const sel = body.querySelector('input[name=modules]:checked');
        return sel.value.split(',');
      } },
    ],
  });
}

/** DISCONNECT with a confirmation that says what goes. */
export async function disconnectFlow(c, { after } = {}) {
  let result = null;
  const ok = await confirmDialog({
    title: `Disconnect ${c.vendorName}?`,
    testid: 'disconnect-dialog',
    danger: true,
    confirmLabel: 'DISCONNECT',
    body: h('div', {},
      h('p', {}, 'Disconnecting deletes, for this integration:'),
      h('ul', { class: 'bullets', testid: 'disconnect-list' },
        h('li', {}, `every vendor account the vendor created (${c.accountCount ?? 0} now)`),
        h('li', {}, `the account mappings (${c.mappedAccountCount ?? 0}) and service mappings (${c.mappedServiceCount ?? 0})`),
        h('li', {}, 'the usage counts from this integration and their open service cards on the Billing page')),
      h('p', {}, h('strong', {}, 'The partner API key stops working at once'), c.partnerKeyHint ? ` (the key ending …${c.partnerKeyHint})` : '', '. The card goes back to "Ready to Connect"; the vendor\'s own services are kept.')),
    onConfirm: async () => { result = await post(`/sim/integrations/${enc(c.id)}/disconnect`); },
  });
  if (!ok) return false;
  const d = (result && result.deleted) || {};
  const parts = [];
  if (d.accounts !== undefined) parts.push(`${d.accounts} account${d.accounts === 1 ? '' : 's'}`);
  if (d.accountMappings !== undefined) parts.push(`${d.accountMappings} account mapping${d.accountMappings === 1 ? '' : 's'}`);
  if (d.serviceMappings !== undefined) parts.push(`${d.serviceMappings} service mapping${d.serviceMappings === 1 ? '' : 's'}`);
  if (d.unitCounts !== undefined) parts.push(`${d.unitCounts} usage count${d.unitCounts === 1 ? '' : 's'}`);
  toast(`${c.vendorName} disconnected${parts.length ? `: deleted ${parts.join(', ')}` : ''}.`);
  if (result && result.integration) updateCard(result.integration);
  try { await loadIntegrations(); } catch { /* shown elsewhere */ }
  if (after) after(result);
  return true;
}
