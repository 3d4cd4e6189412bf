import { HistoryCells, HistorySlab } from './history-slab';
import { Reservoir } from './reservoir';
import { SlotAccumulator } from './slot-accumulator';
import { SlotRing, type SlotSummary } from './slot-ring';

/** How much history a series keeps: a fine ring for the last hour, a coarse one for the last day. */
export interface HistoryShape {
  /** Seconds per fine slot; default 60. */
  readonly fineSlotSeconds: number;
  /** Fine slots kept; default 60 (an hour of minutes). */
  readonly fineSlots: number;
  /** Seconds per coarse slot; default 1800. */
  readonly coarseSlotSeconds: number;
  /** Coarse slots kept; default 48 (a day of half hours). */
  readonly coarseSlots: number;
  /** RTTs sampled per open slot for its percentiles (exact up to this many results per slot); default 64. */
  readonly sampleSize: number;
}

export const DEFAULT_HISTORY_SHAPE: HistoryShape = {
  fineSlotSeconds: 60,
  fineSlots: 60,
  coarseSlotSeconds: 1800,
  coarseSlots: 48,
  sampleSize: 64,
};

/** A view of a series' history: slots oldest first, and the slot length. */
export interface HistoryView {
  readonly slotSeconds: number;
  /** Slots the view covers, up to and including the one `now` falls in (those without data are left out of `slots`). */
  readonly span: number;
  readonly slots: SlotSummary[];
}

/** The RTT history of one series (a target's ping, or one knocked port): an hour fine, a day coarse. */
export class RttHistory {
  private readonly fine: SlotAccumulator;
  private readonly coarse: SlotAccumulator;
  private previousRtt = NaN;
  /** The last result: its time (seconds), RTT (null: lost) and, for knock, whether the port was open. */
  lastTime = NaN;
  lastRtt: number | null = null;
  lastOpen = false;

  /** Where the series' rings and samples live. */
  private readonly cells: HistoryCells;

  /**
   * `cells`: the series' place in a store's slab; default a slab of its own (one series) that counts
   * open answers. A history whose slab does not count them ignores add()'s `open`.
   */
  constructor(
    shape: HistoryShape,
    random: (bound: number) => number,
    cells: HistoryCells = new HistorySlab(shape, true, 1).take(),
  ) {
    this.cells = cells;
    const { fineSlots, coarseSlots, sampleSize } = shape;
    const { fields, values, numbers, valuesAt, numbersAt } = cells;
    const coarseValuesAt = valuesAt + fineSlots * fields;
    const samplesAt = coarseValuesAt + coarseSlots * fields;
    this.fine = new SlotAccumulator(
      new SlotRing(shape.fineSlotSeconds, fineSlots, { fields, values, valuesAt, numbers, numbersAt }),
      new Reservoir(sampleSize, random, values, samplesAt),
    );
    this.coarse = new SlotAccumulator(
      new SlotRing(shape.coarseSlotSeconds, coarseSlots, {
        fields,
        values,
        valuesAt: coarseValuesAt,
        numbers,
        numbersAt: numbersAt + fineSlots,
      }),
      new Reservoir(sampleSize, random, values, samplesAt + sampleSize),
    );
  }

  /** Gives its storage back to the slab: the history is not to be written after. */
  release(): void {
    this.cells.release();
  }

  /** One result at `now` (seconds): `rtt` in seconds, null when lost; `open` for a knock that found the port open. */
  add(now: number, rtt: number | null, open = false): void {
    const jitter = rtt === null || Number.isNaN(this.previousRtt) ? NaN : Math.abs(rtt - this.previousRtt);
    if (rtt !== null) this.previousRtt = rtt;
    this.fine.add(now, rtt, open, jitter);
    this.coarse.add(now, rtt, open, jitter);
    this.lastTime = now;
    this.lastRtt = rtt;
    this.lastOpen = open;
  }

  /** The fine slots of the last `seconds` up to `now` (default: the whole ring). */
  recent(now: number, seconds?: number): HistoryView {
    return view(this.fine, now, seconds);
  }

  /** The coarse slots of the whole ring. */
  day(now: number): HistoryView {
    return view(this.coarse, now);
  }

  get bytes(): number {
    return this.fine.bytes + this.coarse.bytes;
  }
}

function view(accumulator: SlotAccumulator, now: number, seconds?: number): HistoryView {
  const { slotSeconds, length } = accumulator.ring;
  const last = Math.floor(now / slotSeconds);
  const span = seconds === undefined ? length : Math.ceil(seconds / slotSeconds);
  return { slotSeconds, span, slots: accumulator.read(last - span + 1, last) };
}
