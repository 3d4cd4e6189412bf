import type { ProbeOutcome } from './trace-result';

/**
 * The protocol side of a trace (UDP, TCP or ICMP): encodes and sends one probe of a flow at a TTL,
 * matches the answer to it and settles with it; runTrace decides what to probe when. A flow keeps its 5-tuple at every TTL; each probe carries an identity of its own in a field every
 * ICMP error quotes, so that an answer names exactly one probe.
 */
export interface FlowTransport {
  /** UDP and TCP: the source port of each flow, in flow order. */
  readonly sourcePorts?: readonly number[] | undefined;
  /**
   * Makes flows 0 … count − 1 ready to probe (the MDA adds flows as it needs them); flows keep their
   * numbers, and flow i takes the request's `sourcePorts[i]` when it can. Rejects when a port or an
   * identifier cannot be had (ERR_PORT_RESERVATION, ERR_IDENTIFIERS_EXHAUSTED).
   */
  ensureFlows(count: number): Promise<void>;
  /** Sends one probe; never rejects (null: no answer before the timeout, or cancelled by close()). */
  probe(flow: number, ttl: number): Promise<ProbeOutcome>;
  /** Settles every probe in flight as unanswered and frees the flows' ports and identifiers. Idempotent. */
  close(): void;
}

/**
 * Gives a just-opened transport its first `count` flows with `addFlows`, and closes it if they cannot
 * be had: the caller then gets the error and nothing to close.
 */
export function withFirstFlows<T extends Pick<FlowTransport, 'close'>>(
  transport: T,
  addFlows: (count: number) => void,
  count: number,
): T {
  try {
    addFlows(count);
  } catch (error) {
    transport.close();
    throw error;
  }
  return transport;
}

/** ensureFlows for transports whose flows are made synchronously: a throw becomes the rejection. */
export function addFlowsNow(addFlows: (count: number) => void, count: number): Promise<void> {
  try {
    addFlows(count);
    return Promise.resolve();
  } catch (error) {
    return Promise.reject(error as Error);
  }
}
