import type { ServerResponse } from 'node:http';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import type { ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { Exposition } from './exposition';
import type { MetricStore } from './metric-store';
import { waitForResponse, type WaitOutcome } from './response-wait';
import type { ScrapeFormat } from './scrape-format';
import type { StalledResponses } from './stalled-responses';
import type { StoreSnapshot } from './store-snapshot';
import { GzipCopy } from './gzip-copy';
import { ChunkHolders, TextChunks, type ChunkPool } from './text-chunks';
import { ExporterError } from '../errors';

/** What a scrape reads. */
export interface ScrapeSource {
  /** The SDK's instruments, and the resource (`target_info`). */
  exporter: Pick<PrometheusExporter, 'collect'>;
  /** The exporter's own series, read as columns rather than through the SDK's data points. */
  store?: MetricStore;
}

/**
 * How a scrape ended. 'sent': in full; 'closed': the client left first; 'unread': cut because the
 * client did not read it within the bound; 'failed': the collection failed (500, or a cut text).
 */
export type ScrapeOutcome = 'sent' | 'closed' | 'unread' | 'failed';

/** One response taking part in a rendering. */
export interface Subscriber {
  readonly response: ServerResponse;
  /**
   * The connection the response goes out on: a pipelined response gets its socket only once the
   * ones before it are sent, and the client's hang-up shows here first.
   */
  readonly connection?: { readonly destroyed: boolean } | undefined;
  /** Called once, when the response is done with (see ScrapeOutcome). */
  readonly settle: (outcome: ScrapeOutcome) => void;
  /** The client accepts gzip (Accept-Encoding): it gets the rendering's one compressed copy. */
  readonly gzip?: boolean;
  /** The exposition its Accept header asked for (negotiateFormat); default text. */
  readonly format?: ScrapeFormat;
}

export interface RenderingContext {
  readonly source: ScrapeSource;
  /** How each format is written: a rendering writes one. */
  readonly expositions: Readonly<Record<ScrapeFormat, Exposition>>;
  readonly pool: ChunkPool;
  /** Data points serialized per event-loop turn. */
  readonly pointsPerChunk: number;
  /** Milliseconds a response may take to drain (or, at its end, to be handed over) before it is cut. */
  readonly unreadTimeoutMs: number;
  /**
   * Milliseconds a response that does not drain may hold back others before it is cut: the responses
   * of its rendering that are ready for more, or scrapes waiting for a rendering to start.
   */
  readonly stallTimeoutMs: number;
  /** Where responses waiting on their client are listed, for a new scrape to cut the oldest. */
  readonly stalled: StalledResponses;
  /** Whether scrapes are waiting for a rendering to start. */
  readonly othersWaiting: () => boolean;
  /** Monotonic milliseconds. */
  readonly now: () => number;
  /** zlib level of the compressed copy (1 fastest to 9 smallest). */
  readonly gzipLevel: number;
}

/** Points serialized per piece of text (a histogram point is a line per bucket, each with every label). */
const POINTS_PER_PIECE = 8;

/**
 * Bytes of text a turn hands over at most (besides `pointsPerChunk`): 16 of the pool's 64 KiB chunks.
 * A turn's chunks are all in flight at once, and the pool keeps as many as were: a histogram point is
 * a line per bucket, so a turn counted in points alone could fill the pool to its cap, and it stayed
 * full after the scrape (bench/results.md, "Exporter: a turn's text bounded").
 */
const TURN_BYTES = 1 << 20;

/** Milliseconds between checks of a stalled response's bound. */
const STEP_MS = 250;

/**
 * One collection rendered once, in one format (the text, or the protobuf exposition), and written to
 * every response of that format that joined it before it
 * started: each of them gets the whole text of one snapshot, byte for byte what a rendering of its
 * own would give, and the text of a turn is held once however many responses send it. A chunk goes
 * back to the pool only once every one of them has sent it or failed to (a response destroyed
 * before its socket took the chunk may never say: the chunk is then left to the garbage collector).
 *
 * It renders a slice of data points per event-loop turn (thousands of targets at once would hold the
 * loop: replies read late, RTTs too long), and goes at the pace of its slowest response: past a
 * socket's high-water mark it waits for that socket to drain, so what it holds is a turn's text, not
 * the whole text. A response that does not drain within `unreadTimeoutMs` is destroyed, and within
 * `stallTimeoutMs` when it holds back others (responses of the rendering ready for more, or scrapes
 * waiting for a rendering); a response whose client left is dropped; with no response left the
 * rendering stops, before the next slice (or before collecting at all).
 *
 * Responses that accept gzip get the same text compressed once for all of them (GzipCopy): each
 * slice goes through zlib before the next is rendered, and the compressed bytes are paced as the
 * text is. The others get the text as it is.
 */
export class SharedRendering {
  private readonly live = new Set<Subscriber>();
  private readonly settled = new Set<Subscriber>();
  /** Live responses waiting on their client. */
  private readonly awaiting = new Set<Subscriber>();
  private started = false;

  constructor(
    private readonly context: RenderingContext,
    private readonly format: ScrapeFormat = 'text',
  ) {}

  /** Responses that joined and are not yet done with. */
  get size(): number {
    return this.live.size;
  }

  join(subscriber: Subscriber): void {
    if (this.started)
      throw new ExporterError('ERR_INTERNAL', 'a rendering cannot be joined once it has started');
    this.live.add(subscriber);
  }

  /** Collects, renders and writes; resolves once the text is written (responses may still be sending). */
  async run(): Promise<void> {
    this.started = true;
    try {
      await this.render();
    } catch (error) {
      for (const subscriber of this.live) {
        const { response } = subscriber;
        // A line appended to compressed bytes would not decompress, nor parse amid protobuf
        // messages: the client sees the cut instead.
        if ((subscriber.gzip || this.format === 'protobuf') && response.headersSent) response.destroy();
        else {
          if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
          response.end(`# collection failed: ${String(error)}\n`);
        }
        this.settle(subscriber, 'failed');
      }
    }
  }

  private async render(): Promise<void> {
    const { source } = this.context;
    if (this.prune() === 0) return;
    const { resourceMetrics, errors } = await source.exporter.collect();
    // Read right after the SDK's instruments, before any text: the whole scrape is one moment.
    const snapshot = source.store?.snapshot({ native: this.format !== 'text' });
    try {
      await this.write(resourceMetrics, errors.length, snapshot);
    } finally {
      // Nothing reads the snapshot after write(): its arrays serve the next collection.
      snapshot?.release();
    }
  }

  /** Writes the answer of one collection to every subscriber still there, and ends their responses. */
  private async write(
    resourceMetrics: ResourceMetrics,
    errorCount: number,
    snapshot: StoreSnapshot | undefined,
  ): Promise<void> {
    const { pool, pointsPerChunk } = this.context;
    const exposition = this.context.expositions[this.format];
    if (this.prune() === 0) return;
    for (const { response, gzip } of this.live) {
      response.writeHead(200, {
        'content-type': exposition.contentType,
        vary: 'Accept, Accept-Encoding',
        ...(gzip && { 'content-encoding': 'gzip' }),
      });
    }
    const full = new Set<Subscriber>();
    const compressed = this.anyGzip()
      ? new GzipCopy((bytes) => {
          for (const subscriber of this.live) {
            if (!subscriber.gzip || this.gone(subscriber)) continue;
            if (!subscriber.response.write(bytes)) full.add(subscriber);
          }
        }, this.context.gzipLevel)
      : undefined;
    const text = new TextChunks((chunk, release) => {
      const holders = new ChunkHolders(release);
      for (const subscriber of this.live) {
        if (subscriber.gzip || this.gone(subscriber)) continue;
        // Sent (or failed for good): that socket holds the chunk no longer.
        if (!subscriber.response.write(chunk, holders.hold())) full.add(subscriber);
      }
      if (compressed && this.anyGzip()) compressed.write(chunk, holders.hold());
      holders.seal();
    }, pool);
    try {
      exposition.targetInfo(text, resourceMetrics.resource.attributes);
      let budget = pointsPerChunk;
      let turnStart = text.handedOver;
      for (const family of exposition.families(resourceMetrics, snapshot)) {
        if (family.length === 0) continue;
        family.header(text);
        for (let start = 0; start < family.length;) {
          const end = Math.min(family.length, start + Math.min(budget, POINTS_PER_PIECE));
          family.samples(text, start, end);
          budget -= end - start;
          start = end;
          if (budget > 0 && text.handedOver - turnStart < TURN_BYTES) continue;
          // A slice per turn; past a socket's high-water mark, wait for it to drain.
          text.flush();
          await compressed?.consumed();
          if (this.prune() === 0) return;
          await this.drain(full);
          if (this.live.size === 0) return;
          budget = pointsPerChunk;
          turnStart = text.handedOver;
          await nextTurn();
          if (this.prune() === 0) return;
        }
      }
      exposition.end(text, errorCount);
      text.flush();
      await compressed?.end();
    } finally {
      text.close();
      compressed?.destroy();
    }
    for (const subscriber of this.live) {
      if (this.gone(subscriber)) continue;
      subscriber.response.end();
      void this.handOver(subscriber);
    }
    this.prune();
  }

  /** Waits for every response past its high-water mark to drain; cuts those that do not in time. */
  private async drain(full: Set<Subscriber>): Promise<void> {
    const waiting = [...full].filter((subscriber) => this.live.has(subscriber));
    full.clear();
    await Promise.all(
      waiting.map(async (subscriber) => {
        if ((await this.awaitClient(subscriber, 'drain')) === 'closed') this.settle(subscriber, 'closed');
      }),
    );
    this.prune();
  }

  /** After `end()`: the response is done with once the socket took its last bytes. */
  private async handOver(subscriber: Subscriber): Promise<void> {
    if (subscriber.response.writableFinished) return this.settle(subscriber, 'sent');
    const outcome = await this.awaitClient(subscriber, 'finish');
    if (outcome !== 'cut') this.settle(subscriber, outcome === 'ready' ? 'sent' : 'closed');
  }

  /**
   * Waits for a response's client to take what was written ('drain', or 'finish' after the end); cuts
   * it past its bound (checked every STEP_MS: whether it holds back others changes meanwhile), or
   * when a new scrape needs its place (StalledResponses).
   */
  private async awaitClient(subscriber: Subscriber, event: 'drain' | 'finish'): Promise<WaitOutcome | 'cut'> {
    const { response } = subscriber;
    const { now, stalled, stallTimeoutMs, unreadTimeoutMs } = this.context;
    const since = now();
    const step = Math.min(STEP_MS, stallTimeoutMs, unreadTimeoutMs);
    let cut = false;
    const cutNow = (): void => {
      cut = true;
      this.cut(subscriber);
    };
    stalled.add(response, cutNow);
    this.awaiting.add(subscriber);
    try {
      for (;;) {
        const outcome = await waitForResponse(response, event, step);
        if (cut) return 'cut';
        if (outcome !== 'timeout') return outcome;
        const bound = event === 'drain' && this.holdsBackOthers() ? stallTimeoutMs : unreadTimeoutMs;
        if (now() - since >= bound) {
          cutNow();
          return 'cut';
        }
      }
    } finally {
      stalled.remove(response);
      this.awaiting.delete(subscriber);
    }
  }

  /** Whether responses of this rendering are ready for more, or scrapes wait for a rendering. */
  private holdsBackOthers(): boolean {
    return this.live.size > this.awaiting.size || this.context.othersWaiting();
  }

  /** Destroys a response its client does not read: its buffers (and its hold on chunks) go with it. */
  private cut(subscriber: Subscriber): void {
    subscriber.response.destroy();
    this.settle(subscriber, 'unread');
  }

  /** Whether a live response takes the compressed copy. */
  private anyGzip(): boolean {
    for (const subscriber of this.live) if (subscriber.gzip) return true;
    return false;
  }

  /** Drops the responses whose client left; returns how many are left. */
  private prune(): number {
    for (const subscriber of this.live) if (this.gone(subscriber)) this.settle(subscriber, 'closed');
    return this.live.size;
  }

  private gone({ response, connection }: Subscriber): boolean {
    return response.destroyed || connection?.destroyed === true;
  }

  private settle(subscriber: Subscriber, outcome: ScrapeOutcome): void {
    if (this.settled.has(subscriber)) return;
    this.settled.add(subscriber);
    this.live.delete(subscriber);
    subscriber.settle(outcome);
  }
}
