import type { Pinger, PingResult } from '../../probes';
import type { TargetConfig } from '../config';
import type { ExporterMetrics } from '../metrics';
import type { Prober, ProbePlan, ProbeRunner, ProbeSubject } from '../scheduler';
import { seriesAttributes } from './series-attributes';

/** ICMP echo for the scheduler: one request per run, recorded in the ping metrics. */
export class PingProber implements Prober {
  readonly name = 'ping' as const;

  constructor(
    private readonly pinger: Pinger,
    private readonly metrics: ExporterMetrics,
  ) {}

  plansOf(target: TargetConfig): readonly ProbePlan[] {
    return target.ping ? [{ id: '', interval: target.ping.interval }] : [];
  }

  open(subject: ProbeSubject): ProbeRunner {
    const settings = subject.target.ping;
    if (!settings) throw new Error(`target ${subject.target.name} does not enable ping`);
    const session = this.pinger.session({
      addr: subject.address,
      timeout: settings.timeout,
      size: settings.size,
    });
    const series = this.metrics.pingSeries(seriesAttributes(subject), settings.window);
    const record = (result: PingResult): void => series.record(result);
    return {
      run: () => session.probe().then(record),
      close: () => {
        session.close();
        series.remove();
      },
    };
  }
}
