export type PingFailure =
  /**
   * No reply within the timeout. `lateRtt`: a reply was read after the timeout but before the
   * timeout fired (the event loop was stalled): its seconds measure the stall, not the network.
   */
  | { reason: 'timeout'; lateRtt?: number }
  | { reason: 'unreachable'; type: number; code: number; from: string }
  | { reason: 'send'; message: string };

export interface PingResult {
  /** 0 for the first request of a ping() call or session. */
  seq: number;
  /** Round-trip time in seconds, or null when no reply came. */
  rtt: number | null;
  /** ICMP bytes of the reply. */
  bytes?: number;
  /** TTL (IPv4) or hop limit (IPv6) of the reply; IPv6 only with the native socket module. */
  ttl?: number;
  failure?: PingFailure;
}
