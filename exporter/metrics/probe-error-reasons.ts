import type { KnockFailure, PingFailure } from '../../probes';
import type { ProbeName } from './exporter-metrics';

/** The failures a ping or knock result can carry: the Record makes a reason added to the library a compile error here. */
const PING_FAILURES = { timeout: true, unreachable: true, send: true } as const satisfies Record<
  PingFailure['reason'],
  true
>;
const KNOCK_FAILURES = { timeout: true, unreachable: true, send: true } as const satisfies Record<
  KnockFailure['reason'],
  true
>;

/** Counted by the agent for any probe: the name did not resolve, or the probe could not start on an address. */
const TARGET_FAILURES = ['resolve', 'start'] as const;

/**
 * The reasons of `netdiag_probe_errors_total` exported at 0 for every target of the probe, from the
 * target's first collection, so that `rate()` and `increase()` see the first failure of each.
 *
 * Trace's one reason per library error code (raw_socket_permission, closed, …) is left out: those
 * are faults of the process (privileges, a bug), logged and the same for every target, and would
 * more than double the series of every traced target; they appear when they first happen.
 */
export const PROBE_ERROR_REASONS: Readonly<Record<ProbeName, readonly string[]>> = {
  ping: [...Object.keys(PING_FAILURES), ...TARGET_FAILURES],
  knock: [...Object.keys(KNOCK_FAILURES), ...TARGET_FAILURES],
  trace: ['unreached', 'send', 'hop_address_limit', ...TARGET_FAILURES],
};
