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
    let restoreInert = () => {};
    const close = (value) => {
      if (done) return;
      done = true;
      overlay.remove();
      restoreInert();
      document.removeEventListener('keydown', onKey, true);
      if (previous && previous.focus) previous.focus();
      resolve(value === undefined ? null : value);
    };
    const onKey = (e) => {
      if (e.key === 'Escape') { e.stopPropagation(); close(null); return; }
      if (e.key === 'Tab') { trapTab(e, dialog); return; }
      // Enter in a field submits the dialog's form (its primary action), as a form would.
      if (e.key === 'Enter' && primary && e.target instanceof HTMLInputElement && dialog.contains(e.target)
        && !['button', 'submit', 'checkbox', 'file'].includes(e.target.type)) {
        e.preventDefault();
        if (!primary.disabled) primary.click();
      }
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
      h('div', { class: 'modal-actions' }, buttons),
      // Toasts shown while the dialog is open land here, in its flow: never over it, never
      // behind its backdrop.
      h('div', { class: 'modal-toasts', testid: 'modal-toasts', 'aria-live': 'polite' }));
    const overlay = h('div', { class: 'modal-overlay', onmousedown: (e) => { if (e.target === overlay) close(null); } }, dialog);
    const list = actions || [];
    const at = (pred) => list.findIndex(pred);
    const primary = buttons[at((a) => a.kind === 'primary')] || null;
    const danger = at((a) => a.kind === 'danger') >= 0;
    modalRoot().appendChild(overlay);
    // Toasts already on screen move in too: fixed in their corner, they could cover the dialog.
    for (const t of [...toastRoot().children]) dialog.querySelector('.modal-toasts').appendChild(t);
    restoreInert = makePageInert();
    document.addEventListener('keydown', onKey, true);
    // The safe action first: a dialog that destroys something opens on CANCEL, so a stray Enter
    // cannot disconnect or reset; a form opens on its first field.
    const safe = buttons[at((a) => a.kind === 'ghost' || a.value === false || a.value === null)];
    const focusTarget = danger ? (safe || dialog.querySelector('[data-testid=modal-close]'))
      : dialog.querySelector('.modal-body input, .modal-body select, .modal-body textarea') || primary || buttons[buttons.length - 1];
    if (focusTarget) focusTarget.focus();
  });
}

const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

/** Tab and Shift+Tab go round the dialog's own controls, never to the page behind. */
function trapTab(e, dialog) {
  const items = [...dialog.querySelectorAll(FOCUSABLE)].filter((el) => el.offsetParent !== null || el === document.activeElement);
  if (!items.length) { e.preventDefault(); return; }
  const first = items[0];
  const last = items[items.length - 1];
  const inside = dialog.contains(document.activeElement);
  if (e.shiftKey && (document.activeElement === first || !inside)) { e.preventDefault(); last.focus(); } else if (!e.shiftKey && (document.activeElement === last || !inside)) { e.preventDefault(); first.focus(); }
}

/** Everything but the dialogs and the toasts goes inert while a dialog is open (no click, no
 * focus, hidden from assistive technology); answers how to undo it. */
function makePageInert() {
  const keep = new Set([modalRoot(), toastRoot()]);
  const made = [...document.body.children].filter((el) => !keep.has(el) && el.tagName !== 'SCRIPT' && !el.inert);
  for (const el of made) el.inert = true;
  return () => { for (const el of made) el.inert = false; };
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
  // In the open dialog if there is one, else in the corner clear of the title and the stepper.
  const dialogs = modalRoot().querySelectorAll('.modal-toasts');
  const root = dialogs.length ? dialogs[dialogs.length - 1] : toastRoot();
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

/** The card's one status (the server's label, in production's words). */
export function stateBadge(card, testid = 'integration-state') {
  return h('span', { class: ['state-label', `state-${card.state}`, isFailing(card) && 'state-error'], testid, dataset: { state: card.state, status: card.status || '' } }, card.stateLabel || card.state);
}

export function isFailing(card) { return card.state !== 'ready_to_connect' && (card.status === 'error' || card.status === 'disabled'); }

/** The seeded integration, connected with the kickoff key before QA began. */
export function isKickoff(card) { return card.state === 'setup' && /^Connected before QA/.test(card.stateLabel || ''); }

/** What to do about a card's state, when it needs saying: an error, or the kickoff connection. */
export function stateHint(card, testid = 'state-hint') {
  if (isFailing(card)) {
    return h('p', { class: 'notice notice-error small', testid, role: 'status' }, icon('alert', { size: 14 }), ' ',
      card.status === 'error'
        ? 'The vendor\'s code set the status to error: no usage or alert is taken. Fix the integration on the vendor side; its code sets the status back to pending (or active) once it authenticates. If its key was lost, generate a new API token.'
        : 'The vendor\'s code set the status to disabled: no usage or alert is taken until it sets pending or active again. To start over, DISCONNECT and connect again.');
  }
  if (isKickoff(card)) {
    return h('p', { class: 'notice notice-info small', testid }, icon('info', { size: 14 }), ' ',
      'Gradient connected this integration with the kickoff key before your QA. The QA steps start by disconnecting it: press DISCONNECT, then CONNECT again.');
  }
  return null;
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
