import type { DeadlineEntry } from './deadline-list';
import type { InflightMember, InflightSet } from './inflight-set';

/** An answer read before the send callback ran: kept until it runs (rare, so allocated only then). */
interface EarlyAnswer<A> {
  readonly receivedAt: bigint;
  readonly answer: A;
}

/**
 * One probe in flight, whatever the diagnostic: the record of when it left and its deadline, which
 * settles exactly once, with its answer, as late (an answer read after the timeout), at the
 * timeout, with a send error, or cancelled, and then forgets its expectation in the socket's probe
 * table. What an answer means, and what the result of each way of settling looks like, is the
 * diagnostic's part: the abstract methods below (one interface, small implementations, as
 * sdk-metrics' aggregators).
 *
 * Life: construct, register the expectation with the socket, start(), send with `onSent` and
 * `onSendError` as the transport's callbacks. The timeout counts from the moment the probe left
 * (`onSent`), not from when it was queued; it waits in the set's DeadlineList, linked in place: no
 * Timeout and no promise per probe. A class rather than closures: ten thousand of these a second
 * are garbage within microseconds, and their size is what the collector pays for.
 *
 * `R` is the result handed to `onResult`; `A` an answer as the socket hands it over.
 */
export abstract class InflightProbe<R, A> implements DeadlineEntry, InflightMember {
  deadline = 0;
  deadlinePrev: DeadlineEntry | null = null;
  deadlineNext: DeadlineEntry | null = null;
  inflightIndex = -1;
  /** The transport's timestamp (hrtime ns, positive) of the send; 0n until the send callback ran. */
  protected sentAt = 0n;
  private early: EarlyAnswer<A> | undefined = undefined;

  constructor(
    private readonly set: InflightSet,
    private readonly onResult: (result: R) => void,
  ) {}

  /** Started and not settled yet. */
  get inflight(): boolean {
    return this.inflightIndex >= 0;
  }

  /** Puts the probe in flight: from now on it settles exactly once. Its expectation is registered. */
  start(): void {
    this.set.add(this);
  }

  /**
   * The transport's send callback: the timeout starts now, or an answer that came first is taken. A
   * second call (a transmit stamp that came after the send returned: the packet waited in the kernel,
   * for address resolution say) moves the send time to when the packet left; the timeout keeps its start.
   */
  readonly onSent = (sentAt: bigint): void => {
    if (this.inflightIndex < 0) return;
    if (this.sentAt !== 0n) {
      if (sentAt > this.sentAt) this.sentAt = sentAt;
      return;
    }
    this.sentAt = sentAt;
    const early = this.early;
    if (early === undefined) {
      this.set.deadlines.add(this);
      return;
    }
    this.early = undefined;
    this.answered(early.receivedAt, early.answer);
  };

  /** The transport's error callback: the probe never left, and settles at once. */
  readonly onSendError = (error: Error): void => {
    if (this.inflightIndex >= 0) this.settle(this.sendErrorResult(error));
  };

  /** The deadline passed (the list has removed the entry). */
  expire(): void {
    // After a busy stretch of the event loop, timers run before the poll phase: read the sockets
    // first, so that an answer already waiting there is not taken for a loss.
    this.set.readNow();
    this.settle(this.timeoutResult());
  }

  /** Settles as unanswered, as the timeout would (the session is closing). */
  cancel(): void {
    this.settle(this.timeoutResult());
  }

  /**
   * An answer read at `receivedAt`. One read after the timeout is a loss, as if the deadline had
   * fired first: it can be read first only when the event loop was stalled (a paused process, a
   * busy loop), and its RTT then measures the stall, not the network. One read before the send
   * callback ran waits for it: only then is the RTT known.
   */
  protected answered(receivedAt: bigint, answer: A): void {
    if (this.inflightIndex < 0) return;
    if (this.sentAt === 0n) {
      this.early ??= { receivedAt, answer: this.keep(answer) };
      return;
    }
    const rtt = Math.max(0, Number(receivedAt - this.sentAt) / 1e9);
    this.settle(
      rtt * 1000 > this.set.deadlines.durationMs ? this.lateResult(rtt) : this.answerResult(answer, rtt),
    );
  }

  /** Settles now with `result` (the first call wins; later ones do nothing). */
  protected settle(result: R): void {
    if (!this.set.remove(this)) return;
    this.set.deadlines.remove(this);
    this.early = undefined;
    this.forget();
    this.onResult(result);
  }

  /**
   * An answer kept past the socket's callback (one read before the send callback ran). Default:
   * the answer itself; a diagnostic whose socket reuses the answer's object copies it here.
   */
  protected keep(answer: A): A {
    return answer;
  }

  /** The result of an answer within the timeout, `rtt` seconds after the send. */
  protected abstract answerResult(answer: A, rtt: number): R;
  /** The result of an answer read `rtt` seconds after the send, past the timeout. */
  protected abstract lateResult(rtt: number): R;
  /** The result of a probe the timeout (or close()) ended without an answer. */
  protected abstract timeoutResult(): R;
  protected abstract sendErrorResult(error: Error): R;
  /** Leaves the socket's probe table (and frees what the probe holds); called once, on settling. */
  protected abstract forget(): void;
}
