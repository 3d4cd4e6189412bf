import type { MetricStore } from './metric-store';
import { METRIC } from './names';
import type { ObservedBinding, ObservedSpec } from './observed';
import type { ScrapeOutcome } from './shared-rendering';

/** How a scrape request ended: served (ScrapeOutcome) or refused before any work. */
export type ScrapeResult = ScrapeOutcome | 'refused_pipelined' | 'refused_busy' | 'refused_client';

const RESULTS: readonly ScrapeResult[] = [
  'sent',
  'closed',
  'unread',
  'failed',
  'refused_pipelined',
  'refused_busy',
  'refused_client',
];

const SCRAPES: ObservedSpec = {
  name: METRIC.scrapes,
  description:
    'Scrape requests of /metrics by how they ended: sent, closed (the client left first), unread (cut: not read in time), failed, refused_pipelined (429), refused_busy (503), refused_client (503: too many of that client).',
  kind: 'counter',
};

const RENDERINGS: ObservedSpec = {
  name: METRIC.scrapeRenderings,
  description: 'Collections rendered as text for scrapes; scrapes that arrive together share one.',
  kind: 'counter',
};

/** The scrape handler's counters, read at collection from the store. */
export class ScrapeCounters {
  private readonly counts = new Map<ScrapeResult, number>(RESULTS.map((result) => [result, 0]));
  private binding: ObservedBinding | undefined;

  /** @param renderings renderings started so far, read at collection. */
  constructor(
    store: MetricStore | undefined,
    private readonly renderings: () => number,
  ) {
    this.binding = store?.observe([SCRAPES, RENDERINGS], (emit) => {
      for (const [result, count] of this.counts) emit(SCRAPES, count, { outcome: result });
      emit(RENDERINGS, this.renderings(), {});
    });
  }

  count(result: ScrapeResult): void {
    this.counts.set(result, (this.counts.get(result) ?? 0) + 1);
  }

  /** Scrapes that ended with `result` so far. */
  get(result: ScrapeResult): number {
    return this.counts.get(result) ?? 0;
  }

  /** Stops reporting. Idempotent. */
  close(): void {
    this.binding?.detach();
    this.binding = undefined;
  }
}
