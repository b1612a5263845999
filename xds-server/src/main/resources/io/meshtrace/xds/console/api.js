// The admin API from the page: the token rides in an Authorization header (never a cookie),
// bodies are JSON, and answers are JSON or a short text.
const KEY = 'meshtrace.adminToken';

export const session = {
  token: () => sessionStorage.getItem(KEY),
  save: (t) => sessionStorage.setItem(KEY, t),
  clear: () => sessionStorage.removeItem(KEY),
};

export async function call(method, path, body) {
  const headers = { Accept: 'application/json' };
  const t = session.token();
  if (t) headers.Authorization = 'Bearer ' + t;
  const init = { method, headers, credentials: 'omit', cache: 'no-store' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    return { status: 0, ok: false, data: { error: 'the server did not answer: ' + e.message } };
  }
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch (e) {
    data = { error: text.trim() };
  }
  return { status: res.status, ok: res.ok, data };
}

// The error lines of an answer: {"errors": [...]} or {"error": "..."}.
export function errors(r) {
  if (r.data && Array.isArray(r.data.errors)) return r.data.errors;
  if (r.data && r.data.error) return [r.data.error];
  return r.ok ? [] : ['HTTP ' + r.status];
}

// The fleet: GET /proxies?scope=fleet where the server knows the fleet, else this server's
// own streams. Either an array of proxies or an object holding one.
/**
 * A dry run of a PUT /config/tracing body by the server's own validator, for a form checked
 * while it is typed: `patch()` gives the body, `show(lines)` puts the problems next to their
 * fields, `button` is disabled while the form has any. Answers that arrive after a newer
 * check started are dropped. Resolves to whether the body is valid.
 */
export function liveValidation(button, patch, show) {
  let seq = 0;
  return async () => {
    const mine = ++seq;
    button.disabled = true;
    const r = await call('POST', '/config/tracing/validate', patch());
    if (mine !== seq) return false;
    const lines = r.ok ? r.data.errors : errors(r);
    show(lines);
    button.disabled = lines.length > 0;
    return lines.length === 0;
  };
}

export async function fleet() {
  let r = await call('GET', '/proxies?scope=fleet');
  if (!r.ok) r = await call('GET', '/proxies');
  if (!r.ok) return { ok: false, proxies: [], error: errors(r).join('; ') };
  const d = r.data;
  const list = Array.isArray(d) ? d : (d && (d.proxies || d.nodes)) || [];
  return { ok: true, proxies: list };
}

// A proxy's state per type: SYNCED (acked what was sent), NACK (rejected the last version
// sent), STALE (not acked yet).
export function typeStates(p) {
  const out = {};
  for (const [type, t] of Object.entries(p.types || {})) {
    const nack = p.lastNack && p.lastNack.type === type && t.acked !== t.sent;
    out[type] = { state: t.synced ? 'SYNCED' : nack ? 'NACK' : 'STALE', sent: t.sent, acked: t.acked };
  }
  return out;
}

export function proxyState(p) {
  const states = Object.values(typeStates(p)).map((s) => s.state);
  if (states.includes('NACK')) return 'NACK';
  if (states.length > 0 && states.every((s) => s === 'SYNCED')) return 'SYNCED';
  return 'STALE';
}

// Values of these names are never shown: request headers to a collector often carry keys.
export function isSecretName(name) {
  return /auth|token|key|secret|password|passwd|cookie|credential|session/i.test(name || '');
}
