/* global window, document, fetch */
// Shared by the status pages: DOM building, number formats, and the JSON API. Plain browser
// script (no module loader, no build step): the pages are served as these files are.
'use strict';

(function () {
  const SVG = 'http://www.w3.org/2000/svg';

  /** An element: attributes (null/undefined left out), then children (strings become text). */
  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    fill(node, attributes, children);
    return node;
  }

  function svg(tag, attributes, ...children) {
    const node = document.createElementNS(SVG, tag);
    fill(node, attributes, children);
    return node;
  }

  function fill(node, attributes, children) {
    for (const [name, value] of Object.entries(attributes || {}))
      if (value !== null && value !== undefined && value !== false) node.setAttribute(name, String(value));
    for (const child of children.flat())
      if (child !== null && child !== undefined && child !== false)
        node.append(typeof child === 'string' || typeof child === 'number' ? String(child) : child);
  }

  /** Seconds as ms with 3 significant digits, or a dash. */
  function ms(seconds) {
    if (seconds === null || seconds === undefined) return '–';
    const value = seconds * 1000;
    return `${value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2)} ms`;
  }

  function percent(ratio) {
    if (ratio === null || ratio === undefined) return '–';
    return `${(ratio * 100).toFixed(ratio > 0 && ratio < 0.01 ? 2 : 1)} %`;
  }

  function clock(seconds) {
    return new Date(seconds * 1000).toISOString().replace('T', ' ').slice(0, 19) + 'Z';
  }

  /** The API's JSON at a path relative to the page; a failure shows in the page's status line. */
  async function api(path) {
    const response = await fetch(path, { headers: { accept: 'application/json' } });
    if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
    return response.json();
  }

  /** State words with a symbol, so a state reads without its colour. */
  const STATE_TEXT = { up: '▲ up', degraded: '◆ degraded', down: '▼ down', unknown: '? unknown' };

  window.netdiag = { el, svg, ms, percent, clock, api, STATE_TEXT };
})();
