import type { IpFamily } from '../packet';
import { kindOfIcmpError, responderAddress } from './answer-kind';
import type { AnswerKind, ProbeOutcome } from './trace-result';

/**
 * One probe in flight: settles once, with its answer, at its timeout (counted from the moment it
 * left, not from when it was queued), on a send error, or when cancelled. An answer read after the
 * timeout settles it as late: unanswered.
 */
export class InflightProbe {
  readonly settled: Promise<ProbeOutcome>;
  private resolve!: (outcome: ProbeOutcome) => void;
  private sentAt = 0n;
  private timer: NodeJS.Timeout | undefined;
  private done = false;
  /** An answer read before the send callback ran (the socket is read right after sendto). */
  private early: (() => void) | undefined;

  constructor(
    private readonly timeoutMs: number,
    /** Reads the socket the answer would arrive on, so that an answer waiting there is not taken for a loss. */
    private readonly readNow: () => void,
    /** Called once when the probe settles, whatever the way (forget the expectation...). */
    private readonly cleanup: () => void,
  ) {
    this.settled = new Promise((resolve) => (this.resolve = resolve));
  }

  readonly onSent = (at: bigint): void => {
    if (this.done) return;
    this.sentAt = at;
    this.timer = setTimeout(this.expire, this.timeoutMs);
    this.early?.();
  };

  readonly onSendError = (error: Error): void => this.settle({ kind: 'send-failed', message: error.message });

  /** Settles with an ICMP error that quotes this probe: a hop (time exceeded) or the path's end. */
  answerIcmpError(
    receivedAt: bigint,
    spec: { family: IpFamily; destination: string },
    error: { type: number; code: number; from: string },
  ): void {
    const from = responderAddress(error.from);
    this.answer(receivedAt, kindOfIcmpError(spec.family, error.type, from, spec.destination), from, {
      type: error.type,
      code: error.code,
    });
  }

  answer(receivedAt: bigint, kind: AnswerKind, from: string, icmp?: { type: number; code: number }): void {
    if (this.done) return;
    if (this.sentAt === 0n) {
      this.early = () => this.answer(receivedAt, kind, from, icmp);
      return;
    }
    const rtt = Math.max(0, Number(receivedAt - this.sentAt) / 1e9);
    // An answer read after the timeout is a loss, as if the timer had fired first: it can be read
    // first only when the event loop was stalled (a paused process, a busy loop), and its RTT then
    // measures the stall, not the network.
    if (rtt * 1000 > this.timeoutMs) this.settle({ kind: 'late', rtt });
    else this.settle({ kind, from, rtt, ...(icmp && { icmp }) });
  }

  cancel(): void {
    this.settle(null);
  }

  private readonly expire = (): void => {
    this.readNow();
    this.settle(null);
  };

  private settle(outcome: ProbeOutcome): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.timer);
    this.cleanup();
    this.resolve(outcome);
  }
}

/** The probes of a prober still in flight, cancelled together when it closes. */
export class InflightSet {
  private readonly probes = new Set<InflightProbe>();

  track(probe: InflightProbe): Promise<ProbeOutcome> {
    this.probes.add(probe);
    return probe.settled.finally(() => this.probes.delete(probe));
  }

  cancelAll(): void {
    for (const probe of [...this.probes]) probe.cancel();
  }
}
