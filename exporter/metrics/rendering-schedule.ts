import { SharedRendering, type RenderingContext, type Subscriber } from './shared-rendering';

/**
 * Gathers scrapes into shared renderings and runs at most `maxRenderings` at once. A scrape joins the
 * rendering that has not started yet (there is at most one): it starts at the next turn, or once a
 * running one has written its text, so scrapes that arrive together, or while the renderings are
 * busy, share one collection and one text. A scrape never joins a rendering already under way: it
 * would miss the text written before it came.
 */
export class RenderingSchedule {
  private gathering: SharedRendering | undefined;
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
    return (this.gathering?.size ?? 0) > 0 && this.running >= this.maxRenderings;
  }

  /** Renderings started so far. */
  get started(): number {
    return this.renderings;
  }

  join(subscriber: Subscriber): void {
    this.gathering ??= new SharedRendering(this.context);
    this.gathering.join(subscriber);
    this.scheduleStart();
  }

  private scheduleStart(): void {
    if (this.startScheduled || this.gathering === undefined || this.running >= this.maxRenderings) return;
    this.startScheduled = true;
    // At the next turn: the scrapes that arrive in this one join the same rendering.
    setImmediate(() => {
      this.startScheduled = false;
      const rendering = this.gathering;
      if (rendering === undefined || this.running >= this.maxRenderings) return;
      this.gathering = undefined;
      this.running++;
      this.renderings++;
      const done = (): void => {
        this.running--;
        this.scheduleStart();
      };
      rendering.run().then(done, done);
    });
  }
}
