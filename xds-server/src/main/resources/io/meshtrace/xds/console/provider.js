import { call, errors, liveValidation, isSecretName } from './api.js';
import { debounce, field, h, problem, select } from './dom.js';

// Protocols users pick from, and where each keeps its fields in extensionProviders[].
const PROTOCOLS = [
  ['otel-grpc', 'OpenTelemetry over gRPC'],
  ['otel-http', 'OpenTelemetry over HTTP'],
  ['zipkin', 'Zipkin'],
  ['skywalking', 'SkyWalking'],
];
const HIDDEN = '(unchanged)';

function protocolOf(p) {
  if (p.opentelemetry) return p.opentelemetry.http ? 'otel-http' : 'otel-grpc';
  if (p.zipkin) return 'zipkin';
  if (p.skywalking) return 'skywalking';
  return null;
}

function kindOf(protocol) {
  return protocol.startsWith('otel') ? 'opentelemetry' : protocol;
}

export async function provider(page) {
  const r = await call('GET', '/config/tracing');
  page.append(h('h2', {}, 'Provider'));
  if (!r.ok) {
    page.append(h('p', { class: 'error', role: 'alert' }, errors(r).join('; ')));
    return;
  }
  const config = r.data.config || {};
  const list = config.extensionProviders || [];
  const editable = list.map((p, i) => [i, p]).filter(([, p]) => protocolOf(p));
  const defaults = (config.defaultProviders && config.defaultProviders.tracing) || [];
  const chooser = select('provider-pick', 'Provider to edit',
    editable.map(([i, p]) => [String(i), p.name + ' — ' + PROTOCOLS.find((x) => x[0] === protocolOf(p))[1]])
      .concat([['new', 'New provider']]),
    editable.length ? String(editable[0][0]) : 'new');
  const holder = h('div', {});
  page.append(chooser.wrap, holder);
  const render = () => {
    const v = chooser.input.value;
    const index = v === 'new' ? list.length : Number(v);
    holder.replaceChildren(form(list, index, defaults, r.data.versions));
  };
  chooser.input.addEventListener('change', render);
  render();
}

function form(list, index, defaults, versions) {
  const original = list[index] || { name: '', zipkin: {} };
  let protocol = protocolOf(original) || 'zipkin';
  const body = original[kindOf(protocol)] || {};
  const sub = protocol === 'otel-http' ? body.http || {} : protocol === 'otel-grpc' ? body.grpc || {} : {};
  const originalHeaders = protocol === 'otel-http' ? sub.headers || [] : protocol === 'otel-grpc' ? sub.initialMetadata || [] : [];

  const proto = select('protocol', 'Protocol', PROTOCOLS, protocol);
  const name = field('name', 'Name', { type: 'text', value: original.name || '', required: true, autocomplete: 'off' });
  const service = field('service', 'Domain name', { type: 'text', value: body.service || '', required: true, autocomplete: 'off' },
    'Collector host, e.g. otel-collector.observability.svc.cluster.local');
  const port = field('port', 'Port', { type: 'text', inputmode: 'numeric', value: body.port ?? '', required: true, autocomplete: 'off' });
  const timeout = field('timeout', 'Timeout', { type: 'text', value: sub.timeout || '', placeholder: '5s', autocomplete: 'off' },
    'A duration: 500ms, 5s, 1m');
  const path = field('path', 'Path', { type: 'text', value: protocol === 'zipkin' ? body.path || '' : sub.path || '', autocomplete: 'off' });
  const headers = h('textarea', { id: 'headers', name: 'headers', rows: 3, 'aria-describedby': 'headers-msg' },
    originalHeaders.map((x) => x.name + ': ' + (isSecretName(x.name) ? HIDDEN : x.value)).join('\n'));
  const headersWrap = h('div', { class: 'field' }, h('label', { for: 'headers' }, 'Request headers'), headers,
    h('span', { class: 'hint' }, 'One "name: value" per line. Values of names like authorization or token are never shown: leave "' + HIDDEN + '" to keep them.'),
    h('span', { id: 'headers-msg', class: 'field-msg', role: 'status' }));
  const token = field('accessToken', 'Access token', { type: 'password', value: '', autocomplete: 'off',
    placeholder: body.accessToken ? 'set; leave empty to keep' : 'none' });
  const isDefault = h('input', { id: 'default', type: 'checkbox', checked: defaults.includes(original.name) || list.length === 0 });
  const submit = h('button', { type: 'submit', id: 'provider-submit', disabled: true }, 'Submit');
  const formErrors = h('ul', { id: 'provider-errors', class: 'error', role: 'alert' });
  const result = h('p', { id: 'provider-result', role: 'status' });
  const fields = { name, service, port, timeout, path, accessToken: token };

  const layout = () => {
    protocol = proto.input.value;
    timeout.wrap.hidden = !protocol.startsWith('otel');
    headersWrap.hidden = !protocol.startsWith('otel');
    path.wrap.hidden = !(protocol === 'otel-http' || protocol === 'zipkin');
    path.input.placeholder = protocol === 'zipkin' ? '/api/v2/spans' : '/';
    token.wrap.hidden = protocol !== 'skywalking';
  };

  const headerList = () => headers.value.split('\n').map((l) => l.trim()).filter((l) => l).map((l) => {
    const c = l.indexOf(':');
    const n = (c < 0 ? l : l.slice(0, c)).trim();
    let v = c < 0 ? '' : l.slice(c + 1).trim();
    if (v === HIDDEN) {
      const old = originalHeaders.find((x) => x.name === n);
      v = old ? old.value : '';
    }
    return { name: n, value: v };
  });

  const value = (input) => input.value.trim();
  const numberOr = (s) => (/^\d+$/.test(s) ? Number(s) : s);

  const patch = () => {
    const p = {};
    if (value(service.input)) p.service = value(service.input);
    if (value(port.input)) p.port = numberOr(value(port.input));
    if (protocol === 'zipkin' && value(path.input)) p.path = value(path.input);
    if (protocol === 'skywalking') {
      const t = token.input.value || body.accessToken;
      if (t) p.accessToken = t;
    }
    if (protocol.startsWith('otel')) {
      const s = {};
      if (value(timeout.input)) s.timeout = value(timeout.input);
      if (protocol === 'otel-http' && value(path.input)) s.path = value(path.input);
      const hs = headerList();
      if (hs.length) s[protocol === 'otel-http' ? 'headers' : 'initialMetadata'] = hs;
      p[protocol === 'otel-http' ? 'http' : 'grpc'] = s;
    }
    const entry = { name: value(name.input), [kindOf(protocol)]: p };
    const providers = list.slice();
    providers[index] = entry;
    const out = { extensionProviders: providers };
    if (isDefault.checked) out.defaultProviders = { tracing: [entry.name] };
    return out;
  };

  // Problems at extensionProviders[index] go next to their field, the rest above Submit.
  const show = (lines) => {
    for (const f of Object.values(fields)) f.message.textContent = '';
    document.getElementById('headers-msg').textContent = '';
    formErrors.replaceChildren();
    const prefix = 'extensionProviders[' + index + ']';
    for (const line of lines) {
      const { path: at } = problem(line);
      let target = null;
      if (at.startsWith(prefix)) {
        const rest = at.slice(prefix.length);
        if (rest === '.name') target = name.message;
        else if (/\.(http|grpc)\.(headers|initialMetadata)/.test(rest)) target = document.getElementById('headers-msg');
        else if (/\.(http|grpc)\.timeout$/.test(rest)) target = timeout.message;
        else if (/\.path$/.test(rest)) target = path.message;
        else if (/\.service$/.test(rest)) target = service.message;
        else if (/\.port$/.test(rest)) target = port.message;
        else if (/\.accessToken$/.test(rest)) target = token.message;
      }
      if (target) target.textContent = (target.textContent ? target.textContent + ' ' : '') + line;
      else formErrors.append(h('li', {}, line));
    }
    for (const f of Object.values(fields)) f.input.setAttribute('aria-invalid', f.message.textContent ? 'true' : 'false');
  };

  const validate = liveValidation(submit, patch, show);
  const later = debounce(validate, 250);

  const f = h('form', { id: 'provider-form', novalidate: true }, proto.wrap, name.wrap, service.wrap, port.wrap,
    timeout.wrap, path.wrap, headersWrap, token.wrap,
    h('div', { class: 'field inline' }, isDefault, h('label', { for: 'default' }, 'Use as the default provider')),
    formErrors, submit, result);
  f.addEventListener('input', () => { result.textContent = ''; submit.disabled = true; later(); });
  proto.input.addEventListener('change', layout);
  f.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!(await validate())) return;
    const r = await call('PUT', '/config/tracing', patch());
    if (!r.ok) {
      show(errors(r));
      return;
    }
    result.textContent = 'Pushed. Versions now: ' + Object.entries(r.data.versions || {})
      .map(([g, v]) => g + ' listeners ' + (v.listeners || '?')).join(', ');
  });
  layout();
  validate();
  return f;
}
