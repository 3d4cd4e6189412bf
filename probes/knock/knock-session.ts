import { randomInt } from 'node:crypto';

import { ProbeError } from '../errors';
import { InflightProbe, InflightSet, type DeadlineList } from '../inflight';
import type { IpFamily } from '../packet';
import {
  reserveTcpPort,
  sourceAddressFor,
  type FamilyBinding,
  type PortReservation,
  type QuotedError,
  type TcpAnswer,
  type TcpExpectation,
  type TcpSocket,
} from '../socket';
import type { KnockResult } from './knock-result';
import { encodeSyn } from './syn-segment';

export interface KnockSessionSpec {
  family: IpFamily;
  /** Canonical address. */
  destination: string;
  port: number;
  timeoutMs: number;
  /** TTL / hop limit of the SYNs; absent or undefined: the system's. */
  ttl?: number | undefined;
}

/** Tries of a fresh random sequence number when one is already pending for the same ports (p = 2^-32 each). */
const SEQUENCE_TRIES = 4;

/**
 * A run of knocks (one SYN each) to one address and port. Every knock leaves from its own local
 * port, reserved with the kernel until the knock settles (bound, never listening: see
 * port-reservation.ts), and carries a random 32-bit initial sequence number. One port per knock
 * rather than per session: two overlapping SYNs of one 4-tuple with different sequence numbers
 * collide in the target's SYN-RECV state (the second gets no SYN-ACK), so knocks that overlap,
 * within a session or across sessions, must differ in the port; the sequence number then rejects
 * stale and forged answers.
 *
 * Nothing is left half-open at the target: the SYN-ACK of an open port reaches a port with no
 * connection, so the local kernel answers it with exactly one RST (verified by the e2e test); we
 * send none of our own.
 */
export class KnockSession {
  /** Knocks in flight: close() cancels them. */
  private readonly inflight: InflightSet;
  private next = 0;
  private closed = false;

  constructor(
    private readonly socket: TcpSocket,
    private readonly binding: FamilyBinding,
    private readonly spec: KnockSessionSpec,
    /** Where the knocks' timeouts wait: one list per duration, shared by the sessions of a Knocker. */
    deadlines: DeadlineList,
  ) {
    this.inflight = new InflightSet(deadlines, () => socket.readNow());
  }

  /** Sends the next SYN; never rejects once the session is open. */
  probe(): Promise<KnockResult> {
    if (this.closed) return Promise.reject(new ProbeError('ERR_CLOSED', 'the knock session is closed'));
    return new Promise((resolve) => this.knock(this.next++, resolve));
  }

  private knock(seq: number, onResult: (result: KnockResult) => void): void {
    const { socket, spec } = this;
    let reservation: PortReservation;
    try {
      reservation = reserveTcpPort(spec.family);
    } catch (error) {
      const message = (error as Error).message;
      onResult({ seq, sourcePort: 0, sequence: 0, rtt: null, failure: { reason: 'send', message } });
      return;
    }
    const knock = new PendingKnock(this.inflight, onResult, spec, socket, seq, reservation);
    let registered = false;
    for (let i = 0; i < SEQUENCE_TRIES && !registered; i++) {
      if (i > 0) knock.sequence = randomInt(0, 0x100000000);
      registered = socket.expect(knock);
    }
    if (!registered) {
      reservation.release();
      onResult({
        seq,
        sourcePort: knock.localPort,
        sequence: knock.sequence,
        rtt: null,
        failure: { reason: 'send', message: 'no free sequence number' },
      });
      return;
    }
    knock.start();
    sourceAddressFor(spec.destination, this.binding).then((source) => {
      // Closed meanwhile: the knock settled, its port went back.
      if (!knock.inflight) return;
      let segment: Buffer;
      try {
        segment = encodeSyn({
          family: spec.family,
          pseudo: { source, destination: spec.destination },
          sourcePort: knock.localPort,
          destinationPort: spec.port,
          sequence: knock.sequence,
        });
      } catch (error) {
        knock.onSendError(error as Error);
        return;
      }
      socket.send(segment, spec.destination, knock.onSent, knock.onSendError, spec.ttl);
    }, knock.onSendError);
  }

  /** Settles every pending knock as timed out (giving their ports back). Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.inflight.cancelAll();
  }
}

/**
 * One SYN in flight: what the TCP socket matches a SYN-ACK, RST or ICMP error against, holding its
 * reserved port until it settles. An ICMP error is an answer like the others: read after the
 * timeout, it is a loss.
 */
class PendingKnock extends InflightProbe<KnockResult, TcpAnswer | QuotedError> implements TcpExpectation {
  /** The SYN's random initial sequence number; redrawn only before the knock is registered. */
  sequence = randomInt(0, 0x100000000);
  readonly localPort: number;

  constructor(
    inflight: InflightSet,
    onResult: (result: KnockResult) => void,
    private readonly spec: KnockSessionSpec,
    private readonly socket: TcpSocket,
    private readonly seq: number,
    private readonly reservation: PortReservation,
  ) {
    super(inflight, onResult);
    this.localPort = reservation.port;
  }

  get remoteAddress(): string {
    return this.spec.destination;
  }

  get remotePort(): number {
    return this.spec.port;
  }

  onAnswer(receivedAt: bigint, answer: TcpAnswer): void {
    this.answered(receivedAt, answer);
  }

  onIcmpError(receivedAt: bigint, error: QuotedError): void {
    this.answered(receivedAt, error);
  }

  protected answerResult(answer: TcpAnswer | QuotedError, rtt: number): KnockResult {
    if (!('kind' in answer)) {
      const { type, code, from } = answer;
      return { ...this.identity(), rtt: null, failure: { reason: 'unreachable', type, code, from } };
    }
    return {
      ...this.identity(),
      rtt,
      state: answer.kind === 'syn-ack' ? 'open' : 'closed',
      flags: answer.flags,
      window: answer.window,
      bytes: answer.bytes,
      ...(answer.ttl !== undefined && { ttl: answer.ttl }),
    };
  }

  protected lateResult(rtt: number): KnockResult {
    return { ...this.identity(), rtt: null, failure: { reason: 'timeout', lateRtt: rtt } };
  }

  protected timeoutResult(): KnockResult {
    return { ...this.identity(), rtt: null, failure: { reason: 'timeout' } };
  }

  protected sendErrorResult(error: Error): KnockResult {
    return { ...this.identity(), rtt: null, failure: { reason: 'send', message: error.message } };
  }

  protected forget(): void {
    this.socket.forget(this);
    this.reservation.release();
  }

  private identity(): Pick<KnockResult, 'seq' | 'sourcePort' | 'sequence'> {
    return { seq: this.seq, sourcePort: this.localPort, sequence: this.sequence };
  }
}
