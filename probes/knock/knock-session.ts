import { randomInt } from 'node:crypto';

import { ProbeError } from '../errors';
import type { IpFamily } from '../packet';
import {
  reserveTcpPort,
  sourceAddressFor,
  type FamilyBinding,
  type PortReservation,
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
  /** TTL / hop limit of the SYNs; default the system's. */
  ttl?: number;
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
  private readonly inflight = new Set<() => void>();
  private next = 0;
  private closed = false;

  constructor(
    private readonly socket: TcpSocket,
    private readonly binding: FamilyBinding,
    private readonly spec: KnockSessionSpec,
  ) {}

  /** Sends the next SYN; never rejects once the session is open. */
  probe(): Promise<KnockResult> {
    if (this.closed) return Promise.reject(new ProbeError('ERR_CLOSED', 'the knock session is closed'));
    const seq = this.next++;
    const { socket, spec } = this;
    return new Promise<KnockResult>((resolve) => {
      let reservation: PortReservation;
      try {
        reservation = reserveTcpPort(spec.family);
      } catch (error) {
        const message = (error as Error).message;
        resolve({ seq, sourcePort: 0, sequence: 0, rtt: null, failure: { reason: 'send', message } });
        return;
      }
      const sourcePort = reservation.port;
      let sequence = randomInt(0, 0x100000000);
      let sentAt = 0n;
      let timer: NodeJS.Timeout | undefined;
      const base = (): Pick<KnockResult, 'seq' | 'sourcePort' | 'sequence'> => ({
        seq,
        sourcePort,
        sequence,
      });
      const settle = (value: KnockResult): void => {
        if (!this.inflight.delete(cancel)) return;
        clearTimeout(timer);
        socket.forget(expectation);
        reservation.release();
        resolve(value);
      };
      const cancel = (): void => settle({ ...base(), rtt: null, failure: { reason: 'timeout' } });
      // After a busy stretch of the event loop timers run before the poll phase: read the socket
      // first, so that an answer already waiting there is not taken for a loss.
      const expire = (): void => {
        socket.readNow();
        cancel();
      };
      // An answer read after the timeout is a loss, as if the timer had fired first: it can be read
      // first only when the event loop was stalled (a paused process, a busy loop), and its RTT then
      // measures the stall, not the network. Settles it so; true when it did.
      const settledLate = (receivedAt: bigint): boolean => {
        const rtt = Number(receivedAt - sentAt) / 1e9;
        if (rtt * 1000 <= spec.timeoutMs) return false;
        settle({ ...base(), rtt: null, failure: { reason: 'timeout', lateRtt: rtt } });
        return true;
      };
      const expectation: TcpExpectation = {
        remoteAddress: spec.destination,
        remotePort: spec.port,
        localPort: sourcePort,
        get sequence() {
          return sequence;
        },
        onAnswer: (receivedAt, answer) => {
          if (settledLate(receivedAt)) return;
          settle({
            ...base(),
            rtt: Number(receivedAt - sentAt) / 1e9,
            state: answer.kind === 'syn-ack' ? 'open' : 'closed',
            flags: answer.flags,
            window: answer.window,
            bytes: answer.bytes,
            ...(answer.ttl !== undefined && { ttl: answer.ttl }),
          });
        },
        onIcmpError: (receivedAt, error) => {
          if (settledLate(receivedAt)) return;
          settle({
            ...base(),
            rtt: null,
            failure: { reason: 'unreachable', type: error.type, code: error.code, from: error.from },
          });
        },
      };
      let registered = false;
      for (let i = 0; i < SEQUENCE_TRIES && !registered; i++) {
        if (i > 0) sequence = randomInt(0, 0x100000000);
        registered = socket.expect(expectation);
      }
      if (!registered) {
        reservation.release();
        resolve({ ...base(), rtt: null, failure: { reason: 'send', message: 'no free sequence number' } });
        return;
      }
      this.inflight.add(cancel);
      const fail = (error: Error): void =>
        settle({ ...base(), rtt: null, failure: { reason: 'send', message: error.message } });
      sourceAddressFor(spec.destination, this.binding).then((source) => {
        if (!this.inflight.has(cancel)) return;
        let segment: Buffer;
        try {
          segment = encodeSyn({
            family: spec.family,
            pseudo: { source, destination: spec.destination },
            sourcePort,
            destinationPort: spec.port,
            sequence,
          });
        } catch (error) {
          fail(error as Error);
          return;
        }
        socket.send(
          segment,
          spec.destination,
          (at) => {
            // The timeout counts from the moment the SYN leaves, not from when it was queued.
            sentAt = at;
            timer = setTimeout(expire, spec.timeoutMs);
          },
          fail,
          spec.ttl,
        );
      }, fail);
    });
  }

  /** Settles every pending knock as timed out (giving their ports back). Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const cancel of [...this.inflight]) cancel();
  }
}
