export interface LandingPageOptions {
  /** The exporter's version; the line is left out when unknown. */
  readonly version?: string | undefined;
  /** Whether POST /-/reload is served. */
  readonly reload: boolean;
}

/**
 * The page `GET /` answers: the endpoints, as links relative to the page, so that it still works
 * behind a reverse proxy that serves the exporter under a path prefix. Self-contained (no script,
 * style sheet, font or image from elsewhere): it is served under the same TLS and authentication
 * as /metrics, and must not make a browser fetch anything past them. With the status page on
 * (exporter/status), `GET /` serves its index instead, which carries the same list.
 */
export function landingPage(options: LandingPageOptions): string {
  const lines = [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head><meta charset="utf-8"><title>netdiag-exporter</title></head>',
    '<body>',
    '<h1>netdiag-exporter</h1>',
    ...endpointList(options),
    '</body>',
    '</html>',
    '',
  ];
  return lines.join('\n');
}

/** The version line and the list of endpoints: the landing page's content, which the status page shows too. */
export function endpointList({ version, reload }: LandingPageOptions): string[] {
  return [
    ...(version === undefined ? [] : [`<p>Version ${escapeHtml(version)}</p>`]),
    '<ul>',
    '<li><a href="metrics">/metrics</a>: the metrics, in Prometheus text format</li>',
    '<li><a href="-/healthy">/-/healthy</a>: 200 while the process serves</li>',
    '<li><a href="-/ready">/-/ready</a>: 200 once the probes run, 503 while closing</li>',
    ...(reload ? ['<li>POST /-/reload: reads the configuration file again</li>'] : []),
    '</ul>',
  ];
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
