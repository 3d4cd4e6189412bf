import { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { columnToMetricData, type PrometheusPipeline } from '../../exporter/metrics';

/**
 * The exposition text of this pipeline, by the OpenTelemetry serializer (a reference for our own
 * writer): the store's histograms with their classic buckets, as the text has them (the serializer
 * drops exponential histograms, what the store gives OTLP when native histograms are on).
 */
export async function scrapeText(pipeline: PrometheusPipeline): Promise<string> {
  const { resourceMetrics, errors } = await pipeline.exporter.collect();
  if (errors.length > 0) throw new Error(`collection errors: ${errors.join('; ')}`);
  const { startTime, endTime, columns } = pipeline.store.snapshot();
  resourceMetrics.scopeMetrics.push({
    scope: { name: 'netdiag-exporter' },
    metrics: columns.map((column) => columnToMetricData(column, startTime, endTime, 'explicit')),
  });
  return new PrometheusSerializer('', false, undefined, false, true).serialize(resourceMetrics);
}

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses Prometheus text exposition samples (enough for tests: no escapes in label values beyond \"). */
export function parseSamples(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    if (!match) throw new Error(`unparsable sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[pair[1]!] = pair[2]!.replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    }
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The samples of one metric whose labels include `match`. */
export function select(samples: Sample[], name: string, match: Record<string, string> = {}): Sample[] {
  return samples.filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v));
}
