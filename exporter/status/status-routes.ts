import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RouteSet } from '../server';
import type { LandingPageOptions } from '../server/landing-page';
import { readPageAssets, type PageAssets } from './page-assets';
import { indexShell, targetShell } from './page-shells';
import type { StatusStore } from './status-store';
import { detailOf } from './target-detail';
import { comparator, matches, parseTargetQuery, QueryError } from './target-query';
import { summarise, type TargetSummary } from './target-summary';

/**
 * The pages only load what the exporter serves; scripts draw with DOM calls (no inline script or
 * style), so nothing weaker than 'self' is needed.
 */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/** Targets summarised per turn of the event loop. */
const SLICE = 500;

export interface StatusRoutesOptions extends LandingPageOptions {
  readonly store: StatusStore;
  /** Default: the files of exporter/status/public. */
  readonly assets?: PageAssets;
}

/**
 * The status page and its JSON API, for ExporterServer: `/` (the index), `/target?name=`, the
 * assets under `/status/`, `/api/v1/targets` and `/api/v1/targets/{name}`. GET and HEAD only (the
 * server answers 405 to the rest before asking).
 */
export class StatusRoutes implements RouteSet {
  private readonly assets: PageAssets;
  private readonly index: string;

  constructor(private readonly options: StatusRoutesOptions) {
    this.assets = options.assets ?? readPageAssets();
    this.index = indexShell(options);
  }

  handles(path: string): boolean {
    return (
      path === '/' ||
      path === '/target' ||
      path === '/favicon.ico' ||
      path === '/api/v1/targets' ||
      path.startsWith('/api/v1/targets/') ||
      this.assets.has(path)
    );
  }

  readonly serve = (request: IncomingMessage, response: ServerResponse): void => {
    const url = new URL(request.url ?? '/', 'http://status.invalid');
    const path = url.pathname;
    if (path === '/') return html(response, 200, this.index);
    if (path === '/target') return html(response, 200, targetShell(url.searchParams.get('name') ?? ''));
    // Browsers ask for it on every page: an empty answer, not a 404 in their console.
    if (path === '/favicon.ico') {
      response.writeHead(204, SECURITY_HEADERS);
      response.end();
      return;
    }
    const asset = this.assets.get(path);
    if (asset) {
      response.writeHead(200, {
        ...SECURITY_HEADERS,
        'content-type': asset.type,
        'cache-control': 'no-cache',
      });
      response.end(asset.body);
      return;
    }
    if (path === '/api/v1/targets') {
      this.list(url.searchParams, response).catch((error: unknown) => {
        if (!response.headersSent) json(response, 500, { error: String(error) });
        else response.destroy();
      });
      return;
    }
    let name: string;
    try {
      name = decodeURIComponent(path.slice('/api/v1/targets/'.length));
    } catch {
      return json(response, 400, { error: 'the target name is not valid percent-encoding' });
    }
    const status = this.options.store.get(name);
    if (!status) return json(response, 404, { error: `no target named "${name}"` });
    json(response, 200, detailOf(status, this.options.store.now()));
  };

  /**
   * Summarises every matching target, SLICE at a time with a turn of the event loop between
   * slices: at 10,000 targets the whole would hold the probes' replies for tens of milliseconds.
   */
  private async list(params: URLSearchParams, response: ServerResponse): Promise<void> {
    let query;
    try {
      query = parseTargetQuery(params);
    } catch (error) {
      if (!(error instanceof QueryError)) throw error;
      return json(response, 400, { error: error.message });
    }
    const { store } = this.options;
    const now = store.now();
    const rows: TargetSummary[] = [];
    const counts = { up: 0, degraded: 0, down: 0, unknown: 0 };
    // A copy: a reload may change the store between slices (a dropped target is still listed once).
    const all = [...store.all()];
    for (let i = 0; i < all.length; i++) {
      if (i > 0 && i % SLICE === 0) {
        await new Promise(setImmediate);
        if (response.destroyed) return;
      }
      const status = all[i]!;
      if (!matches(query, status.name, status.labels)) continue;
      const summary = summarise(status, now);
      counts[summary.state]++;
      if (query.state === undefined || summary.state === query.state) rows.push(summary);
    }
    rows.sort(comparator(query.sort, query.order));
    const start = (query.page - 1) * query.perPage;
    json(response, 200, {
      now,
      total: rows.length,
      page: query.page,
      perPage: query.perPage,
      states: counts,
      targets: rows.slice(start, start + query.perPage),
    });
  }
}

function html(response: ServerResponse, status: number, body: string): void {
  response.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'text/html; charset=utf-8' });
  response.end(body);
}

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, {
    ...SECURITY_HEADERS,
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
  });
  response.end(JSON.stringify(body, roundSeconds));
}

/** RTTs are float32 in the store: printed to the nanosecond, not with float32's noise digits. */
function roundSeconds(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isInteger(value) ? Math.round(value * 1e9) / 1e9 : value;
}
