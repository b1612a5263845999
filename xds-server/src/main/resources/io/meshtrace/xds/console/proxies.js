import { call, errors, fleet, typeStates } from './api.js';
import { h } from './dom.js';

const TYPES = ['clusters', 'endpoints', 'listeners', 'routes'];

export async function proxies(page) {
  page.append(h('h2', {}, 'Proxies'));
  const fl = await fleet();
  if (!fl.ok) {
    page.append(h('p', { class: 'error', role: 'alert' }, fl.error));
    return;
  }
  const view = h('section', { id: 'proxy-config', 'aria-live': 'polite' });
  const types = [...new Set(fl.proxies.flatMap((p) => Object.keys(p.types || {})).concat(TYPES))]
    .filter((t) => TYPES.includes(t) || fl.proxies.some((p) => p.types && p.types[t]));
  const rows = fl.proxies.map((p) => {
    const st = typeStates(p);
    return h('tr', { 'data-node': p.node },
      h('td', {}, h('button', { type: 'button', class: 'link', onclick: () => open(p.node, view) }, p.node || '(no id)')),
      h('td', {}, p.replica || 'this server'),
      h('td', {}, p.group || ''),
      h('td', {}, p.protocol || ''),
      types.map((t) => {
        const s = st[t];
        return h('td', { class: s ? 'state ' + s.state.toLowerCase() : '', 'data-type': t },
          s ? s.state + (s.acked ? ' ' + s.acked : '') : '—');
      }),
      h('td', {}, p.lastNack ? p.lastNack.type + ' ' + p.lastNack.version + ': ' + p.lastNack.message : ''));
  });
  page.append(h('table', { class: 'grid', id: 'proxies-table' },
    h('thead', {}, h('tr', {}, ['Node', 'Replica', 'Group', 'Protocol'].concat(types, ['Last NACK'])
      .map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', { colspan: 5 + types.length }, 'No proxy is connected.')))),
  view);
}

// The proxy-config view (Envoy config-dump shape) where the server has it.
async function open(node, view) {
  view.replaceChildren(h('h3', {}, 'Config of ' + node), h('p', {}, 'Loading…'));
  const r = await call('GET', '/proxies/' + encodeURIComponent(node) + '/config');
  const body = r.status === 404 || r.status === 405
    ? h('p', { id: 'proxy-config-missing' }, 'Not available: this server does not offer the proxy-config view.')
    : !r.ok ? h('p', { class: 'error' }, errors(r).join('; '))
      : h('pre', { id: 'proxy-config-json', tabindex: 0 }, JSON.stringify(r.data, null, 2));
  view.replaceChildren(h('h3', {}, 'Config of ' + node), body);
  view.querySelector('h3').focus?.();
}
