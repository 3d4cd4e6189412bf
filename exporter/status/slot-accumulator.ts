import { Reservoir } from './reservoir';
import { FIELD, SlotRing, type SlotSummary } from './slot-ring';

const QUANTILES = [0.5, 0.9] as const;
/** Scratch for the percentiles: written and read within one call, so one serves every accumulator. */
const quantiles = new Float64Array(QUANTILES.length);

/**
 * Feeds one SlotRing: counts, min, max and jitter go into the open slot's row as each result comes;
 * the percentiles come from a Reservoir of the slot's RTTs, written when the slot closes (and
 * whenever the open slot is read). Nothing is allocated per result.
 */
export class SlotAccumulator {
  private number = -1;
  private offset = 0;
  private answered = 0;
  /** Whether RTTs came since the percentiles were last written. */
  private stale = false;
  private jitters = 0;
  private jitterMean = 0;
  private min = Infinity;
  private max = -Infinity;
  private count = 0;
  private lost = 0;
  private open = 0;

  constructor(
    readonly ring: SlotRing,
    private readonly sample: Reservoir,
  ) {}

  /**
   * One result at `now` (seconds): `rtt` null for a loss; `jitter` the absolute difference from the
   * series' previous RTT, NaN when there is none.
   */
  add(now: number, rtt: number | null, open: boolean, jitter: number): void {
    this.moveTo(Math.floor(now / this.ring.slotSeconds));
    const { ring, offset } = this;
    ring.set(offset, FIELD.count, ++this.count);
    if (open && ring.countsOpen) ring.set(offset, FIELD.open, ++this.open);
    if (rtt === null) {
      ring.set(offset, FIELD.lost, ++this.lost);
      return;
    }
    this.answered++;
    this.stale = true;
    this.sample.add(rtt);
    if (rtt < this.min) ring.set(offset, FIELD.min, (this.min = rtt));
    if (rtt > this.max) ring.set(offset, FIELD.max, (this.max = rtt));
    if (!Number.isNaN(jitter)) {
      this.jitterMean += (jitter - this.jitterMean) / ++this.jitters;
      ring.set(offset, FIELD.jitter, this.jitterMean);
    }
  }

  /** The slots from `first` to `last` (slot numbers) with data, the open one's percentiles brought up to date. */
  read(first: number, last: number): SlotSummary[] {
    this.writePercentiles();
    return this.ring.read(first, last);
  }

  private moveTo(number: number): void {
    if (number === this.number) return;
    this.writePercentiles();
    this.number = number;
    this.offset = this.ring.row(number);
    this.answered = this.jitters = this.jitterMean = this.count = this.lost = this.open = 0;
    this.min = Infinity;
    this.max = -Infinity;
    this.sample.reset();
  }

  private writePercentiles(): void {
    if (!this.stale) return;
    this.stale = false;
    this.sample.percentiles(QUANTILES, quantiles);
    this.ring.set(this.offset, FIELD.median, quantiles[0]!);
    this.ring.set(this.offset, FIELD.p90, quantiles[1]!);
  }

  get bytes(): number {
    return this.ring.bytes + this.sample.bytes;
  }
}
