import type { ScrapeFormat } from './scrape-format';
import { SharedRendering, type RenderingContext, type Subscriber } from './shared-rendering';

/**
 * Gathers scrapes into shared renderings and runs at most `maxRenderings` at once, whatever their
 * format. A scrape joins the rendering of its format that has not started yet (there is at most one
 * per format): it starts at the next turn, or once a running one has written its answer, so scrapes
 * that arrive together, or while the renderings are busy, share one collection and one answer per
 * format. A scrape never joins a rendering already under way: it would miss what was written before
 * it came.
 */
export class RenderingSchedule {
  /** The rendering gathering scrapes, per format; in the order they started gathering. */
  private readonly gathering = new Map<ScrapeFormat, SharedRendering>();
  private running = 0;
  private startScheduled = false;
  private renderings = 0;

  /**
   * @param context what each rendering reads and how it paces.
   * @param maxRenderings renderings writing at once; at least 1.
   */
  private readonly context: RenderingContext;

  constructor(
    context: Omit<RenderingContext, 'othersWaiting'>,
    private readonly maxRenderings: number,
  ) {
    this.context = { ...context, othersWaiting: () => this.waiting };
  }

  /** Whether scrapes wait for a rendering to start (all `maxRenderings` are busy). */
  get waiting(): boolean {
    if (this.running < this.maxRenderings) return false;
    for (const rendering of this.gathering.values()) if (rendering.size > 0) return true;
    return false;
  }

  /** Renderings started so far. */
  get started(): number {
    return this.renderings;
  }

  join(subscriber: Subscriber): void {
    const format = subscriber.format ?? 'text';
    let rendering = this.gathering.get(format);
    if (!rendering) this.gathering.set(format, (rendering = new SharedRendering(this.context, format)));
    rendering.join(subscriber);
    this.scheduleStart();
  }

  private scheduleStart(): void {
    if (this.startScheduled || this.gathering.size === 0 || this.running >= this.maxRenderings) return;
    this.startScheduled = true;
    // At the next turn: the scrapes that arrive in this one join the same rendering.
    setImmediate(() => {
      this.startScheduled = false;
      // The formats in the order they started gathering: one format's scrapes cannot starve the other's.
      for (const [format, rendering] of this.gathering) {
        if (this.running >= this.maxRenderings) return;
        this.gathering.delete(format);
        this.running++;
        this.renderings++;
        const done = (): void => {
          this.running--;
          this.scheduleStart();
        };
        rendering.run().then(done, done);
      }
    });
  }
}
