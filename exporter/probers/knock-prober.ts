import { probesInFlight, type Knocker, type KnockResult } from '../../probes';
import type { TargetConfig } from '../config';
import type { ExporterMetrics } from '../metrics';
import type { Prober, ProbePlan, ProbeRunner, ProbeSubject } from '../scheduler';
import { seriesAttributes } from './series-attributes';
import { ExporterError } from '../errors';
import { OverlappingRuns } from './overlapping-runs';
import { statusTarget, type StatusStore } from '../status';

/** TCP SYN knocks for the scheduler: one plan per knocked port, one SYN per run. */
export class KnockProber implements Prober {
  readonly name = 'knock' as const;

  constructor(
    private readonly knocker: Knocker,
    private readonly metrics: ExporterMetrics,
    /** The status page's history, fed the same results as the metrics; default none. */
    private readonly status?: StatusStore,
  ) {}

  ticksSkipped(count: number): void {
    this.metrics.ticksSkipped('knock', count);
  }

  plansOf(target: TargetConfig): readonly ProbePlan[] {
    return (target.knock ?? []).map((knock) => ({ id: String(knock.port), interval: knock.interval }));
  }

  open(subject: ProbeSubject, plan: ProbePlan): ProbeRunner {
    const settings = subject.target.knock?.find((knock) => String(knock.port) === plan.id);
    if (!settings)
      throw new ExporterError('ERR_INTERNAL', `target ${subject.target.name} does not knock port ${plan.id}`);
    this.metrics.probing(subject.target.name, this.name);
    const session = this.knocker.session({
      addr: subject.address,
      port: settings.port,
      timeout: settings.timeout,
    });
    const series = this.metrics.knock.series(
      { ...seriesAttributes(subject), port: plan.id },
      settings.window,
      settings.interval,
    );
    const feed = this.status?.feed(statusTarget(subject.target), subject.address);
    // Up to ⌈timeout / interval⌉ knocks in flight, recorded in the order sent (OverlappingRuns).
    const runs = new OverlappingRuns<KnockResult>(
      probesInFlight(settings.timeout, settings.interval),
      (result) => {
        series.record(result);
        feed?.knock(settings.port, result);
      },
    );
    const send = (onResult: (result: KnockResult) => void): void => void session.probe().then(onResult);
    return {
      run: () => new Promise((resolve) => runs.start(send, resolve)),
      start: (done) => runs.start(send, done),
      close: () => {
        session.close();
        series.remove();
      },
    };
  }
}
