// Builds elements from text only: nothing the server or a proxy sent is ever parsed as HTML.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

// A labelled input with its message slot: {wrap, input, message}.
export function field(id, label, attrs, hint) {
  const input = h('input', Object.assign({ id, name: id, 'aria-describedby': id + '-msg' }, attrs));
  const message = h('span', { id: id + '-msg', class: 'field-msg', role: 'status' });
  const wrap = h('div', { class: 'field' }, h('label', { for: id }, label), input,
    hint ? h('span', { class: 'hint' }, hint) : null, message);
  return { wrap, input, message };
}

export function select(id, label, options, value) {
  const input = h('select', { id, name: id },
    options.map(([v, text]) => h('option', { value: v, selected: v === value }, text)));
  const wrap = h('div', { class: 'field' }, h('label', { for: id }, label), input);
  return { wrap, input };
}

export function debounce(fn, ms) {
  let t = null;
  return (...args) => { clearTimeout(t); t = setTimeout(() => fn(...args), ms); };
}

// "a.b[0].c=value: expected" -> {path, text}; lines without "=" keep their key before ":".
export function problem(line) {
  const eq = line.indexOf('=');
  const colon = line.indexOf(':');
  const end = eq >= 0 && (colon < 0 || eq < colon) ? eq : colon;
  return { path: end > 0 ? line.slice(0, end) : '', text: line };
}

export function percent(v) {
  return v === null || v === undefined ? '—' : Number(v).toString() + ' %';
}
