import { invalidOption, ProbeError } from './errors';
import { canonicalAddress, ipFamily, type IpFamily } from './packet';

/** What a ping or knock request shares: where to, how many, how often, how long to wait, the TTL. */
export interface LoopRequest {
  addr: string;
  count?: number;
  interval?: number;
  timeout?: number;
  ttl?: number;
}

/**
 * Requests to one address in flight at once at most: ⌈timeout / interval⌉ (each settles by its
 * deadline, one interval after the previous one left). 1 when the timeout is at most the interval.
 * Computed on whole microseconds, so that 0.6 s / 0.2 s is 3, not 4.
 */
export function probesInFlight(timeoutSeconds: number, intervalSeconds: number): number {
  const interval = Math.round(intervalSeconds * 1e6);
  if (interval <= 0) return Infinity;
  return Math.max(1, Math.ceil(Math.round(timeoutSeconds * 1e6) / interval));
}

export interface ValidLoop {
  family: IpFamily;
  /** Canonical address. */
  destination: string;
  count: number;
  intervalMs: number;
  timeoutMs: number;
  /** probesInFlight(timeout, interval): the loop holds a send while that many are in flight. */
  maxInFlight: number;
  /** Absent or undefined: the system's. */
  ttl?: number | undefined;
}

/**
 * Checks the keys every looping request has, with the defaults the Pinger and the Knocker document
 * (count Infinity, interval 1 s, timeout 1 s, the system's TTL); each diagnostic checks its own keys.
 */
export function validateLoop(request: LoopRequest): ValidLoop {
  const family = ipFamily(request.addr);
  if (family === 0) {
    throw new ProbeError(
      'ERR_INVALID_ADDRESS',
      `addr: "${request.addr}" is not an IP address (resolve names first)`,
    );
  }
  const count = request.count ?? Infinity;
  const interval = request.interval ?? 1;
  const timeout = request.timeout ?? 1;
  if (!(count >= 0) || (Number.isFinite(count) && !Number.isInteger(count))) {
    throw invalidOption('count', count, 'a non-negative integer or Infinity');
  }
  if (!(interval >= 0) || !Number.isFinite(interval))
    throw invalidOption('interval', interval, 'seconds >= 0');
  if (!(timeout > 0) || !Number.isFinite(timeout)) throw invalidOption('timeout', timeout, 'seconds > 0');
  // interval 0 (as fast as possible) bounds nothing: count does.
  const maxInFlight = probesInFlight(timeout, interval);
  if (request.ttl !== undefined && (!Number.isInteger(request.ttl) || request.ttl < 1 || request.ttl > 255)) {
    throw invalidOption('ttl', request.ttl, 'an integer from 1 to 255');
  }
  // Every key present, in one order: objects of one shape (see loopSpec).
  return {
    family,
    destination: canonicalAddress(request.addr),
    count,
    intervalMs: interval * 1000,
    timeoutMs: timeout * 1000,
    maxInFlight,
    ttl: request.ttl,
  };
}
