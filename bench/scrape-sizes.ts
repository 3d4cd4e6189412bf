// Bytes of one /metrics answer at 10,000 ping targets, in the text and in the protobuf exposition
// (with and without the classic buckets), rendered in process by the scrape handler: sizes only,
// which do not depend on the machine (times and CPU: npm run bench:exporter, on a quiet machine).
// Each target has 300 RTTs within +10 % of its own base (1 to 101 ms), the default classic buckets
// and native histograms at the default bucket factor 1.1.
import type { ServerResponse } from 'node:http';
import {
  createPrometheusPipeline,
  createScrapeHandler,
  ExporterMetrics,
  nativeHistogramOptions,
} from '../exporter/metrics';
import { CountingResponse } from './fixtures/counting-response';

const TARGETS = 10_000;
const ACCEPT_PROTOBUF =
  'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited';

async function answerBytes(classicInProtobuf: boolean): Promise<{ text: number; protobuf: number }> {
  const pipeline = createPrometheusPipeline({ cardinalityLimit: TARGETS * 10 });
  const metrics = new ExporterMetrics(pipeline.meterProvider.getMeter('bench'), {
    histogramBuckets: Array.from({ length: 17 }, (_, k) => 0.0001 * 2 ** k),
    store: pipeline.store,
    nativeHistograms: nativeHistogramOptions({
      enabled: true,
      bucketFactor: 1.1,
      maxBucketCount: 160,
      classicBucketsInProtobuf: classicInProtobuf,
    }),
  });
  let seed = 1;
  const random = (): number => (seed = (seed * 16807) % 2147483647) / 2147483647;
  for (let i = 0; i < TARGETS; i++) {
    const address = `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`;
    const series = metrics.pingSeries({ target: `target-${i}`, address, family: 'ipv4' }, 60);
    const base = 0.001 + random() * 0.1;
    for (let seq = 0; seq < 300; seq++) series.record({ seq, rtt: base * (1 + 0.1 * random()) });
  }
  const handler = createScrapeHandler(pipeline);
  const bytes = async (accept: string | undefined): Promise<number> => {
    const response = new CountingResponse();
    handler(
      { headers: accept === undefined ? {} : { accept } } as never,
      response as unknown as ServerResponse,
    );
    await response.ended;
    return response.bytes;
  };
  const sizes = { text: await bytes(undefined), protobuf: await bytes(ACCEPT_PROTOBUF) };
  metrics.close();
  await pipeline.shutdown();
  return sizes;
}

async function main(): Promise<void> {
  const withClassic = await answerBytes(true);
  const nativeOnly = await answerBytes(false);
  const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(2)} MB`;
  console.log(`${TARGETS} targets: text ${mb(withClassic.text)}`);
  console.log(
    `protobuf, classic and native buckets: ${mb(withClassic.protobuf)} (${((withClassic.protobuf / withClassic.text) * 100).toFixed(0)} % of the text)`,
  );
  console.log(
    `protobuf, native buckets only: ${mb(nativeOnly.protobuf)} (${((nativeOnly.protobuf / nativeOnly.text) * 100).toFixed(0)} % of the text)`,
  );
}

void main();
