/**
 * How our RTTs are held to the wire's in the timestamp tests: each RTT minus the same exchange's RTT in a
 * tcpdump capture. Both ends are kernel stamps, so offsets are a few µs (bench/results.md, "Light load: kernel
 * timestamps"). A rare large one need not be ours: the capture stamps a sent packet where the packet tap sees
 * it and the kernel's transmit stamp is taken at another point of the same send path, so an interrupt between
 * the two on a busy machine separates them (our reading of one CI run's single 50.1 µs knock, and of another's
 * single 73.7 µs trace probe among 9, and of a late-stamps run's one exchange at 115.7 µs, not proven). So one
 * offset of a run, or one in twenty, may exceed the bound, up to four times it; a systematic error (a
 * JavaScript clock read after the wake-up, as before kernel stamps) still fails.
 */
export interface WireOffsetVerdict {
  readonly ok: boolean;
  /** Every offset and the rule applied, for the assertion message. */
  readonly explanation: string;
}

const us = (seconds: number): string => `${(seconds * 1e6).toFixed(1)} µs`;

export function judgeWireOffsets(offsets: readonly number[], boundS: number): WireOffsetVerdict {
  const allowedBeyond = Math.max(1, Math.floor(offsets.length / 20));
  const beyond = offsets.filter((offset) => !(Math.abs(offset) < boundS));
  const ok =
    offsets.length > 0 &&
    beyond.length <= allowedBeyond &&
    beyond.every((offset) => Math.abs(offset) < 4 * boundS);
  return {
    ok,
    explanation:
      `${beyond.length} of ${offsets.length} offsets beyond ${us(boundS)} (at most ${allowedBeyond} may be, ` +
      `each under ${us(4 * boundS)}): ${offsets.map(us).join(', ')}`,
  };
}
