import { endpointList, escapeHtml, type LandingPageOptions } from '../server/landing-page';

/**
 * The HTML of the two pages: a shell the scripts fill from the JSON API. Links and assets are
 * relative to the page, so it works behind a proxy that serves the exporter under a path prefix.
 */
export function indexShell(options: LandingPageOptions): string {
  return page('netdiag-exporter', 'index', [
    '<header><h1>netdiag-exporter</h1><p id="counts" aria-live="polite"></p></header>',
    '<main>',
    '<form id="filters" role="search">',
    '<label>Name <input id="name" name="name" type="search" autocomplete="off"></label>',
    '<label>Label <input id="label" name="label" type="search" placeholder="key=value" autocomplete="off"></label>',
    '<label>State <select id="state" name="state"><option value="">any</option>',
    '<option>down</option><option>degraded</option><option>unknown</option><option>up</option></select></label>',
    '<label><input id="refresh" type="checkbox" checked> refresh every 10 s</label>',
    '</form>',
    '<table id="targets"><caption>Targets, worst first (last 5 minutes)</caption><thead><tr>',
    ...[
      ['name', 'Target'],
      ['state', 'State'],
      ['median', 'RTT median'],
      ['p90', 'RTT p90'],
      ['loss', 'Loss'],
      ['jitter', 'Jitter'],
    ].map(([key, text]) => `<th scope="col" data-sort="${key}"><button type="button">${text}</button></th>`),
    '<th scope="col">Knock</th><th scope="col">Trace</th><th scope="col">Last error</th>',
    '</tr></thead><tbody></tbody></table>',
    '<nav id="pager" aria-label="Pages"><button type="button" id="prev">Previous</button>',
    '<span id="page"></span><button type="button" id="next">Next</button></nav>',
    '<h2>Endpoints</h2>',
    ...endpointList(options),
    '<p><a href="api/v1/targets">/api/v1/targets</a>: this list as JSON (see docs/api.md)</p>',
    '</main>',
  ]);
}

export function targetShell(name: string): string {
  return page(`${name}: netdiag-exporter`, 'target', [
    `<header><p><a href="./">All targets</a></p><h1 id="title">${escapeHtml(name)}</h1>`,
    '<p id="summary" aria-live="polite"></p></header>',
    '<main>',
    '<section id="ping-section"><h2>Ping RTT</h2>',
    '<div role="group" aria-label="Time range"><button type="button" data-range="hour" aria-pressed="true">1 hour</button>',
    '<button type="button" data-range="day" aria-pressed="false">24 hours</button></div>',
    '<div id="ping-graph"></div></section>',
    '<section id="knock-section"><h2>Knock</h2><div id="knock-graphs"></div></section>',
    '<section id="trace-section"><h2>Trace</h2><div id="trace"></div></section>',
    '<section id="errors-section"><h2>Recent errors</h2><div id="errors"></div></section>',
    '</main>',
  ]);
}

function page(title: string, script: string, body: readonly string[]): string {
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    '<link rel="stylesheet" href="status/status.css">',
    '<script src="status/common.js" defer></script>',
    '<script src="status/chart.js" defer></script>',
    `<script src="status/${script}.js" defer></script>`,
    '</head>',
    `<body data-page="${script}">`,
    ...body,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
