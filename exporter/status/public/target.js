/* global window, document, URLSearchParams, location, setTimeout */
// One target: RTT graphs (1 hour, 24 hours), knocked ports, the last trace round as an mtr-like
// table and a drawing of its branches, recent path changes and errors, from /api/v1/targets/{name}.
'use strict';

(function () {
  const { el, svg, ms, percent, clock, api, STATE_TEXT } = window.netdiag;
  const { rttGraph, stateStrip } = window.netdiag.chart;
  const REFRESH_MS = 30_000;
  const name = new URLSearchParams(location.search).get('name') || '';
  const $ = (id) => document.getElementById(id);
  let range = 'hour';
  let detail;

  function init() {
    for (const button of document.querySelectorAll('button[data-range]'))
      button.addEventListener('click', () => {
        range = button.dataset.range;
        for (const b of document.querySelectorAll('button[data-range]'))
          b.setAttribute('aria-pressed', String(b === button));
        if (detail) render(detail);
      });
    load();
  }

  async function load() {
    try {
      detail = await api(`api/v1/targets/${encodeURIComponent(name)}`);
      render(detail);
    } catch (error) {
      $('summary').textContent = `Could not load ${name}: ${error.message}`;
    }
    setTimeout(load, REFRESH_MS);
  }

  function render(d) {
    document.body.dataset.now = String(d.now);
    const p = d.ping;
    $('summary').replaceChildren(
      el('span', { class: `state state-${d.state}` }, STATE_TEXT[d.state]),
      ` ${Object.entries(d.labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')} `,
      d.addresses.length ? `addresses ${d.addresses.join(', ')}. ` : '',
      p
        ? `Last 5 minutes: median ${ms(p.median)}, p90 ${ms(p.p90)}, loss ${percent(p.loss)}, jitter ${ms(p.jitter)}.`
        : '',
    );
    const ping = d.history.ping;
    $('ping-section').hidden = !ping;
    if (ping) {
      const view = ping[range];
      $('ping-graph').replaceChildren(
        rttGraph(view, d.now, `Ping RTT, last ${range === 'hour' ? 'hour' : '24 hours'}`),
      );
    }
    $('knock-section').hidden = d.history.knock.length === 0;
    $('knock-graphs').replaceChildren(
      ...d.history.knock.map((k) => {
        const view = k[range];
        const figures = d.knock.find((f) => f.port === k.port);
        return el(
          'div',
          { class: 'knock', 'data-port': k.port },
          el(
            'h3',
            {},
            `Port ${k.port}: ${figures && figures.state ? figures.state : 'no answer'}, loss ${percent(figures && figures.loss)}`,
          ),
          rttGraph(view, d.now, `Knock RTT of port ${k.port}`),
          stateStrip(view, d.now),
        );
      }),
    );
    $('trace-section').hidden = !d.traceDetail;
    if (d.traceDetail) renderTrace(d.traceDetail);
    $('errors').replaceChildren(
      d.errors.length === 0
        ? el('p', {}, 'None kept.')
        : el(
            'table',
            { class: 'errors' },
            el(
              'thead',
              {},
              el(
                'tr',
                {},
                ...['Time', 'Probe', 'Reason', 'Address', 'What happened'].map((h) =>
                  el('th', { scope: 'col' }, h),
                ),
              ),
            ),
            el(
              'tbody',
              {},
              ...d.errors.map((e) =>
                el(
                  'tr',
                  {},
                  el('td', {}, clock(e.time)),
                  el('td', {}, e.probe),
                  el('td', {}, e.reason),
                  el('td', {}, e.address),
                  el('td', {}, e.message),
                ),
              ),
            ),
          ),
    );
  }

  function renderTrace(t) {
    const rows = [];
    for (const hop of t.hops) {
      const responders = hop.responders.length ? hop.responders : [null];
      responders.forEach((r, i) => {
        rows.push(
          el(
            'tr',
            {
              'data-ttl': hop.ttl,
              'data-address': r ? r.address : '',
              class: i === 0 ? 'hop-first' : 'hop-more',
            },
            i === 0 ? el('th', { scope: 'row', rowspan: responders.length }, hop.ttl) : null,
            el('td', {}, r ? r.address : '* (no answer)'),
            el('td', { class: 'num' }, r ? r.answers : 0),
            i === 0
              ? el(
                  'td',
                  { class: 'num', rowspan: responders.length },
                  `${percent(hop.loss)} (${hop.received}/${hop.sent})`,
                )
              : null,
            i === 0
              ? el(
                  'td',
                  { class: 'num forward-loss', rowspan: responders.length },
                  hop.forwardLoss === null || hop.forwardLoss === undefined
                    ? 'unknown'
                    : percent(hop.forwardLoss),
                )
              : null,
            el('td', { class: 'num' }, ms(r && r.min)),
            el('td', { class: 'num' }, ms(r && r.median)),
            el('td', { class: 'num' }, ms(r && r.max)),
          ),
        );
      });
    }
    $('trace').replaceChildren(
      el(
        'p',
        {},
        `Last round ${clock(t.time)} to ${t.address}: ${t.reached ? `reached in ${t.hopsToDestination} hops` : 'destination not reached'}, ` +
          `${t.paths.length} distinct path${t.paths.length === 1 ? '' : 's'}, ${t.rounds} rounds so far.`,
      ),
      el(
        'table',
        { class: 'hops' },
        el(
          'caption',
          {},
          'Hops of the last round (response loss: probes of that TTL nobody answered, rate limiting included; ' +
            'forward loss: what traffic through the hop loses, over the last rounds)',
        ),
        el(
          'thead',
          {},
          el(
            'tr',
            {},
            ...['Hop', 'Responder', 'Answers', 'Loss', 'Forward loss', 'Min', 'Median', 'Max'].map((h) =>
              el('th', { scope: 'col' }, h),
            ),
          ),
        ),
        el('tbody', {}, ...rows),
      ),
      el('h3', {}, 'Paths'),
      branches(t.paths),
      el('h3', {}, 'Recent path changes'),
      t.changes.length === 0
        ? el('p', {}, 'None since the exporter started.')
        : el(
            'ol',
            { class: 'changes' },
            ...t.changes.map((c) =>
              el('li', {}, `${clock(c.time)}: `, pathList(c.before), ' became ', pathList(c.after)),
            ),
          ),
    );
  }

  function pathList(paths) {
    return paths.length === 0
      ? 'no path'
      : paths.map((p) => p.hops.map((h) => h || '*').join(' → ')).join(' | ');
  }

  /** The paths as a graph: one column per TTL, one node per responder, an edge per consecutive pair. */
  function branches(paths) {
    const columns = [];
    for (const path of paths)
      path.hops.forEach((hop, i) => {
        const key = hop || '*';
        columns[i] = columns[i] || [];
        if (!columns[i].includes(key)) columns[i].push(key);
      });
    const colW = 150;
    const rowH = 34;
    const rows = Math.max(1, ...columns.map((c) => c.length));
    const root = svg('svg', {
      viewBox: `0 0 ${Math.max(1, columns.length) * colW + 20} ${rows * rowH + 30}`,
      class: 'branches',
      role: 'img',
      'aria-label': `${paths.length} paths over ${columns.length} hops; branches at hops ${
        columns
          .map((c, i) => (c.length > 1 ? i + 1 : null))
          .filter(Boolean)
          .join(', ') || 'none'
      }`,
    });
    const at = (i, key) => ({ x: 10 + i * colW + 60, y: 26 + columns[i].indexOf(key) * rowH + 10 });
    for (const path of paths)
      for (let i = 0; i + 1 < path.hops.length; i++) {
        const a = at(i, path.hops[i] || '*');
        const b = at(i + 1, path.hops[i + 1] || '*');
        root.append(svg('line', { x1: a.x + 60, y1: a.y, x2: b.x - 60, y2: b.y, class: 'edge' }));
      }
    columns.forEach((column, i) => {
      root.append(
        svg('text', { x: 10 + i * colW + 60, y: 14, 'text-anchor': 'middle', class: 'ttl' }, `hop ${i + 1}`),
      );
      for (const key of column) {
        const { x, y } = at(i, key);
        root.append(
          svg(
            'g',
            {
              class: `branch-node${column.length > 1 ? ' branch' : ''}`,
              'data-hop': i + 1,
              'data-address': key,
            },
            svg('rect', { x: x - 60, y: y - 11, width: 120, height: 22, rx: 4 }),
            svg('text', { x, y: y + 4, 'text-anchor': 'middle' }, key),
          ),
        );
      }
    });
    return root;
  }

  init();
})();
