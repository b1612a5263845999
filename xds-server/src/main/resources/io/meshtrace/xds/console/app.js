import { call, errors, session } from './api.js';
import { overview } from './overview.js';
import { provider } from './provider.js';
import { sampling } from './sampling.js';
import { proxies } from './proxies.js';
import { explain } from './explain.js';
import { breaks } from './breaks.js';

const PAGES = { overview, provider, sampling, proxies, explain, breaks };
const signIn = document.getElementById('sign-in');
const nav = document.getElementById('nav');
const page = document.getElementById('page');

// The token is checked by a route that needs it and changes nothing: an empty validation.
async function check(token) {
  session.save(token);
  const r = await call('POST', '/config/tracing/validate', {});
  if (r.status === 200) return null;
  session.clear();
  return errors(r).join('; ');
}

async function show() {
  if (!session.token()) {
    nav.hidden = true;
    page.replaceChildren();
    signIn.hidden = false;
    document.getElementById('token').focus();
    return;
  }
  signIn.hidden = true;
  nav.hidden = false;
  const name = (location.hash || '#overview').slice(1);
  const render = PAGES[name] || overview;
  for (const a of nav.querySelectorAll('a')) {
    if (a.dataset.page === name) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  page.replaceChildren();
  page.dataset.page = name;
  await render(page);
  page.dataset.ready = name;
}

document.getElementById('sign-in-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const input = document.getElementById('token');
  const message = document.getElementById('sign-in-error');
  message.textContent = '';
  const problem = await check(input.value.trim());
  input.value = '';
  if (problem) {
    message.textContent = 'Not signed in: ' + problem;
    input.focus();
    return;
  }
  show();
});

document.getElementById('sign-out').addEventListener('click', () => {
  session.clear();
  show();
});

window.addEventListener('hashchange', show);
show();
