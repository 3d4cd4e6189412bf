import { probesInFlight, type EchoSession, type Pinger, type PingResult } from '../../probes';
import type { TargetConfig } from '../config';
import type { ExporterMetrics, PingSeries } from '../metrics';
import type { Prober, ProbePlan, ProbeRunner, ProbeSubject } from '../scheduler';
import { seriesAttributes } from './series-attributes';
import { ExporterError } from '../errors';
import { OverlappingRuns } from './overlapping-runs';
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
      probesInFlight(settings.timeout, settings.interval),
      feed ? (result) => feed.ping(result) : noop,
    );
  }
}

/** One (target, address): a request per run, up to ⌈timeout / interval⌉ in flight (OverlappingRuns). */
class PingRunner implements ProbeRunner {
  private readonly runs: OverlappingRuns<PingResult>;

  constructor(
    private readonly session: EchoSession,
    private readonly series: PingSeries,
    maxInFlight: number,
    toStatus: (result: PingResult) => void,
  ) {
    this.runs = new OverlappingRuns(maxInFlight, (result) => {
      this.series.record(result);
      toStatus(result);
    });
  }

  start(done: () => void): void {
    this.runs.start(this.send, done);
  }

  run(): Promise<void> {
    return new Promise((resolve) => this.start(resolve));
  }

  close(): void {
    // Series first: the probes the session settles as it closes are not losses.
    this.series.remove();
    this.session.close();
  }

  private readonly send = (onResult: (result: PingResult) => void): void => this.session.probeWith(onResult);
}

function noop(): void {}
