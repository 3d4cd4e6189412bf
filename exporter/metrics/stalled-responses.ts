/**
 * Scrape responses waiting on a client that does not read (their socket past its high-water mark),
 * with when they started waiting: where a new scrape finds every place taken, the one stalled
 * longest, if for at least the bound, is cut to make room. Without it, clients that send a scrape
 * and never read would hold every place until their unread timeout, and refuse everyone else.
 */
export class StalledResponses {
  /** Stalled response → [since (ms), how to cut it]; in the order they stalled. */
  private readonly stalled = new Map<object, { since: number; cut: () => void }>();

  constructor(private readonly now: () => number) {}

  /** `response` waits on its client from now; `cut` ends it. */
  add(response: object, cut: () => void): void {
    this.stalled.set(response, { since: this.now(), cut });
  }

  /** `response` moved on (drained, finished, closed or cut). */
  remove(response: object): void {
    this.stalled.delete(response);
  }

  /** Cuts the response stalled longest if it has been for at least `minMs`; whether one was cut. */
  cutOldest(minMs: number): boolean {
    const oldest = this.stalled.entries().next();
    if (oldest.done) return false;
    const [response, { since, cut }] = oldest.value;
    if (this.now() - since < minMs) return false;
    this.stalled.delete(response);
    cut();
    return true;
  }
}
