// Account Mapping / Service Mapping: PSA items on the left, the vendor's items (blue cards) on the
// right. Map by dragging a PSA item onto a vendor card, or with the select on each vendor card.

import { h, mount, icon } from './dom.js';
import { get, put, del, post, enc } from './api.js';
import { toast, toastError, button, withBusy, emptyState, loading, errorPanel } from './ui.js';

/**
 * Build the mapping editor. kind: 'accounts' | 'services'.
 * Returns {el, reload()}; `onChange(mappings)` is called after every change.
 */
export function mappingEditor(integrationId, kind, { onChange } = {}) {
  const isAcc = kind === 'accounts';
  const noun = isAcc ? 'account' : 'service';
  let data = null;
  let search = '';
  let hideMapped = false;

  const counter = h('span', { class: 'map-counter', testid: 'map-counter' });
  const searchInput = h('input', {
    type: 'search', class: 'input', placeholder: isAcc ? 'Search accounts' : 'Search services or product codes',
    'aria-label': `Search ${noun}s`, testid: 'map-search',
    oninput: (e) => { search = e.target.value.trim().toLowerCase(); renderColumns(); },
  });
  const hideToggle = h('label', { class: 'toggle', testid: 'hide-mapped-label' },
    h('input', { type: 'checkbox', testid: 'hide-mapped', onchange: (e) => { hideMapped = e.target.checked; renderColumns(); } }),
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

  const left = h('div', { class: 'map-col map-left', testid: 'psa-column' });
  const right = h('div', { class: 'map-col map-right', testid: 'vendor-column' });
  const body = h('div', { class: 'map-body' }, loading());

  const el = h('section', { class: 'mapping', testid: `mapping-${kind}`, dataset: { kind } },
    h('div', { class: 'map-toolbar' },
      h('div', { class: 'search-box' }, icon('search'), searchInput),
      hideToggle, counter,
      h('span', { class: 'spacer' }), autoBtn, reloadBtn),
    body);

  function psaItems() { return isAcc ? data.psaAccounts || [] : data.psaProducts || []; }
  function vendorItems() { return isAcc ? data.accounts || [] : data.services || []; }
  function mappedIds(item) {
    if (isAcc) return item.psaAccountId ? [item.psaAccountId] : [];
    return Array.isArray(item.psaProductIds) ? item.psaProductIds : [];
  }
  function psaLabel(p) { return isAcc ? p.name : `${p.productCode} · ${p.name}`; }
  function psaById(id) { return psaItems().find((p) => p.id === id); }

  function matches(text) { return !search || String(text || '').toLowerCase().includes(search); }

  function renderColumns() {
    if (!data) return;
    const vItems = vendorItems();
    const used = new Set(vItems.flatMap(mappedIds));
    const mappedCount = vItems.filter((v) => mappedIds(v).length).length;
    counter.textContent = `${mappedCount} of ${vItems.length} vendor ${noun}${vItems.length === 1 ? '' : 's'} mapped`;
    counter.dataset.mapped = String(mappedCount);
    counter.dataset.total = String(vItems.length);

    const lefts = psaItems().filter((p) => matches(p.name) || (!isAcc && matches(p.productCode)))
      .filter((p) => !(hideMapped && used.has(p.id)));
    mount(left,
      h('h3', { class: 'col-title' }, isAcc ? 'PSA accounts' : 'PSA services (products)',
        h('span', { class: 'col-count' }, String(lefts.length))),
      h('p', { class: 'col-hint' }, 'Drag onto a vendor ' + noun + ' to map it.'),
      lefts.length ? h('ul', { class: 'psa-list' }, lefts.map((p) => psaRow(p, used.has(p.id))))
        : h('p', { class: 'muted small' }, search ? 'Nothing matches the search.' : hideMapped ? `Every PSA ${isAcc ? 'account' : 'product'} is mapped.` : 'No PSA items.'));

    const rights = vItems.filter((v) => matches(v.name) || matches(v.description) || mappedIds(v).some((id) => { const p = psaById(id); return p && (matches(p.name) || (!isAcc && matches(p.productCode))); }))
      .filter((v) => !(hideMapped && mappedIds(v).length));
    mount(right,
      h('h3', { class: 'col-title' }, isAcc ? 'Vendor accounts' : 'Vendor services',
        h('span', { class: 'col-count' }, String(rights.length))),
      h('p', { class: 'col-hint' }, isAcc ? 'What the vendor created with POST /organization/accounts.' : 'The vendor\'s services (SKUs) and this organization\'s services.'),
      vItems.length === 0
        ? emptyState(`No vendor ${noun}s yet`, isAcc
          ? 'The vendor has not sent any account. Its code must create them (POST /api/vendor-api/organization/accounts); then press RELOAD.'
          : 'The vendor has not created any service. Its code must create them (POST /api/vendor-api/service); then press RELOAD.')
        : rights.length ? h('div', { class: 'vendor-list' }, rights.map(vendorCard))
          : h('p', { class: 'muted small' }, search ? 'Nothing matches the search.' : `Every vendor ${noun} is mapped.`));
  }

  function psaRow(p, used) {
    return h('li', {
      class: ['psa-item', used && 'is-used'], draggable: 'true', tabindex: '-1', testid: 'psa-item',
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

  function vendorCard(v) {
    const ids = mappedIds(v);
    const options = psaItems().filter((p) => !ids.includes(p.id) || isAcc);
    const select = h('select', {
      class: 'input map-select', testid: 'map-select', 'aria-label': `Map ${v.name} to a PSA ${isAcc ? 'account' : 'product'}`,
      dataset: { vendorItemId: v.id },
      onchange: async (e) => {
        const val = e.target.value;
        if (!val) return;
        e.target.disabled = true;
        await mapTo(v, val);
      },
    },
    h('option', { value: '' }, isAcc ? (ids.length ? 'Change PSA account…' : 'Map to PSA account…') : (ids.length ? 'Add a PSA product…' : 'Map to PSA product…')),
    options.map((p) => h('option', { value: p.id, selected: false, disabled: isAcc && ids.includes(p.id) }, psaLabel(p))));

    const mappedList = ids.length ? h('ul', { class: 'mapped-list' }, ids.map((id) => {
      const p = psaById(id);
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
        if (psaId && psaById(psaId)) await mapTo(v, psaId);
      },
    },
    h('div', { class: 'vendor-card-head' },
      h('div', { class: 'vendor-card-title' },
        h('strong', { class: 'vendor-item-name', testid: 'vendor-item-name' }, v.name),
        v.kind === 'organization' ? h('span', { class: 'chip chip-small', title: 'Created for this partner only' }, 'org') : null),
      v.source ? h('span', { class: ['source-badge', `source-${v.source}`], testid: 'source-badge', title: v.source === 'auto' ? 'Mapped automatically (exact name match)' : 'Mapped by hand' }, v.source) : null),
    v.description ? h('p', { class: 'vendor-item-desc' }, v.description) : null,
    h('div', { class: 'vendor-card-id' }, `id ${v.id}`),
    mappedList,
    select);
    return card;
  }

  async function mapTo(v, psaId) {
    try {
      let row;
      if (isAcc) {
        row = await put(`/sim/integrations/${enc(integrationId)}/mappings/accounts/${enc(v.id)}`, { psaAccountId: psaId });
      } else {
        const ids = mappedIds(v);
        if (ids.includes(psaId)) { renderColumns(); return; }
        row = await put(`/sim/integrations/${enc(integrationId)}/mappings/services/${enc(v.id)}`, { psaProductIds: [...ids, psaId] });
      }
      applyRow(v, row, isAcc ? { psaAccountId: psaId, source: 'manual' } : { psaProductIds: [...mappedIds(v), psaId], source: 'manual' });
      const p = psaById(psaId);
      toast(`Mapped ${v.name} → ${p ? psaLabel(p) : psaId}`);
    } catch (e) {
      toastError(e, `Could not map ${v.name}`);
    }
    renderColumns();
    refocus(v.id);
    if (onChange) onChange(data);
  }

  async function unmap(v, psaId, btn) {
    btn.disabled = true;
    try {
      let row;
      const remaining = mappedIds(v).filter((x) => x !== psaId);
      if (isAcc || remaining.length === 0) {
        row = await del(`/sim/integrations/${enc(integrationId)}/mappings/${kind}/${enc(v.id)}`);
        applyRow(v, row, isAcc ? { psaAccountId: null, psaAccountName: null, source: null } : { psaProductIds: [], source: null });
      } else {
        row = await put(`/sim/integrations/${enc(integrationId)}/mappings/services/${enc(v.id)}`, { psaProductIds: remaining });
        applyRow(v, row, { psaProductIds: remaining });
      }
      const p = psaById(psaId);
      toast(isAcc || mappedIds(v).length === 0 ? `Unmapped ${v.name}` : `Removed ${p ? psaLabel(p) : psaId} from ${v.name}`, 'info');
    } catch (e) {
      toastError(e, `Could not unmap ${v.name}`);
    }
    renderColumns();
    refocus(v.id);
    if (onChange) onChange(data);
  }

  /** Take the server's row when it looks like one, else what we asked for. */
  function applyRow(v, row, fallback) {
    if (row && typeof row === 'object' && row.id === v.id) Object.assign(v, row);
    else Object.assign(v, fallback);
  }

  function refocus(id) {
    const s = right.querySelector(`select[data-vendor-item-id="${CSS.escape(id)}"]`);
    if (s) s.focus();
  }

  async function reload() {
    try {
      data = await get(`/sim/integrations/${enc(integrationId)}/mappings`);
      mount(body, h('div', { class: 'map-columns' }, left, right));
      renderColumns();
      if (onChange) onChange(data);
    } catch (e) {
      mount(body, errorPanel(e, reload));
    }
  }

  return { el, reload, get data() { return data; } };
}
