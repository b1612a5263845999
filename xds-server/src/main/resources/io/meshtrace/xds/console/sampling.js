import { call, errors, liveValidation } from './api.js';
import { debounce, field, h, percent, problem } from './dom.js';

export async function sampling(page) {
  const [tr, eff] = await Promise.all([call('GET', '/config/tracing'), call('GET', '/console/sampling')]);
  page.append(h('h2', {}, 'Sampling'));
  if (!tr.ok) {
    page.append(h('p', { class: 'error', role: 'alert' }, errors(tr).join('; ')));
    return;
  }
  const rules = (tr.data.config.tracing || []).map((r) => JSON.parse(JSON.stringify(r)));
  let meshIndex = rules.findIndex((r) => !r.selector);
  if (meshIndex < 0) {
    rules.unshift({});
    meshIndex = 0;
  }
  const services = eff.ok ? [...new Set(eff.data.groups.map((g) => g.service).filter((s) => s))] : [];

  const global = field('sampling-global', 'Mesh-wide random sampling (%)',
    { type: 'text', inputmode: 'decimal', value: rules[meshIndex].randomSamplingPercentage ?? '', autocomplete: 'off' },
    '0 to 100; every proxy without an override');
  const inputs = new Map([[meshIndex, global]]);
  const overrides = h('tbody', {});
  const addRow = (i) => {
    const r = rules[i];
    const id = 'sampling-rule-' + i;
    const f = field(id, 'Random sampling (%) for ' + r.selector.services.join(', ')
      + (r.match && r.match.mode ? ' (' + r.match.mode + ')' : ''),
      { type: 'text', inputmode: 'decimal', value: r.randomSamplingPercentage ?? '', autocomplete: 'off' });
    inputs.set(i, f);
    const remove = h('button', { type: 'button', onclick: () => { rules[i] = null; row.remove(); inputs.delete(i); later(); } },
      'Remove override for ' + r.selector.services.join(', '));
    const row = h('tr', {}, h('td', {}, f.wrap), h('td', {}, remove));
    overrides.append(row);
  };
  rules.forEach((r, i) => { if (r && r.selector && r.selector.services) addRow(i); });

  const newService = h('select', { id: 'sampling-new-service' }, services.map((s) => h('option', { value: s }, s)));
  const add = h('button', { type: 'button', onclick: () => {
    if (!newService.value) return;
    rules.push({ selector: { services: [newService.value] }, randomSamplingPercentage: 100 });
    addRow(rules.length - 1);
    inputs.get(rules.length - 1).input.focus();
    later();
  } }, 'Add override');

  const save = h('button', { type: 'submit', id: 'sampling-save', disabled: true }, 'Save');
  const formErrors = h('ul', { id: 'sampling-errors', class: 'error', role: 'alert' });
  const result = h('p', { id: 'sampling-result', role: 'status' });
  const effect = h('div', { id: 'sampling-effect' });

  const patch = () => {
    const out = [];
    rules.forEach((r, i) => {
      if (!r) return;
      const copy = JSON.parse(JSON.stringify(r));
      const v = inputs.get(i) ? inputs.get(i).input.value.trim() : undefined;
      if (v === '') delete copy.randomSamplingPercentage;
      else if (v !== undefined) copy.randomSamplingPercentage = /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v;
      out.push(copy);
    });
    return { tracing: out.filter((r) => Object.keys(r).length) };
  };
  // Server paths name the rule by its index in the list sent; map back to the inputs.
  const show = (lines) => {
    const sent = [];
    rules.forEach((r, i) => { if (r) sent.push(i); });
    for (const f of inputs.values()) f.message.textContent = '';
    formErrors.replaceChildren();
    for (const line of lines) {
      const m = /^tracing\[(\d+)\]\.randomSamplingPercentage/.exec(problem(line).path);
      const f = m ? inputs.get(sent[Number(m[1])]) : null;
      if (f) f.message.textContent = line;
      else formErrors.append(h('li', {}, line));
    }
  };
  const validate = liveValidation(save, patch, show);
  const later = debounce(validate, 250);

  const form = h('form', { id: 'sampling-form', novalidate: true }, global.wrap,
    h('h3', {}, 'Per-service overrides'),
    h('table', { class: 'plain' }, overrides),
    h('div', { class: 'field inline' }, h('label', { for: 'sampling-new-service' }, 'Service'), newService, add),
    formErrors, save, result);
  form.addEventListener('input', () => { result.textContent = ''; save.disabled = true; later(); });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!(await validate())) return;
    const r = await call('PUT', '/config/tracing', patch());
    if (!r.ok) {
      show(errors(r));
      return;
    }
    result.textContent = 'Pushed. Every connected proxy gets the new version.';
    await drawEffect(effect);
  });
  page.append(form, h('h3', {}, 'What each proxy group gets'), effect);
  await drawEffect(effect);
  validate();
}

async function drawEffect(holder) {
  const [eff, tr] = await Promise.all([call('GET', '/console/sampling'), call('GET', '/config/tracing')]);
  if (!eff.ok) {
    holder.replaceChildren(h('p', { class: 'error' }, errors(eff).join('; ')));
    return;
  }
  const versions = tr.ok ? tr.data.versions || {} : {};
  const side = (s) => (s ? percent(s.randomSamplingPercentage) + (s.provider ? ' → ' + s.provider : ' (no tracing)') : '—');
  holder.replaceChildren(h('table', { class: 'grid', id: 'sampling-groups' },
    h('thead', {}, h('tr', {}, ['Group', 'Inbound', 'Outbound', 'Rules', 'Route overrides', 'Listener version']
      .map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, eff.data.groups.map((g) => h('tr', { 'data-group': g.group },
      h('td', {}, g.group), h('td', {}, side(g.inbound)), h('td', {}, side(g.outbound)),
      h('td', {}, [...new Set([].concat(g.inbound ? g.inbound.rules : [], g.outbound.rules))].join(', ') || 'defaults'),
      h('td', {}, g.routes.map((r) => r.route + ' ' + r.prefix + ': ' + percent(r.randomSamplingPercentage)).join('; ') || '—'),
      h('td', { class: 'mono' }, (versions[g.group] || {}).listeners || '—'))))));
}
