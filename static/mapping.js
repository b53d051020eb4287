// Account Mapping / Service Mapping: PSA items on the left (a column that stays in view), the
// vendor's items (blue cards) on the right. Map by dragging a PSA item onto a vendor card, or
// with the searchable picker on each card. Both columns are paged and searched on their own,
// so a real MSP's 1,000 companies and 100,000 vendor accounts stay quick: the accounts come a
// page at a time from the server (vendor-items.js), the PSA side without them.

import { h, mount, icon } from './dom.js';
import { get, put, del, post, enc } from './api.js';
import { toast, toastError, button, withBusy, emptyState, loading, errorPanel } from './ui.js';
import { combobox } from './combobox.js';
import { keyOf, closestFirst, typeAhead } from './closest.js';
import { localServices, pagedAccounts } from './vendor-items.js';

const PSA_PAGE = 100;
const PICKER_ROWS = 12;

/**
 * Build the mapping editor. kind: 'accounts' | 'services'.
 * Returns {el, reload()}; `onChange(mappings)` is called after every change.
 */
export function mappingEditor(integrationId, kind, { onChange } = {}) {
  const isAcc = kind === 'accounts';
  const noun = isAcc ? 'account' : 'service';
  const psaNoun = isAcc ? 'account' : 'product';
  let data = null;
  let psa = [];
  let psaById = new Map();
  let psaIndex = new Map();
  let psaKeys = [];
  let psaTexts = [];
  let psaQuery = '';
  let hideMapped = false;
  let closestTo = null; // the vendor item whose closest PSA names the left column shows first
  let psaLimit = PSA_PAGE;
  const vendor = isAcc
    ? pagedAccounts(integrationId, () => { renderRight(); renderLeft(); }, (e) => toastError(e, 'Could not read the vendor accounts'))
    : localServices(() => data, (id) => { const p = psaById.get(id); return p && psaLabel(p); }, () => renderRight());

  const counter = h('span', { class: 'map-counter', testid: 'map-counter' });
  const hideToggle = h('label', { class: 'toggle', testid: 'hide-mapped-label' },
    h('input', { type: 'checkbox', testid: 'hide-mapped', onchange: (e) => { hideMapped = e.target.checked; psaLimit = PSA_PAGE; busyRight(); vendor.setHideMapped(hideMapped); renderLeft(); } }),
    h('span', {}, 'Hide mapped'));
  const autoBtn = button('AUTO-MAP EXACT NAMES', {
    testid: 'btn-auto-map', iconName: 'check', small: true,
    title: 'Map every vendor item whose name equals a PSA name character for character',
    onClick: (b) => withBusy(b, async () => {
      const r = await post(`/sim/integrations/${enc(integrationId)}/auto-map`);
      const n = r ? r[kind] : undefined;
      toast(n === undefined ? 'Auto-mapping applied' : `Auto-mapping: ${n} new ${noun} mapping${n === 1 ? '' : 's'}`, 'info');
      await reload();
    }),
  });
  const reloadBtn = button('RELOAD', { testid: 'btn-reload-mappings', iconName: 'refresh', small: true, onClick: (b) => withBusy(b, reload) });

  const psaSearch = searchInput(isAcc ? 'Search PSA accounts' : 'Search PSA products or codes', 'psa-search', (v) => {
    psaQuery = v; closestTo = null; psaLimit = PSA_PAGE; renderLeft();
  });
  const vendorSearch = searchInput(isAcc ? 'Search vendor accounts' : 'Search vendor services', 'vendor-search', (v) => {
    busyRight(); vendor.setQuery(v);
  });
  const leftCount = h('span', { class: 'col-count', testid: 'psa-count' });
  const rightCount = h('span', { class: 'col-count', testid: 'vendor-count' });
  const closestChip = h('div', { class: 'closest-chip', testid: 'closest-chip', hidden: true });
  const leftList = h('div', { class: 'psa-scroll', testid: 'psa-scroll' });
  const rightList = h('div', { class: 'vendor-scroll' });
  const left = h('div', { class: 'map-col map-left', testid: 'psa-column' },
    h('h3', { class: 'col-title' }, isAcc ? 'PSA accounts' : 'PSA services (products)', leftCount),
    h('div', { class: 'search-box' }, icon('search'), psaSearch),
    closestChip,
    h('p', { class: 'col-hint' }, `Drag onto a vendor ${noun} to map it.`),
    leftList);
  const right = h('div', { class: 'map-col map-right', testid: 'vendor-column' },
    h('h3', { class: 'col-title' }, isAcc ? 'Vendor accounts' : 'Vendor services', rightCount),
    h('div', { class: 'search-box' }, icon('search'), vendorSearch),
    h('p', { class: 'col-hint' }, isAcc ? 'What the vendor created with POST /organization/accounts.' : 'The vendor\'s services (SKUs) and this organization\'s services.'),
    rightList);
  const body = h('div', { class: 'map-body' }, loading());

  const el = h('section', { class: 'mapping', testid: `mapping-${kind}`, dataset: { kind } },
    h('div', { class: 'map-toolbar' }, hideToggle, counter, h('span', { class: 'spacer' }), autoBtn, reloadBtn),
    body);

  function mappedIds(item) {
    if (isAcc) return item.psaAccountId ? [item.psaAccountId] : [];
    return Array.isArray(item.psaProductIds) ? item.psaProductIds : [];
  }
  function psaLabel(p) { return isAcc ? p.name : `${p.productCode} · ${p.name}`; }
  function usedIds() { return vendor.used(); }
  /** Until the server answers a search or a page, the vendor column says it is busy. */
  function busyRight() { right.setAttribute('aria-busy', 'true'); }

  function renderCounter() {
    const mappedCount = vendor.mapped();
    const total = vendor.total();
    counter.textContent = `${mappedCount} of ${total} vendor ${noun}${total === 1 ? '' : 's'} mapped`;
    counter.dataset.mapped = String(mappedCount);
    counter.dataset.total = String(total);
  }

  // ---- left: the PSA column ------------------------------------------------------------------
  function psaShown(used) {
    const q = psaQuery.trim().toLowerCase();
    let list;
    if (closestTo) list = closestFirst(psa, psaKeys, closestTo.name);
    else if (q) list = psa.filter((p, i) => psaTexts[i].includes(q));
    else list = psa;
    return hideMapped ? list.filter((p) => !used.has(p.id)) : list;
  }

  function renderLeft() {
    if (!data) return;
    const used = usedIds();
    const shown = psaShown(used);
    leftCount.textContent = String(shown.length);
    if (closestTo) {
      mount(closestChip, h('span', {}, 'Closest to ', h('strong', {}, closestTo.name), ' first'),
        h('button', { type: 'button', class: 'icon-btn', testid: 'closest-clear', 'aria-label': 'Back to the PSA list in its order', onclick: () => { closestTo = null; renderLeft(); } }, icon('x', { size: 14 })));
      closestChip.hidden = false;
    } else closestChip.hidden = true;
    const page = shown.slice(0, psaLimit);
    mount(leftList,
      page.length ? h('ul', { class: 'psa-list' }, page.map((p) => psaRow(p, used.has(p.id))))
        : h('p', { class: 'muted small' }, psaQuery ? 'Nothing matches the search.' : hideMapped ? `Every PSA ${psaNoun} is mapped.` : 'No PSA items.'),
      more(shown.length - page.length, 'map-more-psa', () => { psaLimit += PSA_PAGE; renderLeft(); }));
  }

  function psaRow(p, used) {
    return h('li', {
      class: ['psa-item', used && 'is-used'], draggable: 'true', testid: 'psa-item',
      dataset: { psaId: p.id, psaName: p.name, productCode: isAcc ? null : p.productCode },
      ondragstart: (e) => {
        e.dataTransfer.setData('text/plain', p.id);
        e.dataTransfer.setData('application/x-psa-id', p.id);
        e.dataTransfer.effectAllowed = 'link';
        e.currentTarget.classList.add('dragging');
        el.classList.add('is-dragging');
      },
      ondragend: (e) => { e.currentTarget.classList.remove('dragging'); el.classList.remove('is-dragging'); },
    },
    icon('grip', { size: 14 }),
    isAcc ? null : h('span', { class: 'code' }, p.productCode),
    h('span', { class: 'psa-name' }, p.name),
    used ? h('span', { class: 'used-dot', title: 'Already mapped' }, icon('check', { size: 12 })) : null);
  }

  // ---- right: the vendor cards ---------------------------------------------------------------
  function renderRight() {
    if (!data) return;
    renderCounter();
    if (!vendor.loading || !vendor.loading()) right.setAttribute('aria-busy', 'false');
    const page = vendor.items();
    rightCount.textContent = String(vendor.matched());
    mount(rightList,
      vendor.total() === 0
        ? emptyState(`No vendor ${noun}s yet`, isAcc
          ? 'The vendor has not sent any account. Its code must create them (POST /api/vendor-api/organization/accounts); then press RELOAD.'
          : 'The vendor has not created any service. Its code must create them (POST /api/vendor-api/service); then press RELOAD.')
        : page.length ? h('div', { class: 'vendor-list' }, page.map(vendorCard))
          : h('p', { class: 'muted small' }, vendor.searching() ? 'Nothing matches the search.' : `Every vendor ${noun} is mapped.`),
      more(vendor.rest(), 'map-more-vendor', (e) => { e.currentTarget.disabled = true; busyRight(); vendor.more(); }));
  }

  function pickerOptions(v, query) {
    const ids = mappedIds(v);
    const pool = psa.filter((p) => !ids.includes(p.id));
    const q = query.trim().toLowerCase();
    const list = q ? typeAhead(pool, pool.map((p) => psaTexts[psaIndex.get(p.id)]), q, PICKER_ROWS)
      : closestFirst(pool, pool.map((p) => psaKeys[psaIndex.get(p.id)]), v.name).slice(0, PICKER_ROWS);
    return list.map((p) => ({ id: p.id, text: psaLabel(p) }));
  }

  function vendorCard(v) {
    const ids = mappedIds(v);
    const picker = combobox({
      label: `Map ${v.name} to a PSA ${psaNoun}`,
      placeholder: isAcc ? (ids.length ? 'Change PSA account…' : 'Type a PSA account…') : (ids.length ? 'Add a PSA product…' : 'Type a PSA product or code…'),
      testid: 'map-picker',
      emptyText: `No PSA ${psaNoun} matches`,
      options: (q) => pickerOptions(v, q),
      onPick: (psaId) => mapTo(v, psaId),
    });
    picker.input.dataset.vendorItemId = v.id;

    const mappedList = ids.length ? h('ul', { class: 'mapped-list' }, ids.map((id) => {
      const p = psaById.get(id);
      return h('li', { class: 'mapped-pill', testid: 'mapped-target', dataset: { psaId: id } },
        icon('arrow', { size: 12 }),
        h('span', { class: 'mapped-name', testid: 'mapped-target-name' }, p ? psaLabel(p) : (isAcc && v.psaAccountName) || id),
        h('button', {
          type: 'button', class: 'unmap', testid: 'unmap', title: 'Remove this mapping', 'aria-label': `Unmap ${p ? psaLabel(p) : id} from ${v.name}`,
          onclick: (e) => unmap(v, id, e.currentTarget),
        }, '✕'));
    })) : h('p', { class: 'unmapped-note', testid: 'unmapped-note' }, 'Unmapped');

    const card = h('div', {
      class: ['vendor-card', ids.length && 'is-mapped'], testid: 'vendor-item',
      dataset: { vendorItemId: v.id, vendorItemName: v.name, mapped: ids.length ? 'true' : 'false' },
      ondragover: (e) => { e.preventDefault(); e.dataTransfer.dropEffect = 'link'; card.classList.add('drop-over'); },
      ondragenter: (e) => { e.preventDefault(); card.classList.add('drop-over'); },
      ondragleave: (e) => { if (!card.contains(e.relatedTarget)) card.classList.remove('drop-over'); },
      ondrop: async (e) => {
        e.preventDefault();
        card.classList.remove('drop-over');
        el.classList.remove('is-dragging');
        const psaId = e.dataTransfer.getData('application/x-psa-id') || e.dataTransfer.getData('text/plain');
        if (psaId && psaById.has(psaId)) await mapTo(v, psaId);
      },
    },
    h('div', { class: 'vendor-card-head' },
      h('div', { class: 'vendor-card-title' },
        h('strong', { class: 'vendor-item-name', testid: 'vendor-item-name' }, v.name),
        v.kind === 'organization' ? h('span', { class: 'chip chip-small', title: 'Created for this partner only' }, 'org') : null),
      h('div', { class: 'vendor-card-tools' },
        v.source ? h('span', { class: ['source-badge', `source-${v.source}`], testid: 'source-badge', title: v.source === 'auto' ? 'Mapped automatically (exact name match)' : 'Mapped by hand' }, v.source) : null,
        h('button', {
          type: 'button', class: 'icon-btn card-filter', testid: 'card-filter', title: `Show the PSA ${psaNoun}s closest to this name first`,
          'aria-label': `Filter: PSA ${psaNoun}s closest to ${v.name} first`,
          onclick: () => showClosest(v),
        }, icon('search', { size: 14 })))),
    v.description ? h('p', { class: 'vendor-item-desc' }, v.description) : null,
    h('div', { class: 'vendor-card-id' }, `id ${v.id}`),
    mappedList,
    picker.el);
    return card;
  }

  function showClosest(v) {
    closestTo = { id: v.id, name: v.name };
    psaQuery = '';
    psaSearch.value = '';
    psaLimit = PSA_PAGE;
    renderLeft();
    leftList.scrollTop = 0;
  }

  // ---- changes -----------------------------------------------------------------------------
  async function mapTo(v, psaId) {
    const before = isAcc ? v.psaAccountId || null : null;
    try {
      let row;
      if (isAcc) {
        row = await put(`/sim/integrations/${enc(integrationId)}/mappings/accounts/${enc(v.id)}`, { psaAccountId: psaId });
      } else {
        const ids = mappedIds(v);
        if (ids.includes(psaId)) { afterChange(v); return; }
        row = await put(`/sim/integrations/${enc(integrationId)}/mappings/services/${enc(v.id)}`, { psaProductIds: [...ids, psaId] });
      }
      applyRow(v, row, isAcc ? { psaAccountId: psaId, source: 'manual' } : { psaProductIds: [...mappedIds(v), psaId], source: 'manual' });
      vendor.changed(v, before);
      const p = psaById.get(psaId);
      toast(`Mapped ${v.name} → ${p ? psaLabel(p) : psaId}`);
    } catch (e) {
      toastError(e, `Could not map ${v.name}`);
    }
    afterChange(v);
  }

  async function unmap(v, psaId, btn) {
    btn.disabled = true;
    const before = isAcc ? v.psaAccountId || null : null;
    try {
      let row;
      const remaining = mappedIds(v).filter((x) => x !== psaId);
      if (isAcc || remaining.length === 0) {
        row = await del(`/sim/integrations/${enc(integrationId)}/mappings/${kind}/${enc(v.id)}`);
        applyRow(v, row, isAcc ? { psaAccountId: null, psaAccountName: null, source: null } : { psaProductIds: [], source: null });
        vendor.changed(v, before);
      } else {
        row = await put(`/sim/integrations/${enc(integrationId)}/mappings/services/${enc(v.id)}`, { psaProductIds: remaining });
        applyRow(v, row, { psaProductIds: remaining });
      }
      const p = psaById.get(psaId);
      toast(isAcc || mappedIds(v).length === 0 ? `Unmapped ${v.name}` : `Removed ${p ? psaLabel(p) : psaId} from ${v.name}`, 'info');
    } catch (e) {
      toastError(e, `Could not unmap ${v.name}`);
    }
    afterChange(v);
  }

  /** Redraw what a change touched: the counter, the PSA marks, and the one card (or the page of
   * cards when hiding mapped ones moved it out); focus stays on that card or the next one. */
  function afterChange(v) {
    const selector = (id) => `[data-testid=vendor-item][data-vendor-item-id="${CSS.escape(id)}"]`;
    const old = rightList.querySelector(selector(v.id));
    const next = old && old.nextElementSibling ? old.nextElementSibling.dataset.vendorItemId : null;
    if (old && !(hideMapped && mappedIds(v).length)) {
      old.replaceWith(vendorCard(v));
      renderCounter();
    } else renderRight();
    renderLeft();
    const target = rightList.querySelector(selector(v.id)) || (next && rightList.querySelector(selector(next)));
    const input = target && target.querySelector('[data-testid=map-picker]');
    if (input) input.focus();
    if (onChange) onChange(data);
  }

  /** Take the server's row when it looks like one, else what we asked for. */
  function applyRow(v, row, fallback) {
    if (row && typeof row === 'object' && row.id === v.id) Object.assign(v, row);
    else Object.assign(v, fallback);
  }

  function index() {
    psa = isAcc ? data.psaAccounts || [] : data.psaProducts || [];
    psaById = new Map(psa.map((p) => [p.id, p]));
    psaIndex = new Map(psa.map((p, i) => [p.id, i]));
    psaKeys = psa.map((p) => keyOf(p.name));
    psaTexts = psa.map((p) => (isAcc ? p.name : `${p.productCode} · ${p.name}`).toLowerCase());
  }

  async function reload() {
    try {
      // The PSA side and the services; the accounts are the vendor column's pages.
      const [view] = await Promise.all([get(`/sim/integrations/${enc(integrationId)}/mappings?accounts=false`), vendor.load()]);
      data = view;
      index();
      if (!body.contains(left)) mount(body, h('div', { class: 'map-columns' }, left, right));
      renderLeft();
      renderRight();
      if (onChange) onChange(data);
    } catch (e) {
      mount(body, errorPanel(e, reload));
    }
  }

  return { el, reload, get data() { return data; } };
}

function searchInput(label, testid, onChange) {
  return h('input', {
    type: 'search', class: 'input', placeholder: label, 'aria-label': label, testid,
    oninput: (e) => onChange(e.target.value),
  });
}

/** "Show 60 more of 4,940": the rest of a long list, a page at a time. */
function more(rest, testid, onMore) {
  if (rest <= 0) return null;
  return h('button', { type: 'button', class: 'btn btn-ghost btn-sm list-more', testid, onclick: onMore },
    `Show more (${rest.toLocaleString('en-US')} left)`);
}
