/* global window, document, URLSearchParams, history, location, setTimeout, clearTimeout */
// The index: every target with its state, worst first, filtered and paged by the API
// (/api/v1/targets); the query lives in the page's URL, so a reload or a shared link keeps it.
'use strict';

(function () {
  const { el, ms, percent, clock, api, STATE_TEXT } = window.netdiag;
  const PER_PAGE = 100;
  const REFRESH_MS = 10_000;
  const query = new URLSearchParams(location.search);
  const $ = (id) => document.getElementById(id);
  let timer;

  function init() {
    $('name').value = query.get('name') || '';
    $('label').value = query.get('label') || '';
    $('state').value = query.get('state') || '';
    $('filters').addEventListener('submit', (event) => event.preventDefault());
    let typing;
    for (const id of ['name', 'label'])
      $(id).addEventListener('input', () => {
        clearTimeout(typing);
        typing = setTimeout(() => setQuery({ [id]: $(id).value, page: '' }), 250);
      });
    $('state').addEventListener('change', () => setQuery({ state: $('state').value, page: '' }));
    $('refresh').addEventListener('change', schedule);
    for (const th of document.querySelectorAll('th[data-sort]'))
      th.querySelector('button').addEventListener('click', () => {
        const key = th.dataset.sort;
        const current = query.get('sort') || 'state';
        const order = query.get('order') || (current === 'name' ? 'asc' : 'desc');
        const next = key === current ? (order === 'asc' ? 'desc' : 'asc') : key === 'name' ? 'asc' : 'desc';
        setQuery({ sort: key, order: next, page: '' });
      });
    $('prev').addEventListener('click', () => setQuery({ page: String(Math.max(1, page() - 1)) }));
    $('next').addEventListener('click', () => setQuery({ page: String(page() + 1) }));
    load();
  }

  function page() {
    return Number(query.get('page') || '1');
  }

  function setQuery(changes) {
    for (const [key, value] of Object.entries(changes)) {
      if (value) query.set(key, value);
      else query.delete(key);
    }
    const text = query.toString();
    history.replaceState(null, '', text ? `?${text}` : location.pathname);
    load();
  }

  function schedule() {
    clearTimeout(timer);
    if ($('refresh').checked) timer = setTimeout(load, REFRESH_MS);
  }

  async function load() {
    const params = new URLSearchParams(query);
    params.set('per_page', String(PER_PAGE));
    try {
      render(await api(`api/v1/targets?${params}`));
    } catch (error) {
      $('counts').textContent = `Could not load the targets: ${error.message}`;
    }
    schedule();
  }

  function render(data) {
    const s = data.states;
    $('counts').textContent =
      `${data.total} targets shown: ${s.down} down, ${s.degraded} degraded, ${s.unknown} unknown, ${s.up} up ` +
      `(at ${clock(data.now)})`;
    const sort = query.get('sort') || 'state';
    const order = query.get('order') || (sort === 'name' ? 'asc' : 'desc');
    for (const th of document.querySelectorAll('th[data-sort]'))
      th.setAttribute(
        'aria-sort',
        th.dataset.sort === sort ? (order === 'asc' ? 'ascending' : 'descending') : 'none',
      );
    const body = document.querySelector('#targets tbody');
    body.replaceChildren(...data.targets.map(row));
    const pages = Math.max(1, Math.ceil(data.total / data.perPage));
    $('page').textContent = `page ${data.page} of ${pages}`;
    $('prev').disabled = data.page <= 1;
    $('next').disabled = data.page >= pages;
  }

  function row(t) {
    const knock = t.knock.map((k) => `${k.port} ${k.state || 'no answer'}`).join(', ');
    const trace = t.trace
      ? `${t.trace.hops} hops, ${t.trace.reached ? 'reached' : 'not reached'}, ${t.trace.paths} path${t.trace.paths === 1 ? '' : 's'}`
      : '';
    const error = t.lastError
      ? `${t.lastError.probe} ${t.lastError.reason} at ${clock(t.lastError.time).slice(11)}`
      : '';
    return el(
      'tr',
      { class: `state-${t.state}`, 'data-target': t.name },
      el(
        'th',
        { scope: 'row' },
        el('a', { href: `target?name=${encodeURIComponent(t.name)}` }, t.name),
        ...Object.entries(t.labels).map(([k, v]) => el('span', { class: 'label' }, `${k}=${v}`)),
      ),
      el('td', { class: 'state' }, STATE_TEXT[t.state]),
      el('td', { class: 'num' }, ms(t.ping && t.ping.median)),
      el('td', { class: 'num' }, ms(t.ping && t.ping.p90)),
      el('td', { class: 'num' }, percent(t.ping ? t.ping.loss : t.knock[0] ? t.knock[0].loss : null)),
      el('td', { class: 'num' }, ms(t.ping && t.ping.jitter)),
      el('td', {}, knock),
      el('td', {}, trace),
      el('td', { title: t.lastError ? t.lastError.message : null }, error),
    );
  }

  init();
})();
