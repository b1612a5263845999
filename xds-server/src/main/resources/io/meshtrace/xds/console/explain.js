import { call, errors } from './api.js';
import { h, select } from './dom.js';

const EXAMPLE = 'x-b3-traceid: 80f198ee56343ba864fe8b2a57d3eff7\nx-b3-sampled: 1\n';

export async function explain(page) {
  const headers = h('textarea', { id: 'explain-headers', rows: 8, spellcheck: 'false', placeholder: EXAMPLE });
  const formats = ['w3c', 'b3multi', 'b3single'].map((f) => {
    const box = h('input', { type: 'checkbox', id: 'format-' + f, value: f, checked: f !== 'b3single' });
    return { box, wrap: h('span', { class: 'inline' }, box, h('label', { for: 'format-' + f }, f)) };
  });
  const edge = select('explain-sampling', 'Edge sampling policy',
    [['trust', 'trust'], ['defer', 'defer'], ['deny-forced', 'deny-forced']], 'trust');
  const out = h('section', { id: 'explain-result', 'aria-live': 'polite' });
  const form = h('form', { id: 'explain-form' },
    h('div', { class: 'field' }, h('label', { for: 'explain-headers' }, 'Request headers (one "Name: value" per line; curl -v output works)'), headers),
    h('fieldset', {}, h('legend', {}, 'Formats the gateway writes'), formats.map((f) => f.wrap)),
    edge.wrap,
    h('button', { type: 'submit', id: 'explain-run' }, 'Explain'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const r = await call('POST', '/console/explain', {
      headers: headers.value,
      formats: formats.filter((f) => f.box.checked).map((f) => f.box.value).join(','),
      sampling: edge.input.value,
    });
    if (!r.ok) {
      out.replaceChildren(h('ul', { class: 'error', role: 'alert' }, errors(r).map((l) => h('li', {}, l))));
      return;
    }
    const d = r.data;
    out.replaceChildren(
      h('p', {}, 'Verdict: ', h('strong', { id: 'explain-verdict', class: 'verdict ' + d.verdict }, d.verdict)),
      h('p', { id: 'explain-reason' }, d.reason),
      d.traceId ? h('p', {}, 'Trace id sent on: ', h('code', { id: 'explain-trace' }, d.traceId), ', span id ', h('code', {}, d.spanId))
        : h('p', { id: 'explain-trace' }, 'No trace id is sent on: Envoy starts the trace.'),
      d.skipped ? h('p', { class: 'hint' }, d.skipped) : null,
      h('pre', { id: 'explain-text', tabindex: 0 }, d.text));
  });
  page.append(h('h2', {}, 'Explain'), h('p', {}, 'What the gateway\'s repair does with these headers, and what Envoy\'s tracer would do without it.'), form, out);
}
