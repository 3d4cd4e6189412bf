export interface RttSummary {
  sent: number;
  received: number;
  /** Lost fraction, 0..1 (0 when nothing was sent). */
  loss: number;
  /** Seconds; null when nothing was received. */
  min: number | null;
  avg: number | null;
  max: number | null;
  /** Population standard deviation (iputils' mdev). */
  stddev: number | null;
}

/** Summary statistics of a run of probes, null marking a lost one. */
export function summarizeRtts(rtts: Iterable<number | null>): RttSummary {
  let sent = 0;
  let received = 0;
  let sum = 0;
  let sumSquares = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const rtt of rtts) {
    sent++;
    if (rtt === null) continue;
    received++;
    sum += rtt;
    sumSquares += rtt * rtt;
    if (rtt < min) min = rtt;
    if (rtt > max) max = rtt;
  }
  if (received === 0) {
    return { sent, received, loss: sent === 0 ? 0 : 1, min: null, avg: null, max: null, stddev: null };
  }
  const avg = sum / received;
  return {
    sent,
    received,
    loss: (sent - received) / sent,
    min,
    avg,
    max,
    stddev: Math.sqrt(Math.max(0, sumSquares / received - avg * avg)),
  };
}
