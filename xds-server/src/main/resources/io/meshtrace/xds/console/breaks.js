import { call, errors } from './api.js';
import { field, h } from './dom.js';

export async function breaks(page) {
  const zipkin = field('breaks-zipkin', 'Zipkin URL', { type: 'url', placeholder: 'http://zipkin.istio-system:9411', autocomplete: 'off', required: true });
  const trace = field('breaks-trace', 'Trace id', { type: 'text', placeholder: '16 or 32 hex characters', autocomplete: 'off', required: true });
  zipkin.input.value = sessionStorage.getItem('meshtrace.zipkin') || '';
  const out = h('section', { id: 'breaks-result', 'aria-live': 'polite' });
  const form = h('form', { id: 'breaks-form', novalidate: true }, zipkin.wrap, trace.wrap,
    h('button', { type: 'submit', id: 'breaks-run' }, 'Check propagation'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    zipkin.message.textContent = '';
    trace.message.textContent = '';
    sessionStorage.setItem('meshtrace.zipkin', zipkin.input.value.trim());
    out.replaceChildren(h('p', {}, 'Reading traces…'));
    const r = await call('POST', '/console/trace-breaks', { zipkin: zipkin.input.value.trim(), traceId: trace.input.value.trim() });
    if (!r.ok) {
      const rest = [];
      for (const l of errors(r)) {
        if (l.startsWith('zipkin=')) zipkin.message.textContent = l;
        else if (l.startsWith('traceId=')) trace.message.textContent = l;
        else rest.push(l);
      }
      out.replaceChildren(h('ul', { class: 'error', role: 'alert' }, rest.map((l) => h('li', {}, l))));
      return;
    }
    draw(out, r.data);
  });
  page.append(h('h2', {}, 'Trace breaks'),
    h('p', {}, 'Reads the trace and every trace of its time window from Zipkin, runs the propagation check, and draws the trace with the pieces that broke off it.'),
    form, out);
}

function draw(out, d) {
  if (!d.found) {
    out.replaceChildren(h('p', { class: 'error', role: 'alert' }, d.error));
    return;
  }
  const total = Math.max(1, ...d.rows.map((r) => r.offsetMicros + r.durationMicros));
  const ms = (us) => (us / 1000).toFixed(1) + ' ms';
  out.replaceChildren(
    h('p', { id: 'breaks-summary' }, d.findings.length
      ? d.findings.length + ' break(s) in ' + d.traces + ' traces read (' + d.spans + ' spans).'
      : 'No break: every hop of this trace keeps the trace headers (' + d.traces + ' traces read).'),
    h('ul', { id: 'breaks-findings' }, d.findings.map((f) =>
      h('li', { class: 'finding' }, h('strong', { class: 'hop' }, f.hop), ': ', f.summary))),
    h('div', { class: 'waterfall', id: 'waterfall', role: 'table', 'aria-label': 'Waterfall' },
      d.rows.map((r) => {
        const bar = h('span', { class: 'bar' });
        bar.style.left = (100 * r.offsetMicros / total) + '%';
        bar.style.width = Math.max(0.5, 100 * r.durationMicros / total) + '%';
        const label = h('span', { class: 'label' }, r.service + ' ' + (r.name || '') + (r.kind ? ' [' + r.kind + ']' : ''));
        label.style.paddingLeft = (r.depth * 1.2) + 'em';
        const cls = 'row' + (r.dropsHeaders ? ' drops' : '') + (r.newTrace ? ' new-trace' : '');
        return h('div', { class: cls, role: 'row', 'data-span': r.id, 'data-trace': r.traceId },
          h('span', { role: 'cell', class: 'name' }, label,
            r.dropsHeaders ? h('span', { class: 'mark' }, ' ✖ drops trace headers') : null,
            r.newTrace ? h('span', { class: 'mark' }, ' ↳ new trace ' + r.traceId.slice(0, 8) + '…') : null),
          h('span', { role: 'cell', class: 'track' }, bar),
          h('span', { role: 'cell', class: 'time' }, ms(r.durationMicros)));
      })));
}
