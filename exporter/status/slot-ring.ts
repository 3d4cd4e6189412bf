/** What a slot of history holds, as the API reports it (times in seconds since the epoch). */
export interface SlotSummary {
  /** Start of the slot. */
  readonly time: number;
  /** Probes sent in the slot. */
  readonly count: number;
  /** Probes without an answer. */
  readonly lost: number;
  /** RTT statistics of the answered probes (seconds), null when none answered. */
  readonly min: number | null;
  readonly median: number | null;
  readonly p90: number | null;
  readonly max: number | null;
  /** Mean absolute difference of consecutive RTTs (seconds), null with fewer than two answers in a row. */
  readonly jitter: number | null;
  /** Knock: answers that said the port is open (the others that answered said closed). */
  readonly open: number;
}

/**
 * Where a ring lives: `length` × `fields` slot fields from `valuesAt` (slotFields), `length` slot
 * numbers from `numbersAt`.
 */
export interface SlotStorage {
  readonly fields: number;
  readonly values: Float32Array;
  readonly valuesAt: number;
  readonly numbers: Uint32Array;
  readonly numbersAt: number;
}

/** Bytes a ring of `length` slots needs: its float32 fields and a uint32 slot number each. */
function slotRingBytes(length: number, fields: number): number {
  return length * (fields * 4 + 4);
}

/** Field offsets of a slot in the ring's Float32Array. */
export const FIELD = { count: 0, lost: 1, min: 2, median: 3, p90: 4, max: 5, jitter: 6, open: 7 } as const;
/** The slot number of an index never written: no slot number reaches it (see SlotRing.numbers). */
const NO_SLOT = 0xffffffff;
/**
 * Float32 fields per slot (FIELD above): what a ring's storage holds per slot besides its number.
 * `open` only where answers can say open (knock): a ping series' slots end before it, which saves
 * 4 bytes per slot (bench/results.md, "Exporter: loss windows and histories trimmed").
 */
export function slotFields(countsOpen: boolean): number {
  return countsOpen ? FIELD.open + 1 : FIELD.open;
}
/** Fields that read as null (NaN) until a result sets them. */
const STATISTICS = [FIELD.min, FIELD.median, FIELD.p90, FIELD.max, FIELD.jitter];

/**
 * The summaries of the last `length` slots of `slotSeconds` each, in preallocated typed arrays: a
 * slot's index in the ring is its number (start time / slotSeconds) modulo length, and the number
 * is stored beside it, so a slot left over from a lap before reads as empty. Writing never allocates.
 */
export class SlotRing {
  /** Shared with other rings (a slab: see history-slab.ts); this ring's part starts at valuesAt. */
  private readonly values: Float32Array;
  private readonly valuesAt: number;
  /** Fields per slot: FIELD.open is one of them only when the ring counts open answers. */
  private readonly fields: number;
  /**
   * Slot number held at each index, from numbersAt; NO_SLOT: never written. Uint32: a slot number is
   * seconds since the epoch over the slot's length, under NO_SLOT for slots of a second or more until
   * 2106 (Float64 took twice the bytes: bench/results.md, "Exporter: a turn's text bounded").
   */
  private readonly numbers: Uint32Array;
  private readonly numbersAt: number;

  constructor(
    readonly slotSeconds: number,
    readonly length: number,
    storage: SlotStorage,
  ) {
    this.fields = storage.fields;
    this.values = storage.values;
    this.valuesAt = storage.valuesAt;
    this.numbers = storage.numbers;
    this.numbersAt = storage.numbersAt;
    // Cells handed out again by a slab hold another series' slots: none is this ring's.
    this.numbers.fill(NO_SLOT, this.numbersAt, this.numbersAt + length);
  }

  /** The row of slot `number` (an offset in the shared values), claimed for it (cleared when it held an older slot). */
  row(number: number): number {
    const index = number % this.length;
    const offset = this.valuesAt + index * this.fields;
    if (this.numbers[this.numbersAt + index] !== number) {
      this.numbers[this.numbersAt + index] = number;
      this.values.fill(0, offset, offset + this.fields);
      for (const field of STATISTICS) this.values[offset + field] = NaN;
    }
    return offset;
  }

  /** Writes a field of the row at `offset`; FIELD.open only when countsOpen. */
  set(offset: number, field: number, value: number): void {
    this.values[offset + field] = value;
  }

  /** Whether its slots have the `open` field (a knock series'). */
  get countsOpen(): boolean {
    return this.fields > FIELD.open;
  }

  /**
   * Slots from number `first` to `last` included that hold data, oldest first. Slot numbers are never
   * negative (times are seconds since the epoch): a negative index would read the ring before this one.
   */
  read(first: number, last: number): SlotSummary[] {
    const out: SlotSummary[] = [];
    for (let number = Math.max(first, last - this.length + 1, 0); number <= last; number++) {
      const index = number % this.length;
      if (this.numbers[this.numbersAt + index] !== number) continue;
      out.push(this.summary(number, this.valuesAt + index * this.fields));
    }
    return out;
  }

  summary(number: number, offset: number): SlotSummary {
    const v = this.values;
    const stat = (field: number): number | null => {
      const x = v[offset + field]!;
      return Number.isNaN(x) ? null : x;
    };
    return {
      time: number * this.slotSeconds,
      count: v[offset + FIELD.count]!,
      lost: v[offset + FIELD.lost]!,
      min: stat(FIELD.min),
      median: stat(FIELD.median),
      p90: stat(FIELD.p90),
      max: stat(FIELD.max),
      jitter: stat(FIELD.jitter),
      open: this.fields > FIELD.open ? v[offset + FIELD.open]! : 0,
    };
  }

  get bytes(): number {
    return slotRingBytes(this.length, this.fields);
  }
}
