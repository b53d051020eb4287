// Shared widgets: modal dialogs (never window.confirm/alert), toasts, busy buttons, badges.

import { h, icon, mount } from './dom.js';

const modalRoot = () => document.getElementById('modal-root');
const toastRoot = () => document.getElementById('toast-root');

/**
 * Open a modal. `body` is a node (or array of nodes); `actions` is a list of
 * {label, kind: 'primary'|'danger'|'ghost', testid, onClick(close) -> maybe Promise, value}.
 * Resolves with the clicked action's `value` (or null when cancelled / Escape).
 */
export function openModal({ title, body, actions, testid = 'modal', wide = false }) {
  return new Promise((resolve) => {
    const previous = document.activeElement;
    let done = false;
    const close = (value) => {
      if (done) return;
      done = true;
      overlay.remove();
      document.removeEventListener('keydown', onKey, true);
      if (previous && previous.focus) previous.focus();
      resolve(value === undefined ? null : value);
    };
    const onKey = (e) => {
      if (e.key === 'Escape') { e.stopPropagation(); close(null); }
    };
    const errorBox = h('div', { class: 'modal-error', testid: 'modal-error', role: 'alert', hidden: true });
    const buttons = (actions || [{ label: 'OK', kind: 'primary', testid: 'modal-ok', value: true }]).map((a) => {
      const b = h('button', {
        type: 'button',
        class: ['btn', a.kind ? `btn-${a.kind}` : 'btn-ghost'],
        testid: a.testid,
        onclick: async () => {
          if (!a.onClick) { close(a.value === undefined ? a.label : a.value); return; }
          errorBox.hidden = true;
          setBusy(b, true);
          try {
            const r = await a.onClick();
            if (r !== false) close(a.value === undefined ? (r === undefined ? a.label : r) : a.value);
          } catch (e) {
            mount(errorBox, icon('alert'), ' ', e.message || String(e));
            errorBox.hidden = false;
          } finally {
            setBusy(b, false);
          }
        },
      }, a.label);
      return b;
    });
    const dialog = h('div', { class: ['modal', wide && 'modal-wide'], role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': 'modal-title', testid },
      h('div', { class: 'modal-head' },
        h('h2', { id: 'modal-title', testid: 'modal-title' }, title),
        h('button', { type: 'button', class: 'icon-btn', 'aria-label': 'Close', testid: 'modal-close', onclick: () => close(null) }, icon('x'))),
      h('div', { class: 'modal-body' }, body),
      errorBox,
      h('div', { class: 'modal-actions' }, buttons));
    const overlay = h('div', { class: 'modal-overlay', onmousedown: (e) => { if (e.target === overlay) close(null); } }, dialog);
    modalRoot().appendChild(overlay);
    document.addEventListener('keydown', onKey, true);
    const focusTarget = dialog.querySelector('input, select') || buttons[buttons.length - 1];
    if (focusTarget) focusTarget.focus();
  });
}

/** Confirmation dialog; resolves true when confirmed. `onConfirm` runs inside (errors stay in the dialog). */
export async function confirmDialog({ title, body, confirmLabel = 'CONFIRM', danger = false, onConfirm, testid = 'confirm-dialog' }) {
  const r = await openModal({
    title, body, testid,
    actions: [
      { label: 'CANCEL', kind: 'ghost', testid: 'modal-cancel', value: false },
      { label: confirmLabel, kind: danger ? 'danger' : 'primary', testid: 'modal-confirm', value: true, onClick: onConfirm },
    ],
  });
  return r === true;
}

/** A toast at the bottom right: kind 'ok' | 'error' | 'info'. */
export function toast(message, kind = 'ok', ms = 4000) {
  const el = h('div', { class: ['toast', `toast-${kind}`], testid: 'toast', role: kind === 'error' ? 'alert' : 'status', dataset: { kind } },
    icon(kind === 'error' ? 'alert' : kind === 'info' ? 'info' : 'check'),
    h('span', {}, message),
    h('button', { type: 'button', class: 'icon-btn', 'aria-label': 'Dismiss', onclick: () => el.remove() }, icon('x', { size: 14 })));
  const root = toastRoot();
  root.appendChild(el);
  while (root.children.length > 3) root.firstElementChild.remove();
  setTimeout(() => el.remove(), kind === 'error' ? ms * 2 : ms);
  return el;
}

export function toastError(e, prefix) {
  const msg = e && e.message ? e.message : String(e);
  return toast(prefix ? `${prefix}: ${msg}` : msg, 'error');
}

/** Disable a button and show a spinner while an action runs. */
export function setBusy(btn, busy) {
  if (!btn) return;
  if (busy) {
    btn.dataset.wasDisabled = btn.disabled ? '1' : '';
    btn.disabled = true;
    btn.classList.add('busy');
    btn.setAttribute('aria-busy', 'true');
  } else {
    btn.disabled = btn.dataset.wasDisabled === '1';
    btn.classList.remove('busy');
    btn.removeAttribute('aria-busy');
  }
}

/** Run `fn` with `btn` busy; errors become a toast (or go to `onError`). */
export async function withBusy(btn, fn, onError) {
  setBusy(btn, true);
  try {
    return await fn();
  } catch (e) {
    if (onError) onError(e); else toastError(e);
    return undefined;
  } finally {
    if (btn.isConnected) setBusy(btn, false);
  }
}

export function button(label, { kind = 'ghost', testid, onClick, disabled, title, iconName, small } = {}) {
  return h('button', {
    type: 'button', class: ['btn', `btn-${kind}`, small && 'btn-sm'], testid, disabled, title,
    onclick: onClick ? (e) => onClick(e.currentTarget, e) : null,
  }, iconName ? icon(iconName) : null, label);
}

const STATUS_TEXT = { inactive: 'Inactive', pending: 'Pending', active: 'Active', disabled: 'Disabled', error: 'Error' };

/** Badge for the vendor API status of an integration (null before the first token). */
export function statusBadge(status, testid = 'integration-status') {
  const s = status || 'none';
  return h('span', { class: ['badge', `status-${s}`], testid, dataset: { status: s }, title: 'Integration status as set through the vendor API' },
    h('span', { class: 'dot' }), status ? STATUS_TEXT[status] || status : 'No token yet');
}

export function stateBadge(card, testid = 'integration-state') {
  return h('span', { class: ['state-label', `state-${card.state}`], testid, dataset: { state: card.state, status: card.status || '' } }, card.stateLabel || card.state);
}

/** The state label and the status badge say the same word ("Active" and "● Active"): show one. */
export function statusRepeatsState(card) {
  const status = card.status ? STATUS_TEXT[card.status] || card.status : '';
  return Boolean(status) && String(card.stateLabel || '').toLowerCase() === String(status).toLowerCase();
}

export function emptyState(title, text, extra) {
  return h('div', { class: 'empty', testid: 'empty-state' }, h('h3', {}, title), text ? h('p', {}, text) : null, extra || null);
}

export function errorPanel(e, retry) {
  return h('div', { class: 'panel panel-error', testid: 'page-error', role: 'alert' },
    h('h3', {}, icon('alert'), ' Could not load this page'),
    h('p', {}, e && e.message ? e.message : String(e)),
    retry ? button('TRY AGAIN', { kind: 'primary', onClick: retry, iconName: 'refresh' }) : null);
}

export function loading(text = 'Loading…') {
  return h('div', { class: 'loading', testid: 'loading' }, h('span', { class: 'spinner' }), text);
}

/** Copy text to the clipboard, with a fallback for insecure contexts. */
export async function copyText(text) {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch { /* fall back */ }
  const ta = h('textarea', { style: { position: 'fixed', left: '-9999px', top: '0' }, readonly: true });
  ta.value = text;
  document.body.appendChild(ta);
  ta.select();
  let ok = false;
  try { ok = document.execCommand('copy'); } catch { ok = false; }
  ta.remove();
  return ok;
}
