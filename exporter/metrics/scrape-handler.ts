import type { IncomingMessage, ServerResponse } from 'node:http';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import type { ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { MetricStore } from './metric-store';
import { PrometheusTextWriter } from './prometheus-text';
import { ChunkPool, TextChunks } from './text-chunks';
import type { StoreSnapshot } from './store-snapshot';

/** What a scrape reads. */
export interface ScrapeSource {
  /** The SDK's instruments, and the resource (`target_info`). */
  exporter: PrometheusExporter;
  /** The exporter's own series, read as columns rather than through the SDK's data points. */
  store?: MetricStore;
}

export interface ScrapeHandlerOptions {
  /** Data points serialized per event-loop turn; default 2000. */
  pointsPerChunk?: number;
}

/** Points serialized per piece of text (a histogram point is ~2.5 KB of text). */
const POINTS_PER_PIECE = 8;

/**
 * Serves a scrape a slice of data points per event-loop turn, written as it goes: serializing
 * thousands of targets at once would hold the loop (replies read late, RTTs too long) and build
 * the whole text in memory.
 */
export function createScrapeHandler(
  source: ScrapeSource,
  options: ScrapeHandlerOptions = {},
): (request: IncomingMessage, response: ServerResponse) => void {
  const pointsPerChunk = options.pointsPerChunk ?? 2000;
  const writer = new PrometheusTextWriter();
  const pool = new ChunkPool();

  /** Resolves once the response drained (or closed). */
  const drained = (response: ServerResponse): Promise<void> =>
    new Promise<void>((resolve) => {
      // Both listeners go once either fires: a race of two once() promises left the loser's behind,
      // one more per wait, for the rest of a slow client's scrape.
      const done = (): void => {
        response.off('drain', done);
        response.off('close', done);
        resolve();
      };
      response.on('drain', done);
      response.on('close', done);
    });

  const scrape = async (response: ServerResponse): Promise<void> => {
    const { resourceMetrics, errors } = await source.exporter.collect();
    // Read right after the SDK's instruments, before any text: the whole scrape is one moment.
    const snapshot = source.store?.snapshot();
    response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
    let full = false;
    const text = new TextChunks((chunk, release) => {
      if (response.destroyed) return release();
      // Sent (or failed for good): the socket holds the chunk no longer.
      if (!response.write(chunk, release)) full = true;
    }, pool);
    text.add(writer.targetInfo(resourceMetrics.resource.attributes));
    let budget = pointsPerChunk;
    for (const family of families(writer, resourceMetrics, snapshot)) {
      if (family.length === 0) continue;
      text.add(family.header());
      for (let start = 0; start < family.length;) {
        const end = Math.min(family.length, start + Math.min(budget, POINTS_PER_PIECE));
        text.add(family.samples(start, end));
        budget -= end - start;
        start = end;
        if (budget > 0) continue;
        // A slice per turn; past the socket's high-water mark, wait for it to drain.
        text.flush();
        if (response.destroyed) return text.close();
        if (full) await drained(response);
        full = false;
        budget = pointsPerChunk;
        await nextTurn();
      }
    }
    if (errors.length > 0) text.add(`# ${errors.length} collection error(s)\n`);
    text.close();
    if (!response.destroyed) response.end();
  };

  return (_request, response) => {
    scrape(response).catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      response.end(`# collection failed: ${String(error)}\n`);
    });
  };
}

/** One metric's text: its header, then its series in slices. */
interface Family {
  readonly length: number;
  header(): string;
  samples(start: number, end: number): string;
}

function* families(
  writer: PrometheusTextWriter,
  resourceMetrics: ResourceMetrics,
  snapshot: StoreSnapshot | undefined,
): Generator<Family> {
  for (const { metrics } of resourceMetrics.scopeMetrics) {
    for (const metric of metrics) {
      yield {
        length: metric.dataPoints.length,
        header: () => writer.header(metric),
        samples: (start, end) => writer.samples(metric, start, end),
      };
    }
  }
  for (const column of snapshot?.columns ?? []) {
    yield {
      length: column.length,
      header: () => writer.columnHeader(column),
      samples: (start, end) => writer.columnSamples(column, start, end),
    };
  }
}
