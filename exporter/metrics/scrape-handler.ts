import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { PrometheusSerializer, type PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import type { MetricData, ResourceMetrics } from '@opentelemetry/sdk-metrics';

export interface ScrapeHandlerOptions {
  /** Data points serialized per event-loop turn; default 500. */
  pointsPerChunk?: number;
}

/**
 * Serves a scrape a slice of data points per event-loop turn, written as it goes: serializing
 * thousands of targets at once would hold the loop for seconds (replies read late, RTTs too
 * long) and build the whole text in memory.
 */
export function createScrapeHandler(
  exporter: PrometheusExporter,
  options: ScrapeHandlerOptions = {},
): (request: IncomingMessage, response: ServerResponse) => void {
  const pointsPerChunk = options.pointsPerChunk ?? 500;
  const withTargetInfo = new PrometheusSerializer('', false, undefined, false, true);
  const withoutTargetInfo = new PrometheusSerializer('', false, undefined, true, true);

  const scrape = async (response: ServerResponse): Promise<void> => {
    const { resourceMetrics, errors } = await exporter.collect();
    response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
    let first = true;
    for (const { chunk, continued } of chunkResourceMetrics(resourceMetrics, pointsPerChunk)) {
      if (response.destroyed) return;
      const text = (first ? withTargetInfo : withoutTargetInfo).serialize(chunk);
      first = false;
      if (!response.write(continued ? withoutHeader(text) : text)) {
        await Promise.race([once(response, 'drain'), once(response, 'close')]);
      }
      await nextTurn();
    }
    if (errors.length > 0) response.write(`# ${errors.length} collection error(s)\n`);
    response.end();
  };

  return (_request, response) => {
    scrape(response).catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      response.end(`# collection failed: ${String(error)}\n`);
    });
  };
}

interface Chunk {
  chunk: ResourceMetrics;
  /** Further data points of the metric the previous chunk ended with: no HELP/TYPE again. */
  continued: boolean;
}

/** Splits collected metrics into ResourceMetrics of at most `size` data points of one metric each. */
export function* chunkResourceMetrics(resourceMetrics: ResourceMetrics, size: number): Generator<Chunk> {
  const { resource } = resourceMetrics;
  for (const { scope, metrics } of resourceMetrics.scopeMetrics) {
    for (const metric of metrics) {
      const points: readonly unknown[] = metric.dataPoints;
      for (let start = 0; start === 0 || start < points.length; start += size) {
        const part = { ...metric, dataPoints: points.slice(start, start + size) } as MetricData;
        yield { chunk: { resource, scopeMetrics: [{ scope, metrics: [part] }] }, continued: start > 0 };
      }
    }
  }
}

function withoutHeader(text: string): string {
  let start = 0;
  while (text.startsWith('#', start)) start = text.indexOf('\n', start) + 1 || text.length;
  return text.slice(start);
}
