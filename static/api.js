// The console's only way to the simulator: the JSON control API under /sim (docs/sim-api.md).

export class ApiError extends Error {
  constructor(status, body, fallback) {
    let msg = body && body.message !== undefined ? body.message : fallback;
    if (Array.isArray(msg)) msg = msg.join('; ');
    super(msg || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

// The partner the console acts for (POST /sim/partners makes more than the seed's); null is the
// seed's partner, which /sim acts for when a request names none.
let partnerId = sessionStorage.getItem('synthsim.partner') || null;

export function currentPartner() { return partnerId; }

export function setPartner(id) {
  partnerId = id || null;
  if (partnerId) sessionStorage.setItem('synthsim.partner', partnerId);
  else sessionStorage.removeItem('synthsim.partner');
}

/** api('GET', '/sim/integrations') -> parsed JSON; throws ApiError on a non-2xx answer. */
export async function api(method, path, body) {
  const init = { method, headers: { Accept: 'application/json' } };
  // Partner-wide /sim routes act for the chosen partner; integration routes act for their own.
  if (partnerId && path.startsWith('/sim/') && !path.startsWith('/sim/partners')) init.headers['X-Sim-Partner'] = partnerId;
  // Every write says it is JSON: the control API refuses browser writes of any other type.
  if (method !== 'GET') init.headers['Content-Type'] = 'application/json';
  if (body !== undefined) init.body = JSON.stringify(body);
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, null, `The simulator did not answer (${e.message}). Is synthesize-sim still running?`);
  }
  const text = await res.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch { data = { message: text.slice(0, 300) }; }
  }
  if (!res.ok) throw new ApiError(res.status, data, `${method} ${path} answered ${res.status} ${res.statusText}`);
  return data;
}

export const get = (p) => api('GET', p);
export const post = (p, b) => api('POST', p, b);
export const put = (p, b) => api('PUT', p, b);
export const del = (p) => api('DELETE', p);

export const enc = encodeURIComponent;

/** Query string from an object, skipping empty values. */
export function qs(params) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') u.set(k, v);
  const s = u.toString();
  return s ? `?${s}` : '';
}
