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
