import type { ProbeOutcome } from './trace-result';

/**
 * The protocol side of a trace: sends one probe of a flow at a TTL and settles with its answer.
 * A flow keeps its 5-tuple at every TTL; each probe carries an identity of its own in a field every
 * ICMP error quotes, so that an answer names exactly one probe.
 */
export interface FlowProber {
  /** UDP and TCP: the source port of each flow, in flow order. */
  readonly sourcePorts?: readonly number[];
  /** Sends one probe; never rejects (null: no answer before the timeout, or the send failed). */
  probe(flow: number, ttl: number): Promise<ProbeOutcome>;
  /** Settles every probe in flight as unanswered and frees the flows' ports and identifiers. Idempotent. */
  close(): void;
}
