import type { ProbeOutcome } from './trace-result';

/**
 * The protocol side of a trace (UDP, TCP or ICMP): encodes and sends one probe of a flow at a TTL,
 * matches the answer to it and settles with it; runTrace decides what to probe when. A flow keeps its 5-tuple at every TTL; each probe carries an identity of its own in a field every
 * ICMP error quotes, so that an answer names exactly one probe.
 */
export interface FlowTransport {
  /** UDP and TCP: the source port of each flow, in flow order. */
  readonly sourcePorts?: readonly number[];
  /** Sends one probe; never rejects (null: no answer before the timeout, or cancelled by close()). */
  probe(flow: number, ttl: number): Promise<ProbeOutcome>;
  /** Settles every probe in flight as unanswered and frees the flows' ports and identifiers. Idempotent. */
  close(): void;
}
