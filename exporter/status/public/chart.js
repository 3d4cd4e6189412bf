/* global window, document */
// The SmokePing-style RTT graph: per slot, the min–max range (light band), the median–p90 range
// (dark band) and the median (a line through markers whose shape tells the slot's loss, and whose
// colour repeats it); the loss again as bars along the bottom, hatched. Each slot is a <g
// class="slot"> with its figures as data attributes (what the browser test compares with the API).
'use strict';

(function () {
  const { svg, el, ms, percent, clock } = window.netdiag;
  const WIDTH = 720;
  const HEIGHT = 220;
  const PAD = { left: 56, right: 12, top: 10, bottom: 44 };
  const LOSS_HEIGHT = 16;

  /** Loss classes: the marker's shape and class (colour in the style sheet). */
  function lossClass(slot) {
    if (slot.count === 0) return 'none';
    const loss = slot.lost / slot.count;
    if (loss === 0) return 'loss0';
    if (loss >= 1) return 'loss100';
    return loss < 0.05 ? 'loss5' : loss < 0.2 ? 'loss20' : 'loss99';
  }

  function marker(cls, x, y) {
    if (cls === 'loss0') return svg('circle', { cx: x, cy: y, r: 2.5, class: `marker ${cls}` });
    if (cls === 'loss100')
      return svg('path', {
        d: `M${x - 3},${y - 3}L${x + 3},${y + 3}M${x - 3},${y + 3}L${x + 3},${y - 3}`,
        class: `marker ${cls}`,
      });
    return svg('path', {
      d: `M${x},${y - 3.5}L${x + 3.5},${y + 3}L${x - 3.5},${y + 3}Z`,
      class: `marker ${cls}`,
    });
  }

  function niceMax(value) {
    if (!(value > 0)) return 0.001;
    const exponent = Math.pow(10, Math.floor(Math.log10(value)));
    for (const step of [1, 2, 2.5, 5, 10]) if (step * exponent >= value) return step * exponent;
    return 10 * exponent;
  }

  /**
   * An RTT graph of `view` ({ slotSeconds, span, slots }): `span` slots, the last one the slot `now`
   * (seconds) falls in.
   * `label` names it for screen readers; a table of the same figures follows in a <details>.
   */
  function rttGraph(view, now, label) {
    ensurePatterns();
    const slots = view.slots;
    const top = niceMax(Math.max(0, ...slots.map((s) => (s.p90 === null ? 0 : s.p90))) * 1.1);
    const plotW = WIDTH - PAD.left - PAD.right;
    const plotH = HEIGHT - PAD.top - PAD.bottom - LOSS_HEIGHT;
    const { start, spanSeconds } = extent(view, now);
    const x = (t) => PAD.left + ((t - start) / spanSeconds) * plotW;
    const y = (rtt) => PAD.top + plotH - (Math.min(rtt, top) / top) * plotH;
    const slotW = Math.max(1, (view.slotSeconds / spanSeconds) * plotW - 1);
    const root = svg('svg', {
      viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
      class: 'rtt-graph',
      role: 'img',
      'aria-label': `${label}: ${slots.length} slots of ${view.slotSeconds} s`,
    });
    const axis = svg('g', { class: 'axis' });
    for (let i = 0; i <= 4; i++) {
      const value = (top * i) / 4;
      axis.append(
        svg('line', { x1: PAD.left, x2: WIDTH - PAD.right, y1: y(value), y2: y(value), class: 'grid' }),
        svg('text', { x: PAD.left - 4, y: y(value) + 4, 'text-anchor': 'end' }, ms(value)),
      );
    }
    for (let i = 0; i <= 4; i++) {
      const t = start + (spanSeconds * i) / 4;
      axis.append(
        svg(
          'text',
          { x: x(t), y: HEIGHT - 4, 'text-anchor': i === 0 ? 'start' : i === 4 ? 'end' : 'middle' },
          clock(t).slice(11, 16),
        ),
      );
    }
    axis.append(svg('text', { x: 2, y: HEIGHT - PAD.bottom + 4, class: 'loss-label' }, 'loss'));
    root.append(axis);
    const line = [];
    const lossBase = HEIGHT - PAD.bottom + LOSS_HEIGHT;
    for (const slot of slots) {
      const left = x(slot.time);
      const mid = left + slotW / 2;
      const cls = lossClass(slot);
      const group = svg('g', {
        class: `slot ${cls}`,
        'data-time': slot.time,
        'data-count': slot.count,
        'data-lost': slot.lost,
        'data-median': slot.median,
        'data-p90': slot.p90,
      });
      const loss = slot.count === 0 ? 0 : slot.lost / slot.count;
      group.append(
        svg(
          'title',
          {},
          `${clock(slot.time)}: ${slot.count} sent, loss ${percent(loss)}, ` +
            `median ${ms(slot.median)}, p90 ${ms(slot.p90)}, min ${ms(slot.min)}, max ${ms(slot.max)}`,
        ),
      );
      if (slot.min !== null && slot.max !== null)
        group.append(
          svg('rect', {
            x: left,
            width: slotW,
            y: y(slot.max),
            height: Math.max(1, y(slot.min) - y(slot.max)),
            class: 'band-range',
          }),
        );
      if (slot.median !== null && slot.p90 !== null)
        group.append(
          svg('rect', {
            x: left,
            width: slotW,
            y: y(slot.p90),
            height: Math.max(1, y(slot.median) - y(slot.p90)),
            class: 'band-p90',
          }),
        );
      if (loss > 0)
        group.append(
          svg('rect', {
            x: left,
            width: slotW,
            y: lossBase - loss * LOSS_HEIGHT,
            height: loss * LOSS_HEIGHT,
            class: 'loss-bar',
          }),
        );
      const markY = slot.median === null ? PAD.top + plotH : y(slot.median);
      if (slot.median !== null) line.push(`${mid.toFixed(1)},${markY.toFixed(1)}`);
      group.append(marker(cls, mid, markY));
      root.append(group);
    }
    if (line.length > 0)
      root.insertBefore(svg('polyline', { points: line.join(' '), class: 'median-line' }), axis.nextSibling);
    return el('figure', { class: 'graph' }, root, legend(), slotTable(slots, label));
  }

  function legend() {
    return el(
      'figcaption',
      { class: 'legend' },
      el('span', { class: 'key key-median' }, '— median'),
      ' ',
      el('span', { class: 'key key-p90' }, '▮ median to p90'),
      ' ',
      el('span', { class: 'key key-range' }, '▯ min to max'),
      ' ',
      'markers: ● no loss, ▲ some loss, ✕ all lost; hatched bars: loss',
    );
  }

  function slotTable(slots, label) {
    return el(
      'details',
      {},
      el('summary', {}, `${label} as a table`),
      el(
        'table',
        { class: 'slots' },
        el(
          'thead',
          {},
          el(
            'tr',
            {},
            ...['Slot start', 'Sent', 'Lost', 'Min', 'Median', 'p90', 'Max'].map((h) =>
              el('th', { scope: 'col' }, h),
            ),
          ),
        ),
        el(
          'tbody',
          {},
          ...slots.map((s) =>
            el(
              'tr',
              {},
              el('td', {}, clock(s.time)),
              el('td', {}, s.count),
              el('td', {}, s.lost),
              el('td', {}, ms(s.min)),
              el('td', {}, ms(s.median)),
              el('td', {}, ms(s.p90)),
              el('td', {}, ms(s.max)),
            ),
          ),
        ),
      ),
    );
  }

  /** The time the graph's left edge stands for, and its width in seconds: the slots end with the open one. */
  function extent(view, now) {
    const spanSeconds = view.span * view.slotSeconds;
    const end = (Math.floor(now / view.slotSeconds) + 1) * view.slotSeconds;
    return { start: end - spanSeconds, spanSeconds };
  }

  /** Hatch patterns, once per page: loss bars and closed ports read without colour. */
  function ensurePatterns() {
    if (document.getElementById('netdiag-patterns')) return;
    const hatch = (id, d) =>
      svg(
        'pattern',
        { id, width: 6, height: 6, patternUnits: 'userSpaceOnUse' },
        svg('path', { d, class: id }),
      );
    document.body.append(
      svg(
        'svg',
        { id: 'netdiag-patterns', width: 0, height: 0, 'aria-hidden': 'true', focusable: 'false' },
        svg(
          'defs',
          {},
          hatch('hatch-loss', 'M0,6L6,0M-1,1L1,-1M5,7L7,5'),
          hatch('hatch-closed', 'M0,0L6,6M-1,5L1,7M5,-1L7,1'),
          hatch('hatch-none', 'M0,3L6,3M3,0L3,6'),
        ),
      ),
    );
  }

  /** A strip of the knocked port's state per slot: open, closed (hatched), unanswered (crossed). */
  function stateStrip(view, now) {
    const plotW = WIDTH - PAD.left - PAD.right;
    const { start, spanSeconds } = extent(view, now);
    const slotW = Math.max(1, (view.slotSeconds / spanSeconds) * plotW - 1);
    ensurePatterns();
    const root = svg('svg', {
      viewBox: `0 0 ${WIDTH} 28`,
      class: 'state-strip',
      role: 'img',
      'aria-label': 'port state per slot',
    });
    root.append(svg('text', { x: 2, y: 18 }, 'state'));
    for (const slot of view.slots) {
      const answered = slot.count - slot.lost;
      const state =
        answered === 0 ? 'none' : slot.open === answered ? 'open' : slot.open === 0 ? 'closed' : 'mixed';
      const left = PAD.left + ((slot.time - start) / spanSeconds) * plotW;
      root.append(
        svg(
          'g',
          { class: `port-slot port-${state}`, 'data-state': state },
          svg(
            'title',
            {},
            `${clock(slot.time)}: ${slot.open} open, ${answered - slot.open} closed, ${slot.lost} unanswered`,
          ),
          svg('rect', { x: left, y: 4, width: slotW, height: 18 }),
        ),
      );
    }
    return root;
  }

  window.netdiag.chart = { rttGraph, stateStrip };
})();
