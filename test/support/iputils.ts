/** Parses the summary of iputils `ping -q`. */
export interface IputilsSummary {
  sent: number;
  received: number;
  loss: number;
  /** Seconds, or null when nothing came back. */
  avg: number | null;
  mdev: number | null;
}

export function parseIputilsSummary(output: string): IputilsSummary {
  const counts = /(\d+) packets transmitted, (\d+) received/.exec(output);
  if (!counts) throw new Error(`no iputils ping summary in:\n${output}`);
  const sent = Number(counts[1]);
  const received = Number(counts[2]);
  const rtt = /= ([\d.]+)\/([\d.]+)\/([\d.]+)\/([\d.]+) ms/.exec(output);
  return {
    sent,
    received,
    loss: (sent - received) / sent,
    avg: rtt ? Number(rtt[2]) / 1000 : null,
    mdev: rtt ? Number(rtt[4]) / 1000 : null,
  };
}

/** The RTT of every reply iputils ping printed (`time=X ms`; not with -q), in seconds. */
export function parseIputilsRtts(output: string): number[] {
  return [...output.matchAll(/time=([\d.]+) ms/g)].map((match) => Number(match[1]) / 1000);
}

/** The middle value (the mean of the two middle ones for an even count); NaN when empty. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
