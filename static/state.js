// What the pages share: the simulator's /sim/info, the integration the user looks at, navigation.

import { get } from './api.js';
import { setCurrency } from './dom.js';

export const state = {
  info: null,
  integrations: [],
  currentIntegrationId: sessionStorage.getItem('synthsim.integration') || null,
  headerListeners: [],
};

export async function loadInfo() {
  state.info = await get('/sim/info');
  if (state.info && state.info.partner) setCurrency(state.info.partner.currency);
  return state.info;
}

/** Re-read the integration cards (GET /sim/integrations) and refresh the header. */
export async function loadIntegrations() {
  const list = await get('/sim/integrations');
  state.integrations = Array.isArray(list) ? list : [];
  if (!state.integrations.some((c) => c.id === state.currentIntegrationId)) {
    state.currentIntegrationId = state.integrations[0] ? state.integrations[0].id : null;
  }
  notifyHeader();
  return state.integrations;
}

/** Store a fresher copy of one card (e.g. after STATUS REFRESH) and refresh the header. */
export function updateCard(card) {
  if (!card || !card.id) return;
  const i = state.integrations.findIndex((c) => c.id === card.id);
  if (i >= 0) state.integrations[i] = card; else state.integrations.push(card);
  notifyHeader();
}

export function setCurrentIntegration(id) {
  state.currentIntegrationId = id;
  if (id) sessionStorage.setItem('synthsim.integration', id);
  notifyHeader();
}

export function currentCard() {
  return state.integrations.find((c) => c.id === state.currentIntegrationId) || null;
}

export function onHeaderChange(fn) { state.headerListeners.push(fn); }
function notifyHeader() { for (const fn of state.headerListeners) fn(); }

export function navigate(hash) {
  if (location.hash === hash) window.dispatchEvent(new HashChangeEvent('hashchange'));
  else location.hash = hash;
}
