import type { Knocker } from '../../probes';
import type { TargetConfig } from '../config';
import type { ExporterMetrics } from '../metrics';
import type { Prober, ProbePlan, ProbeRunner, ProbeSubject } from '../scheduler';
import { seriesAttributes } from './series-attributes';
import { ExporterError } from '../errors';
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
    return {
      run: async () => {
        const result = await session.probe();
        series.record(result);
        feed?.knock(settings.port, result);
      },
      close: () => {
        session.close();
        series.remove();
      },
    };
  }
}
