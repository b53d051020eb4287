// "Closest PSA names first": production's per-card filter guesses which PSA item a vendor item
// is. Auto-mapping stays exact (Gradient does no fuzzy matching); this only orders a list.

// Words that say what kind of company it is, not which one.
const NOISE = new Set(['inc', 'llc', 'llp', 'ltd', 'co', 'corp', 'corporation', 'company', 'the', 'group', 'plc', 'gmbh', 'and']);

export function normalise(s) {
  return String(s || '').toLowerCase().normalize('NFKD').replace(/[\u0300-\u036f]/g, '').replace(/[^a-z0-9]+/g, ' ').trim();
}

function words(norm) { return norm.split(' ').filter((w) => w && !NOISE.has(w)); }

function bigrams(norm) {
  const s = ` ${norm} `;
  const out = new Set();
  for (let i = 0; i < s.length - 1; i += 1) out.add(s.slice(i, i + 2));
  return out;
}

/** What a name is compared by, computed once per item. */
export function keyOf(name) {
  const norm = normalise(name);
  return { norm, words: new Set(words(norm)), grams: bigrams(norm) };
}

/** 0..1: shared character pairs (Dice), plus shared distinctive words, plus a common start. */
export function similarity(a, b) {
  if (!a.norm || !b.norm) return 0;
  if (a.norm === b.norm) return 2;
  let shared = 0;
  for (const g of a.grams) if (b.grams.has(g)) shared += 1;
  const dice = (2 * shared) / (a.grams.size + b.grams.size);
  let common = 0;
  for (const w of a.words) if (b.words.has(w)) common += 1;
  const overlap = common / Math.max(1, Math.min(a.words.size, b.words.size));
  const first = [...a.words][0];
  const start = first && [...b.words][0] === first ? 0.25 : 0;
  return dice + overlap * 0.5 + start;
}

/**
 * The items ordered by how close `name` is to each, best first; `keys` holds each item's key
 * (from keyOf), in the same order as `items`.
 */
export function closestFirst(items, keys, name) {
  const k = keyOf(name);
  const scored = items.map((item, i) => ({ item, s: similarity(k, keys[i]) }));
  scored.sort((x, y) => y.s - x.s);
  return scored.map((x) => x.item);
}

/**
 * Items matching a typed query, best first: whole-text starts, word starts, then anywhere.
 * `texts[i]` is the lower-cased text item i is searched by. At most `limit` items.
 */
export function typeAhead(items, texts, query, limit) {
  const q = query.trim().toLowerCase();
  const starts = [];
  const wordStarts = [];
  const inside = [];
  for (let i = 0; i < items.length; i += 1) {
    const t = texts[i];
    const at = t.indexOf(q);
    if (at < 0) continue;
    if (at === 0) starts.push(items[i]);
    else if (/[^a-z0-9]/.test(t[at - 1])) wordStarts.push(items[i]);
    else inside.push(items[i]);
    if (starts.length >= limit) break;
  }
  return [...starts, ...wordStarts, ...inside].slice(0, limit);
}
