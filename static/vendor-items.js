// The vendor column of a mapping step: which vendor items show, how many there are, and which
// PSA items they use. Services are few and come with the whole mappings view, so they are
// filtered here; a vendor's first sync at a large MSP brings 100,000 accounts, so accounts come
// a page at a time from GET /sim/integrations/{id}/mappings/accounts, searched by the server.
// Both answer the same questions, so the editor draws either the same way.

import { get, enc, qs } from './api.js';

export const VENDOR_PAGE = 60;
const SEARCH_DELAY = 200; // ms: while keys come faster than this, one search waits for the last
const MAX_PAGE = 500; // what the page route gives at most

/**
 * The services of the whole view, filtered in the page. `labelOf(psaId)` names a PSA product
 * (a service is found by the products it maps to, too); `redraw()` after the list changes.
 */
export function localServices(viewOf, labelOf, redraw) {
  let query = '';
  let hideMapped = false;
  let limit = VENDOR_PAGE;
  const all = () => (viewOf() && viewOf().services) || [];
  const ids = (s) => (Array.isArray(s.psaProductIds) ? s.psaProductIds : []);
  const shown = () => {
    const q = query.trim().toLowerCase();
    return all().filter((s) => {
      if (hideMapped && ids(s).length) return false;
      if (!q) return true;
      if (String(s.name || '').toLowerCase().includes(q) || String(s.description || '').toLowerCase().includes(q)) return true;
      return ids(s).some((id) => { const l = labelOf(id); return l && l.toLowerCase().includes(q); });
    });
  };
  return {
    load: async () => {},
    items: () => shown().slice(0, limit),
    matched: () => shown().length,
    rest: () => Math.max(0, shown().length - limit),
    total: () => all().length,
    mapped: () => all().filter((s) => ids(s).length).length,
    used: () => new Set(all().flatMap(ids)),
    searching: () => query.trim() !== '',
    more: async () => { limit += VENDOR_PAGE; redraw(); },
    setQuery: (q) => { query = q; limit = VENDOR_PAGE; redraw(); },
    setHideMapped: (on) => { hideMapped = on; limit = VENDOR_PAGE; redraw(); },
    changed: () => {},
  };
}

/**
 * The vendor accounts a page at a time: the search and "Hide mapped" go to the server
 * (the search once typing pauses), "Show more" asks for the next page, and a map or unmap
 * adjusts the counts from the server's answer instead of asking again. `redraw()` after a page
 * arrives; `onError(e)` when one could not be read.
 */
export function pagedAccounts(integrationId, redraw, onError) {
  let query = '';
  let hideMapped = false;
  let items = [];
  let total = 0;
  let mapped = 0;
  let matched = 0;
  let perPsa = new Map();
  let generation = 0; // a newer search or filter makes the answers to older ones stale
  let first = Promise.resolve();
  let timer = null;
  let lastKey = 0; // when the search last changed
  let busy = false;
  let drifted = false; // a map during a search may have moved a card into or out of it
  let asking = 0; // first pages asked for and not answered yet

  const path = (offset, limit) => `/sim/integrations/${enc(integrationId)}/mappings/accounts${qs({
    offset, limit, q: query.trim(), hideMapped: hideMapped ? 'true' : '',
  })}`;

  function take(page) {
    total = page.total;
    mapped = page.mapped;
    matched = page.matched;
    perPsa = new Map(Object.entries(page.mappedPerPsaAccount || {}));
  }

  /** The first page again (as long as what is shown, on RELOAD): a new search or filter. */
  function restart(keep = 0) {
    clearTimeout(timer);
    timer = null;
    const mine = ++generation;
    drifted = false;
    const limit = Math.min(MAX_PAGE, Math.max(VENDOR_PAGE, keep));
    asking += 1;
    const asked = get(path(0, limit)).finally(() => { asking -= 1; }).then((page) => {
      if (mine !== generation) return;
      take(page);
      items = page.accounts || [];
    });
    first = asked.catch(() => {});
    return asked;
  }

  function quietly(promise) {
    promise.then(() => redraw(), (e) => { if (onError) onError(e); redraw(); });
  }

  return {
    /** The first page, or (RELOAD) as many as are shown. */
    load: () => restart(items.length),
    items: () => items,
    matched: () => matched,
    rest: () => Math.max(0, matched - items.length),
    total: () => total,
    mapped: () => mapped,
    used: () => new Set([...perPsa].filter(([, n]) => n > 0).map(([id]) => id)),
    searching: () => query.trim() !== '',
    loading: () => timer !== null || busy || asking > 0,
    more: async () => {
      if (busy) return;
      // A search still being typed: it goes now, its first page instead of a next one.
      if (timer !== null) { quietly(restart()); return; }
      busy = true;
      try {
        await first; // a search just typed lands first: its next page follows it
        const mine = generation;
        // After such a map the offsets may have moved: what is shown and the next page, again.
        const again = drifted && items.length + VENDOR_PAGE <= MAX_PAGE;
        const page = await get(again ? path(0, items.length + VENDOR_PAGE) : path(items.length, VENDOR_PAGE));
        if (mine !== generation) return;
        take(page);
        if (again) {
          drifted = false;
          items = page.accounts || [];
        } else {
          const seen = new Set(items.map((a) => a.id));
          items = items.concat((page.accounts || []).filter((a) => !seen.has(a.id)));
        }
      } catch (e) {
        if (onError) onError(e);
      } finally {
        busy = false;
      }
      redraw();
    },
    /** A search typed or pasted: the first key after a pause goes at once (a paste is answered
     * without waiting), the keys typed after it wait until typing pauses. */
    setQuery: (q) => {
      query = q;
      const now = Date.now();
      const typing = timer !== null || now - lastKey < SEARCH_DELAY;
      lastKey = now;
      clearTimeout(timer);
      timer = null;
      if (typing) timer = setTimeout(() => quietly(restart()), SEARCH_DELAY);
      else quietly(restart());
    },
    setHideMapped: (on) => { hideMapped = on; quietly(restart()); },
    /** After a map or unmap of `v` (already the server's row), mapped before to `before`. */
    changed: (v, before) => {
      const after = v.psaAccountId || null;
      if (before === after) return;
      if (query.trim()) drifted = true;
      if (before) {
        const n = (perPsa.get(before) || 0) - 1;
        if (n > 0) perPsa.set(before, n); else perPsa.delete(before);
        mapped -= 1;
      }
      if (after) {
        perPsa.set(after, (perPsa.get(after) || 0) + 1);
        mapped += 1;
      }
      // A card mapped with "Hide mapped" on leaves the list, and the server's next page starts
      // one earlier.
      if (hideMapped && after && !before) {
        items = items.filter((a) => a.id !== v.id);
        matched -= 1;
      }
    },
  };
}
