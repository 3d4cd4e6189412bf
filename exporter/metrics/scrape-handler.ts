import type { IncomingMessage, ServerResponse } from 'node:http';
import { constants as zlib } from 'node:zlib';
import { acceptsGzip } from './accept-encoding';
import { silentLogger, type Logger } from '../logging';
import { ConnectionTurns } from './connection-turns';
import { protobufExposition, textExposition } from './exposition';
import { PrometheusProtobufWriter } from './prometheus-protobuf';
import { PrometheusTextWriter } from './prometheus-text';
import { negotiateFormat } from './scrape-format';
import { RenderingSchedule } from './rendering-schedule';
import { ScrapeCounters, type ScrapeResult } from './scrape-metrics';
import { StalledResponses } from './stalled-responses';
import type { ScrapeSource } from './shared-rendering';
import { ChunkPool } from './text-chunks';

export type { ScrapeOutcome, ScrapeSource } from './shared-rendering';
export type { ScrapeResult } from './scrape-metrics';

export interface ScrapeHandlerOptions {
  /** Data points serialized per event-loop turn; default 2000. */
  pointsPerChunk?: number;
  /** Renderings writing at once (each shared by the scrapes that joined it); default 2. */
  maxRenderings?: number;
  /** Scrapes waiting for or taking part in a rendering, all connections together; beyond, 503. Default 64. */
  maxScrapes?: number;
  /**
   * Scrapes of one client address waiting for or taking part in a rendering; beyond, 503. Default 8:
   * a client that never reads its responses holds at most that many places, not all of them.
   */
  maxScrapesPerClient?: number;
  /** Scrapes of one connection allowed to wait behind the one being served; beyond, 429. Default 2. */
  maxPipelined?: number;
  /** Milliseconds a response may take to drain before it is cut (destroyed); default 30,000. */
  unreadTimeoutMs?: number;
  /**
   * Milliseconds a response that does not drain may hold back other scrapes (those sharing its
   * rendering, waiting for one, or refused for want of a place) before it is cut; default 5000.
   */
  stallTimeoutMs?: number;
  /** Monotonic milliseconds; default performance.now. */
  now?: () => number;
  /** Refusals and cut responses are logged here (rate-limited by the logger); default silent. */
  logger?: Logger;
  /** Renders the text; default a new PrometheusTextWriter (it caches label text per attribute set). */
  writer?: PrometheusTextWriter;
  /**
   * zlib level of the gzip copy sent to scrapes whose Accept-Encoding allows it (Prometheus always
   * does); default 1, the fastest: the metrics text is repetitive enough that higher levels gain
   * little, and each rendering compresses its text once for all such scrapes.
   */
  gzipLevel?: number;
}

/** The /metrics handler, with what it counted. */
export interface ScrapeHandler {
  (request: IncomingMessage, response: ServerResponse): void;
  /** Scrapes that ended with `result` so far. */
  count(result: ScrapeResult): number;
  /** Renderings (collections) started so far. */
  readonly renderings: number;
  /** Stops reporting its counters. Idempotent. */
  close(): void;
}

/** Stable codes of the scrape handler's log lines. */
export const SCRAPE_LOG_CODES = {
  refused_pipelined: 'SCRAPE_PIPELINED',
  refused_busy: 'SCRAPE_BUSY',
  refused_client: 'SCRAPE_CLIENT_BUSY',
  unread: 'SCRAPE_UNREAD',
  failed: 'SCRAPE_FAILED',
} as const;

/**
 * Serves /metrics with bounded work whatever clients send:
 * - one scrape at a time per connection, at most `maxPipelined` waiting behind it (they start
 *   rendering only once they reach the head); the others get 429 and the connection is closed;
 * - the answer is the text, or the protobuf exposition when the Accept header asks for it
 *   (negotiateFormat); gzipped when the client's Accept-Encoding allows it, once per rendering;
 * - scrapes that arrive together share one collection and one answer per format (SharedRendering,
 *   RenderingSchedule), at most
 *   `maxRenderings` at once, at most `maxScrapes` taking part (`maxScrapesPerClient` per client
 *   address); the others get 503 with Retry-After;
 * - a scrape whose client left stops before its next slice; a response not read within
 *   `unreadTimeoutMs` is destroyed, and what it held goes back; within `stallTimeoutMs` when it
 *   holds back other scrapes (so clients that never read cannot keep the others out).
 * Refusals and cuts are counted in `netdiag_scrapes_total{outcome}` (when the source has a store).
 */
export function createScrapeHandler(source: ScrapeSource, options: ScrapeHandlerOptions = {}): ScrapeHandler {
  const maxScrapes = options.maxScrapes ?? 64;
  const maxScrapesPerClient = options.maxScrapesPerClient ?? 8;
  const stallTimeoutMs = options.stallTimeoutMs ?? 5000;
  const logger = options.logger ?? silentLogger;
  const now = options.now ?? (() => performance.now());
  const stalled = new StalledResponses(now);
  const schedule = new RenderingSchedule(
    {
      source,
      expositions: {
        text: textExposition(options.writer ?? new PrometheusTextWriter()),
        protobuf: protobufExposition(new PrometheusProtobufWriter()),
      },
      pool: new ChunkPool(),
      pointsPerChunk: options.pointsPerChunk ?? 2000,
      unreadTimeoutMs: options.unreadTimeoutMs ?? 30_000,
      stallTimeoutMs,
      stalled,
      now,
      gzipLevel: options.gzipLevel ?? zlib.Z_BEST_SPEED,
    },
    options.maxRenderings ?? 2,
  );
  const turns = new ConnectionTurns(options.maxPipelined ?? 2);
  const counters = new ScrapeCounters(source.store, () => schedule.started);
  let active = 0;
  /** Scrapes in progress by client address. */
  const byClient = new Map<string, number>();

  const refuse = (
    request: IncomingMessage,
    response: ServerResponse,
    status: 429 | 503,
    result: 'refused_pipelined' | 'refused_busy' | 'refused_client',
  ): void => {
    counters.count(result);
    const pipelined = result === 'refused_pipelined';
    logger.warn('scrape refused', {
      code: SCRAPE_LOG_CODES[result],
      client: request.socket?.remoteAddress,
      cause: pipelined
        ? `more than ${options.maxPipelined ?? 2} scrapes pipelined on one connection`
        : result === 'refused_client'
          ? `${maxScrapesPerClient} scrapes of this client in progress`
          : `${maxScrapes} scrapes in progress`,
    });
    response.writeHead(status, {
      'content-type': 'text/plain; charset=utf-8',
      'retry-after': '1',
      // A client that pipelines beyond the bound gets the answers due and no more.
      ...(pipelined && { connection: 'close' }),
    });
    response.end(pipelined ? 'Too Many Requests\n' : 'Service Unavailable\n');
  };

  const serve = (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const connection = request.socket as IncomingMessage['socket'] | undefined;
    // Waited its turn behind a connection that is gone: nothing to do.
    if (response.destroyed || connection?.destroyed === true) {
      counters.count('closed');
      return Promise.resolve();
    }
    const client = connection?.remoteAddress ?? '';
    const ofClient = byClient.get(client) ?? 0;
    if (ofClient >= maxScrapesPerClient) {
      refuse(request, response, 503, 'refused_client');
      return Promise.resolve();
    }
    // Every place taken: a response stalled on its client for long enough gives up its place.
    if (active >= maxScrapes && !stalled.cutOldest(stallTimeoutMs)) {
      refuse(request, response, 503, 'refused_busy');
      return Promise.resolve();
    }
    active++;
    byClient.set(client, ofClient + 1);
    const headers = request.headers as IncomingMessage['headers'] | undefined;
    return new Promise<void>((resolve) => {
      schedule.join({
        response,
        connection,
        gzip: acceptsGzip(headers?.['accept-encoding']),
        format: negotiateFormat(headers?.accept),
        settle: (outcome) => {
          active--;
          const left = (byClient.get(client) ?? 1) - 1;
          if (left > 0) byClient.set(client, left);
          else byClient.delete(client);
          counters.count(outcome);
          if (outcome === 'unread' || outcome === 'failed') {
            logger.warn(outcome === 'unread' ? 'scrape cut' : 'scrape failed', {
              code: outcome === 'unread' ? SCRAPE_LOG_CODES.unread : SCRAPE_LOG_CODES.failed,
              client: connection?.remoteAddress,
              cause:
                outcome === 'unread'
                  ? `the client did not read its response within ${options.unreadTimeoutMs ?? 30_000} ms, ` +
                    `or within ${stallTimeoutMs} ms while other scrapes waited on it`
                  : 'the collection failed',
            });
          }
          resolve();
        },
      });
    });
  };

  const handler = (request: IncomingMessage, response: ServerResponse): void => {
    const connection = request.socket as IncomingMessage['socket'] | undefined;
    if (!turns.enter(connection, () => serve(request, response))) {
      refuse(request, response, 429, 'refused_pipelined');
    }
  };
  const scrapeHandler = Object.assign(handler, {
    count: (result: ScrapeResult) => counters.get(result),
    close: () => counters.close(),
    renderings: 0,
  });
  // A getter: Object.assign would copy its value once.
  return Object.defineProperty(scrapeHandler, 'renderings', { get: () => schedule.started });
}
