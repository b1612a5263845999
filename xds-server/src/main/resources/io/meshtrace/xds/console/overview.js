import { call, errors, fleet, proxyState } from './api.js';
import { h, percent } from './dom.js';

export function meshRule(config) {
  return (config.tracing || []).find((r) => !r.selector) || null;
}

export function providerInUse(config) {
  const rule = meshRule(config);
  if (rule && rule.providers && rule.providers.length) return rule.providers[0].name;
  const d = config.defaultProviders && config.defaultProviders.tracing;
  return d && d.length ? d[0] : null;
}

export async function overview(page) {
  const [tracing, fl] = await Promise.all([call('GET', '/config/tracing'), fleet()]);
  page.append(h('h2', {}, 'Overview'));
  if (!tracing.ok) {
    page.append(h('p', { class: 'error', role: 'alert' }, errors(tracing).join('; ')));
    return;
  }
  const t = tracing.data;
  const config = t.config || {};
  const rule = meshRule(config);
  const name = providerInUse(config);
  const kind = (config.extensionProviders || []).find((p) => p.name === name);
  const on = !!name && !(rule && rule.disableSpanReporting);
  const counts = { SYNCED: 0, STALE: 0, NACK: 0 };
  for (const p of fl.proxies) counts[proxyState(p)]++;
  const why = t.propagationSource === 'propagation' ? 'set by the propagation key'
    : t.propagationSource === 'meshVersion'
      ? 'from meshVersion ' + config.meshVersion + ': b3 up to 1.18.0.124, w3c after'
      : 'the default (no meshVersion, no propagation key)';
  page.append(h('dl', { class: 'cards' },
    card('Tracing', on ? 'on' : 'off', 'overview-tracing'),
    card('Provider', name ? name + (kind ? ' (' + Object.keys(kind).filter((k) => k !== 'name')[0] + ')' : '') : 'none',
      'overview-provider'),
    card('Sampling (mesh-wide)', rule && rule.randomSamplingPercentage !== undefined
      ? percent(rule.randomSamplingPercentage) : 'not set (server default)', 'overview-sampling'),
    card('Propagation', (t.effectivePropagation || '?') + ' — ' + why, 'overview-propagation'),
    card('Proxies', counts.SYNCED + ' synced, ' + counts.STALE + ' stale, ' + counts.NACK + ' rejecting',
      'overview-proxies')));
  if (!fl.ok) page.append(h('p', { class: 'error' }, 'Proxies: ' + fl.error));
  if (t.warnings && t.warnings.length) {
    page.append(h('h3', {}, 'Warnings'), h('ul', {}, t.warnings.map((w) => h('li', {}, w))));
  }
  if (t.lastRejected && t.lastRejected.length) {
    page.append(h('h3', {}, 'Last rejected change'),
      h('ul', { class: 'error' }, t.lastRejected.map((w) => h('li', {}, w))));
  }
}

function card(title, value, id) {
  return h('div', { class: 'card' }, h('dt', {}, title), h('dd', { id }, value));
}
