import { InflightProbe, type InflightSet } from '../inflight';
import type { IpFamily } from '../packet';
import { kindOfIcmpError, responderAddress } from './answer-kind';
import type { AnswerKind, ProbeOutcome } from './trace-result';

/** What answered a trace probe, before its RTT is known. */
export interface TraceAnswer {
  readonly kind: AnswerKind;
  /** Canonical address of the responder. */
  readonly from: string;
  /** The ICMP type and code, when the answer was an ICMP error. */
  readonly icmp?: { type: number; code: number };
}

/**
 * A trace probe in flight, whatever its protocol: an answer is a hop, the destination or a dead
 * end with its RTT; no answer (timeout, close) is null; an answer past the timeout is late; a send
 * error is a send failure. Each protocol's probe adds what its socket matches answers against.
 */
export abstract class TraceProbe extends InflightProbe<ProbeOutcome, TraceAnswer> {
  /** Resolves once, when the probe settles. */
  readonly settled: Promise<ProbeOutcome>;

  constructor(
    inflight: InflightSet,
    protected readonly target: { readonly family: IpFamily; readonly destination: string },
  ) {
    let resolve!: (outcome: ProbeOutcome) => void;
    const settled = new Promise<ProbeOutcome>((settle) => (resolve = settle));
    super(inflight, resolve);
    this.settled = settled;
  }

  /** An ICMP error that quotes this probe: a hop (time exceeded) or the path's end. */
  answerIcmpError(receivedAt: bigint, error: { type: number; code: number; from: string }): void {
    const { family, destination } = this.target;
    const from = responderAddress(error.from);
    this.answered(receivedAt, {
      kind: kindOfIcmpError(family, error.type, from, destination),
      from,
      icmp: { type: error.type, code: error.code },
    });
  }

  /** The destination's own answer (a SYN-ACK or RST, an echo reply). */
  answerFromDestination(receivedAt: bigint): void {
    this.answered(receivedAt, { kind: 'destination', from: this.target.destination });
  }

  protected answerResult(answer: TraceAnswer, rtt: number): ProbeOutcome {
    const { kind, from, icmp } = answer;
    return icmp === undefined ? { kind, from, rtt } : { kind, from, rtt, icmp };
  }

  protected lateResult(rtt: number): ProbeOutcome {
    return { kind: 'late', rtt };
  }

  protected timeoutResult(): ProbeOutcome {
    return null;
  }

  protected sendErrorResult(error: Error): ProbeOutcome {
    return { kind: 'send-failed', message: error.message };
  }
}
