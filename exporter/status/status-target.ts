import type { TargetConfig } from '../config';
import type { StatusTarget } from './status-store';

/** What the status store keeps of a configured target: made once per target, not per result. */
export function statusTarget(target: TargetConfig): StatusTarget {
  return {
    name: target.name,
    labels: target.labels,
    probes: [
      ...(target.ping ? (['ping'] as const) : []),
      ...(target.knock?.length ? (['knock'] as const) : []),
      ...(target.trace ? (['trace'] as const) : []),
    ],
  };
}
