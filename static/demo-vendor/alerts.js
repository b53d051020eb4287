// Step 4 of the demo vendor portal: a test alert, then its delivery status polled until the
// PSA ticket is made (or the alert failed).

import { $, setResult, serverMessage, clearLog, gradientToken, vendorCall } from './page.js';

const POLL_INTERVAL_MS = 500;
const POLL_MAX = 10;

// ---- 4. Alert ----------------------------------------------------------------------------------

function uuid4() {
  if (window.crypto && typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function sendAlert() {
  clearLog('log-alert', 'Send a test alert');
  const result = $('alert-result');
  result.dataset.status = '';
  gradientToken();
  const accountId = $('alert-account').value;
  if (!accountId) throw new Error('Choose an account.');
  const body = {
    title: $('alert-title').value,
    description: $('alert-description').value,
    alertId: uuid4(),
    priority: Number($('alert-priority').value),
    status: 1,
  };
  setResult('alert-result', 'Sending…', 'busy');
  const r = await vendorCall('log-alert', 'POST', `/alerting/${encodeURIComponent(accountId)}`, body);
  if (r.status !== 201 || !r.body || !r.body.messageId) {
    setResult('alert-result', `Gradient refused the alert (${r.status || 'no answer'}): ${serverMessage(r.body)}`, 'error');
    result.dataset.status = 'refused';
    return;
  }
  const messageId = String(r.body.messageId);
  r.entry.note(`queued: messageId ${messageId}`, 'ok');
  setResult('alert-result', `pending · message ${messageId}`, 'busy');
  result.dataset.status = 'pending';
  for (let i = 0; i < POLL_MAX; i++) {
    await sleep(POLL_INTERVAL_MS);
    const d = await vendorCall('log-alert', 'GET', `/alerting/debug/${encodeURIComponent(messageId)}`);
    const st = d.body && typeof d.body === 'object' ? String(d.body.status || '') : '';
    if (d.status !== 200) {
      setResult('alert-result', `Could not read the delivery status (${d.status || 'no answer'}): ${serverMessage(d.body)}`, 'error');
      result.dataset.status = 'unknown';
      return;
    }
    d.entry.note(st, st === 'failed' ? 'error' : 'ok');
    if (st === 'success') {
      const ticket = d.body.ticketId === null || d.body.ticketId === undefined ? '?' : String(d.body.ticketId);
      setResult('alert-result', `success · ticket ${ticket} opened in the PSA`, 'ok');
      result.dataset.status = 'success';
      result.dataset.ticketId = ticket;
      return;
    }
    if (st === 'failed') {
      const errors = Array.isArray(d.body.errors) ? d.body.errors.map(String).join('; ') : '';
      setResult('alert-result', `failed · ${errors || serverMessage(d.body) || 'no reason given'}`, 'error');
      result.dataset.status = 'failed';
      return;
    }
    setResult('alert-result', `${st || 'pending'} · message ${messageId} (check ${i + 1} of ${POLL_MAX})`, 'busy');
  }
  setResult('alert-result', `still pending after ${POLL_MAX} checks · message ${messageId}`, 'warn');
  result.dataset.status = 'pending';
}
