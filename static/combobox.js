// A searchable combobox (WAI-ARIA combobox with a list box popup): type-ahead over a long list
// without putting the list in the page. Only the open combobox has options in the DOM, and
// never more than a screenful: 5,000 mapping cards with a 1,001-option <select> each were
// 600,000 elements.

import { h, mount } from './dom.js';

let seq = 0;

/**
 * combobox({label, placeholder, testid, options(query) -> [{id, text, hint?}], onPick(id)})
 * -> {el, input, close()}. `options` is asked again on each keystroke; an empty query may
 * answer suggestions (the mapping cards answer the closest names).
 */
export function combobox({ label, placeholder, testid, options, onPick, emptyText = 'No match' }) {
  const id = `cbx-${++seq}`;
  let items = [];
  let active = -1;
  let open = false;

  const list = h('ul', { class: 'cbx-list', role: 'listbox', id: `${id}-list`, 'aria-label': label, testid: 'combobox-list', hidden: true });
  const input = h('input', {
    type: 'text', class: 'input cbx-input', role: 'combobox', 'aria-label': label, 'aria-autocomplete': 'list',
    'aria-expanded': 'false', 'aria-controls': `${id}-list`, autocomplete: 'off', spellcheck: 'false', placeholder, testid,
    oninput: () => show(),
    onclick: () => { if (!open) show(); },
    onblur: () => close(),
    onkeydown: (e) => {
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        if (!open) { show(); return; }
        if (!items.length) return;
        const step = e.key === 'ArrowDown' ? 1 : -1;
        setActive((active + step + items.length) % items.length);
      } else if (e.key === 'Enter') {
        if (!open) return;
        e.preventDefault();
        const pick = items[active >= 0 ? active : 0];
        if (pick) choose(pick);
      } else if (e.key === 'Escape' && open) {
        e.preventDefault();
        e.stopPropagation();
        close();
      }
    },
  });
  const el = h('div', { class: 'cbx' }, input, list);

  function show() {
    items = options(input.value) || [];
    active = -1;
    mount(list, items.length ? items.map((o, i) => h('li', {
      id: `${id}-opt-${i}`, role: 'option', class: 'cbx-option', 'aria-selected': 'false', testid: 'combobox-option',
      dataset: { value: o.id, label: o.text },
      // mousedown, not click: a click would blur the input first and close the list.
      onmousedown: (e) => { e.preventDefault(); choose(o); },
    }, h('span', { class: 'cbx-text' }, o.text), o.hint ? h('span', { class: 'cbx-hint' }, o.hint) : null))
      : h('li', { class: 'cbx-empty', role: 'presentation' }, emptyText));
    list.hidden = false;
    open = true;
    input.setAttribute('aria-expanded', 'true');
    input.removeAttribute('aria-activedescendant');
  }

  function setActive(i) {
    const prev = list.children[active];
    if (prev) prev.setAttribute('aria-selected', 'false');
    active = i;
    const cur = list.children[i];
    if (cur) {
      cur.setAttribute('aria-selected', 'true');
      cur.scrollIntoView({ block: 'nearest' });
      input.setAttribute('aria-activedescendant', cur.id);
    }
  }

  function close() {
    if (!open) return;
    open = false;
    list.hidden = true;
    list.replaceChildren();
    items = [];
    input.setAttribute('aria-expanded', 'false');
    input.removeAttribute('aria-activedescendant');
  }

  function choose(o) {
    close();
    input.value = '';
    onPick(o.id);
  }

  return { el, input, close };
}
