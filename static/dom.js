// DOM helpers. Every string from the server goes into the page as TEXT: `h()` turns string
// children into text nodes and never touches innerHTML. Icons are built with createElementNS.

const SVG_NS = 'http://www.w3.org/2000/svg';

/**
 * h('div', {class: 'x', testid: 'y', onclick: fn}, 'text', otherNode, [more, nodes])
 * - attrs: `class`, `testid` (-> data-testid), `dataset` ({k: v} -> data-k), `style` (object),
 *   `on<event>` handlers, boolean props (disabled, checked, hidden, draggable...), anything else
 *   via setAttribute. null/undefined/false attrs are skipped.
 * - children: strings and numbers become text nodes; null/false are skipped; arrays are flattened.
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  applyAttrs(el, attrs);
  append(el, children);
  return el;
}

const BOOL_PROPS = new Set(['disabled', 'checked', 'hidden', 'selected', 'readOnly', 'required', 'multiple', 'open']);

function applyAttrs(el, attrs) {
  if (!attrs) return;
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') el.className = Array.isArray(v) ? v.filter(Boolean).join(' ') : v;
    else if (k === 'testid') el.setAttribute('data-testid', v);
    else if (k === 'dataset') for (const [dk, dv] of Object.entries(v)) { if (dv !== null && dv !== undefined) el.dataset[dk] = String(dv); }
    else if (k === 'style' && typeof v === 'object') Object.assign(el.style, v);
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2).toLowerCase(), v);
    else if (BOOL_PROPS.has(k)) el[k] = Boolean(v);
    else if (k === 'value') el.value = v;
    else if (k === 'text') el.textContent = String(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
}

export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** Replace all children of `el` with `children` (text-safe). */
export function mount(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** Small inline SVG icons (static markup built node by node: no data ever goes in here). */
export function icon(name, { size = 16, title } = {}) {
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('width', size);
  svg.setAttribute('height', size);
  svg.setAttribute('fill', 'none');
  svg.setAttribute('stroke', 'currentColor');
  svg.setAttribute('stroke-width', '2');
  svg.setAttribute('stroke-linecap', 'round');
  svg.setAttribute('stroke-linejoin', 'round');
  svg.setAttribute('aria-hidden', title ? 'false' : 'true');
  svg.classList.add('icon', `icon-${name}`);
  if (title) {
    const t = document.createElementNS(SVG_NS, 'title');
    t.textContent = title;
    svg.appendChild(t);
    svg.setAttribute('role', 'img');
  }
  const paths = ICONS[name] || [];
  for (const [tag, attrs] of paths) {
    const p = document.createElementNS(SVG_NS, tag);
    for (const [k, v] of Object.entries(attrs)) p.setAttribute(k, v);
    svg.appendChild(p);
  }
  return svg;
}

const ICONS = {
  plug: [
    ['path', { d: 'M9 2v6' }], ['path', { d: 'M15 2v6' }],
    ['path', { d: 'M6 8h12v3a6 6 0 0 1-12 0z' }], ['path', { d: 'M12 17v5' }],
  ],
  'plug-off': [
    ['path', { d: 'M9 2v6' }], ['path', { d: 'M15 2v6' }],
    ['path', { d: 'M6 8h12v3a6 6 0 0 1-12 0z' }], ['path', { d: 'M12 17v5' }],
    ['path', { d: 'M3 3l18 18', stroke: '#d33a4a', 'stroke-width': '2.4' }],
  ],
  copy: [['rect', { x: '9', y: '9', width: '12', height: '12', rx: '2' }], ['path', { d: 'M5 15H4a1 1 0 0 1-1-1V4a1 1 0 0 1 1-1h10a1 1 0 0 1 1 1v1' }]],
  external: [['path', { d: 'M14 3h7v7' }], ['path', { d: 'M10 14L21 3' }], ['path', { d: 'M21 14v6a1 1 0 0 1-1 1H4a1 1 0 0 1-1-1V4a1 1 0 0 1 1-1h6' }]],
  refresh: [['path', { d: 'M21 12a9 9 0 1 1-2.64-6.36' }], ['path', { d: 'M21 3v6h-6' }]],
  search: [['circle', { cx: '11', cy: '11', r: '7' }], ['path', { d: 'M21 21l-4.35-4.35' }]],
  x: [['path', { d: 'M18 6L6 18' }], ['path', { d: 'M6 6l12 12' }]],
  check: [['path', { d: 'M20 6L9 17l-5-5' }]],
  alert: [['path', { d: 'M12 3l10 18H2z' }], ['path', { d: 'M12 10v4' }], ['path', { d: 'M12 17.5v.5' }]],
  info: [['circle', { cx: '12', cy: '12', r: '10' }], ['path', { d: 'M12 16v-4' }], ['path', { d: 'M12 8h.01' }]],
  grip: [['circle', { cx: '9', cy: '6', r: '1' }], ['circle', { cx: '15', cy: '6', r: '1' }], ['circle', { cx: '9', cy: '12', r: '1' }], ['circle', { cx: '15', cy: '12', r: '1' }], ['circle', { cx: '9', cy: '18', r: '1' }], ['circle', { cx: '15', cy: '18', r: '1' }]],
  arrow: [['path', { d: 'M5 12h14' }], ['path', { d: 'M13 6l6 6-6 6' }]],
  calendar: [['rect', { x: '3', y: '4', width: '18', height: '18', rx: '2' }], ['path', { d: 'M16 2v4' }], ['path', { d: 'M8 2v4' }], ['path', { d: 'M3 10h18' }]],
  ticket: [['path', { d: 'M3 7a2 2 0 0 1 2-2h14a2 2 0 0 1 2 2v3a2 2 0 0 0 0 4v3a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2v-3a2 2 0 0 0 0-4z' }]],
};

/**
 * The one way a time is shown, in the console, the journal and the QA report alike (the server's
 * report and the terminal use the same): "2026-11-27 03:40:00 UTC", UTC as the API's timestamps,
 * so a time on screen matches the vendor's own logs. `ms` adds milliseconds (the journal).
 * Null -> fallback; production's "never synced" date -> "never".
 */
export function fmtDateTime(s, fallback = '—', { ms = false } = {}) {
  if (!s) return fallback;
  const d = new Date(s);
  if (Number.isNaN(d.getTime())) return String(s);
  if (d.getUTCFullYear() <= 1900) return 'never';
  const iso = d.toISOString(); // 2026-11-27T03:40:00.000Z
  return `${iso.slice(0, 10)} ${iso.slice(11, ms ? 23 : 19)} UTC`;
}

let currency = 'USD';
let money = null; // one formatter, made once: making one per figure was most of a page's cost
export function setCurrency(c) { if (c && c !== currency) { currency = c; money = null; } }

/** Money with its sign: +$27.00, -$4.50, $0.00. */
export function fmtMoney(n, { signed = true } = {}) {
  if (n === null || n === undefined || Number.isNaN(Number(n))) return '—';
  const v = Number(n);
  let abs;
  try {
    if (!money) money = new Intl.NumberFormat('en-US', { style: 'currency', currency });
    abs = money.format(Math.abs(v));
  } catch {
    abs = '$' + Math.abs(v).toFixed(2);
  }
  if (!signed || v === 0) return (v < 0 ? '-' : '') + abs;
  return (v > 0 ? '+' : '-') + abs;
}

/** Quantity: integers plain, fractions with up to 2 decimals. */
export function fmtQty(n) {
  if (n === null || n === undefined) return '-';
  const v = Number(n);
  if (Number.isInteger(v)) return String(v);
  return v.toLocaleString('en-US', { maximumFractionDigits: 2 });
}

export function fmtSigned(n) {
  if (n === null || n === undefined) return '—';
  const v = Number(n);
  const s = fmtQty(Math.abs(v));
  return v > 0 ? `+${s}` : v < 0 ? `-${s}` : '0';
}

export function signClass(n) {
  const v = Number(n);
  return v > 0 ? 'pos' : v < 0 ? 'neg' : 'zero';
}

/** Gradient's alert priority scale (partner console spec, Ticket priorities): 1 low … 4 very high. */
const PRIORITY = { 1: 'Low', 2: 'Medium', 3: 'High', 4: 'Very high' };
export function priorityLabel(p) {
  return PRIORITY[p] || (p !== undefined && p !== null ? String(p) : '—');
}
