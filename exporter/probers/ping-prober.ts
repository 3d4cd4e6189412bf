import type { EchoSession, Pinger, PingResult } from '../../probes';
import type { TargetConfig } from '../config';
import type { ExporterMetrics, PingSeries } from '../metrics';
import type { Prober, ProbePlan, ProbeRunner, ProbeSubject } from '../scheduler';
import { seriesAttributes } from './series-attributes';
import { ExporterError } from '../errors';
import { statusTarget, type StatusStore } from '../status';

/** ICMP echo for the scheduler: one request per run, recorded in the ping metrics. */
export class PingProber implements Prober {
  readonly name = 'ping' as const;

  constructor(
    private readonly pinger: Pinger,
    private readonly metrics: ExporterMetrics,
    /** The status page's history, fed the same results as the metrics; default none. */
    private readonly status?: StatusStore,
  ) {}

  ticksSkipped(count: number): void {
    this.metrics.ticksSkipped('ping', count);
  }

  plansOf(target: TargetConfig): readonly ProbePlan[] {
    return target.ping ? [{ id: '', interval: target.ping.interval }] : [];
  }

  open(subject: ProbeSubject): ProbeRunner {
    const settings = subject.target.ping;
    if (!settings)
      throw new ExporterError('ERR_INTERNAL', `target ${subject.target.name} does not enable ping`);
    this.metrics.probing(subject.target.name, this.name);
    const session = this.pinger.session({
      addr: subject.address,
      timeout: settings.timeout,
      size: settings.size,
    });
    const feed = this.status?.feed(statusTarget(subject.target), subject.address);
    return new PingRunner(
      session,
      this.metrics.pingSeries(seriesAttributes(subject), settings.window, settings.interval),
      feed ? (result) => feed.ping(result) : noop,
    );
  }
}

class PingRunner implements ProbeRunner {
  private done: () => void = noop;

  constructor(
    private readonly session: EchoSession,
    private readonly series: PingSeries,
    private readonly toStatus: (result: PingResult) => void,
  ) {}

  start(done: () => void): void {
    this.done = done;
    this.session.probeWith(this.onResult);
  }

  run(): Promise<void> {
    return new Promise((resolve) => this.start(resolve));
  }

  close(): void {
    // Series first: the probes the session settles as it closes are not losses.
    this.series.remove();
    this.session.close();
  }

  private readonly onResult = (result: PingResult): void => {
    const { done } = this;
    this.done = noop;
    try {
      this.series.record(result);
      this.toStatus(result);
    } finally {
      done();
    }
  };
}

function noop(): void {}
