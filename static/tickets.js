// Tickets page (#/tickets): the simulated PSA's tickets, per board, made from vendor alerts.

import { h, mount, fmtDateTime, priorityLabel } from './dom.js';
import { get } from './api.js';
import { button, emptyState, withBusy } from './ui.js';
import { state } from './state.js';

const STATUS = { 1: 'New', 2: 'In Progress', 3: 'Waiting', 4: 'Scheduled', 5: 'Resolved', 6: 'Closed' };

export async function renderTickets(main, _params, ctx) {
  const data = await get('/sim/tickets');
  if (!ctx.alive()) return;
  const boards = (data && data.boards) || [];
  const total = boards.reduce((n, b) => n + (b.tickets || []).length, 0);
  // The partner's PSA's word for a board (ConnectWise Board, Autotask Queue, Halo Team, ...).
  const boardWord = ((state.info && state.info.psa && state.info.psa.terms.board) || 'Board').toLowerCase();
  mount(main,
    h('div', { class: 'page-head' },
      h('div', {},
        h('h1', {}, 'Tickets'),
        h('p', { class: 'subtitle', testid: 'tickets-subtitle' }, `Alerts from vendors become tickets on the PSA ${boardWord} chosen for each integration. ${total} ticket${total === 1 ? '' : 's'} on ${boards.length} ${boardWord}${boards.length === 1 ? '' : 's'}.`)),
      h('div', { class: 'page-actions' },
        button('REFRESH', { iconName: 'refresh', testid: 'btn-refresh-tickets', onClick: (b) => withBusy(b, () => renderTickets(main, _params, ctx)) }))),
    total === 0 ? emptyState('No tickets yet', 'When the vendor sends an alert (POST /api/vendor-api/alerting/{accountId}) for a mapped account, it becomes a ticket here a moment later.') : null,
    h('div', { class: 'boards', testid: 'ticket-boards' }, boards.map(board)));
}

function board(b) {
  const tickets = b.tickets || [];
  return h('section', { class: 'board', testid: 'ticket-board', dataset: { boardId: b.id, boardName: b.name } },
    h('header', { class: 'group-head' }, h('h2', { testid: 'board-name' }, b.name, h('span', { class: 'col-count' }, String(tickets.length)))),
    tickets.length ? h('div', { class: 'ticket-list' }, tickets.map(ticket)) : h('p', { class: 'muted small board-empty' }, 'No tickets on this board.'));
}

function ticket(t) {
  const prio = priorityLabel(t.priority);
  const status = STATUS[t.status] || (t.status !== undefined && t.status !== null ? String(t.status) : '—');
  return h('article', { class: 'ticket', testid: 'ticket', dataset: { ticketId: t.id, alertId: t.alertId || '' } },
    h('div', { class: 'ticket-head' },
      h('span', { class: ['prio', `prio-${t.priority}`], testid: 'ticket-priority', title: `Alert priority ${t.priority} on Gradient's scale (1 low to 4 very high)` }, prio),
      h('h3', { testid: 'ticket-summary' }, t.summary || '(no summary)'),
      h('span', { class: 'chip chip-small', testid: 'ticket-status' }, status)),
    t.description ? h('p', { class: 'ticket-desc', testid: 'ticket-description' }, t.description) : null,
    h('dl', { class: 'ticket-facts' },
      fact('Account', t.accountName, 'ticket-account'),
      fact('Vendor', t.vendorName, 'ticket-vendor'),
      fact('Alert id', t.alertId, 'ticket-alert-id'),
      fact('Message id', t.messageId, 'ticket-message-id'),
      fact('Due', fmtDateTime(t.dueDateTime, '—'), 'ticket-due'),
      fact('Created', fmtDateTime(t.createdAt, '—'), 'ticket-created'),
      fact('Ticket', t.id, 'ticket-id')));
}

function fact(label, value, testid) {
  return h('div', {}, h('dt', {}, label), h('dd', { testid }, value === null || value === undefined || value === '' ? '—' : String(value)));
}
