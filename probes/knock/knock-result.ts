/** What a knocked port answered: a SYN-ACK ("open") or an RST ("closed"). */
export type PortState = 'open' | 'closed';

/** An answered knock, as `Knocker.knock()` yields it (null there when nothing came before the timeout). */
export interface KnockAnswer {
  /** Round-trip time in seconds, from the SYN leaving to the SYN-ACK or RST being read. */
  rtt: number;
  state: PortState;
}

export type KnockFailure =
  /**
   * No answer within the timeout. `lateRtt`: an answer was read after the timeout but before the
   * timeout fired (the event loop was stalled): its seconds measure the stall, not the network.
   */
  | { reason: 'timeout'; lateRtt?: number }
  /** An ICMP error quoting the SYN, e.g. destination unreachable from a router, or a filter's reject. */
  | { reason: 'unreachable'; type: number; code: number; from: string }
  | { reason: 'send'; message: string };

/** One knock in detail, as `knockDetailed()` yields it and `KnockSession.probe()` resolves. */
export interface KnockResult {
  /** 0 for the first knock of a knockDetailed() call or session. */
  seq: number;
  /** Seconds, or null when the port did not answer. */
  rtt: number | null;
  /** Present when the port answered. */
  state?: PortState;
  /** Local port the SYN left from (reserved for this knock; 0 if none could be). */
  sourcePort: number;
  /** Initial sequence number of the SYN (random per knock). */
  sequence: number;
  /** TCP flags of the answer (0x12 SYN-ACK, 0x14 RST-ACK). */
  flags?: number;
  /** TCP window of the answer. */
  window?: number;
  /** TCP bytes of the answer (header and options). */
  bytes?: number;
  /** TTL of the answer (IPv4 only: IPv6 raw sockets do not see the header). */
  ttl?: number;
  failure?: KnockFailure;
}
