import type { KnockResult, PingFailure, PingResult, TraceResult } from '../../probes';
import type { StatusStore } from './status-store';
import type { ProbeKind, TargetStatus } from './target-status';
import { TraceView, type TraceJudgement } from './trace-view';

/**
 * The results of one address of one target, into the status store. Holds its TargetStatus, so a
 * result costs no lookup; once the config drops the target (`removed`), late results are ignored
 * rather than bringing it back.
 */
export class TargetFeed {
  constructor(
    private readonly store: StatusStore,
    private readonly status: TargetStatus,
    private readonly address: string,
  ) {}

  ping(result: PingResult): void {
    const { status } = this;
    if (status.removed) return;
    const history = (status.ping ??= this.store.newHistory('ping'));
    const now = this.store.now();
    history?.add(now, result.rtt);
    if (result.failure && result.failure.reason !== 'timeout') this.error(now, 'ping', result.failure);
  }

  knock(port: number, result: KnockResult): void {
    const { status } = this;
    if (status.removed) return;
    let history = status.knock.get(port);
    if (!history) {
      history = this.store.newHistory('knock');
      if (history) status.knock.set(port, history);
    }
    const now = this.store.now();
    history?.add(now, result.rtt, result.state === 'open');
    if (result.failure && result.failure.reason !== 'timeout') this.error(now, 'knock', result.failure);
  }

  trace(result: TraceResult, judged?: TraceJudgement): void {
    const { status, address } = this;
    if (status.removed) return;
    const now = this.store.now();
    (status.trace ??= new TraceView(this.store.limits.pathChanges)).record(now, address, result, judged);
    if (!result.reached)
      status.errors.push({
        time: now,
        probe: 'trace',
        address,
        reason: 'unreached',
        message: `the destination did not answer within ${result.hops.length} hops`,
      });
  }

  /** A probe that failed without a result (a trace round that threw, say). */
  failed(probe: ProbeKind, reason: string, message: string): void {
    const { status, address } = this;
    if (status.removed) return;
    const now = this.store.now();
    if (probe === 'trace')
      (status.trace ??= new TraceView(this.store.limits.pathChanges)).recordFailure(now, address);
    status.errors.push({ time: now, probe, address, reason, message });
  }

  private error(time: number, probe: ProbeKind, failure: PingFailure): void {
    this.status.errors.push({ time, probe, address: this.address, ...describe(failure) });
  }
}

function describe(failure: PingFailure): { reason: string; message: string } {
  switch (failure.reason) {
    case 'unreachable':
      return {
        reason: 'unreachable',
        message: `ICMP type ${failure.type} code ${failure.code} from ${failure.from}`,
      };
    case 'send':
      return { reason: 'send', message: failure.message };
    case 'timeout':
      return { reason: 'timeout', message: 'no answer within the timeout' };
  }
}
