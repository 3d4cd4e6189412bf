import type { Tracer, TraceResult } from '../../probes';
import type { TargetConfig } from '../config';
import type { ExporterMetrics, TraceRound } from '../metrics';
import type { Prober, ProbePlan, ProbeRunner, ProbeSubject } from '../scheduler';
import { seriesAttributes } from './series-attributes';
import { traceErrorReason } from './trace-error-reason';
import { ExporterError } from '../errors';
import { statusTarget, type StatusStore } from '../status';

/** Multipath traceroute for the scheduler: one trace round per run, its hops into the trace metrics. */
export class TraceProber implements Prober {
  readonly name = 'trace' as const;

  constructor(
    private readonly tracer: Tracer,
    private readonly metrics: ExporterMetrics,
    /** The status page's history, fed the same results as the metrics; default none. */
    private readonly status?: StatusStore,
  ) {}

  ticksSkipped(count: number): void {
    this.metrics.ticksSkipped('trace', count);
  }

  plansOf(target: TargetConfig): readonly ProbePlan[] {
    return target.trace ? [{ id: '', interval: target.trace.interval }] : [];
  }

  open(subject: ProbeSubject): ProbeRunner {
    const settings = subject.target.trace;
    if (!settings)
      throw new ExporterError('ERR_INTERNAL', `target ${subject.target.name} does not enable trace`);
    this.metrics.probing(subject.target.name, this.name);
    const series = this.metrics.trace.series(
      { ...seriesAttributes(subject), protocol: settings.protocol },
      settings.maxHopAddresses,
    );
    const feed = this.status?.feed(statusTarget(subject.target), subject.address);
    const abort = new AbortController();
    // Flows keep their source ports from round to round, so a load balancer shows each flow the
    // same branch every time and only a real change of the paths counts as one.
    let sourcePorts: number[] | undefined;
    return {
      run: async () => {
        const started = performance.now();
        try {
          const result = await this.tracer.trace({
            addr: subject.address,
            protocol: settings.protocol,
            ...(settings.protocol !== 'icmp' && { port: settings.port }),
            flows: settings.flows,
            maxHops: settings.maxHops,
            probes: settings.probes,
            timeout: settings.timeout,
            maxSilentHops: settings.maxSilentHops,
            ...(sourcePorts && { sourcePorts }),
            signal: abort.signal,
          });
          if (abort.signal.aborted) return;
          sourcePorts = result.sourcePorts;
          series.record(traceRound(result));
          feed?.trace(result);
          if (!result.reached) this.metrics.probeError(subject.target.name, 'trace', 'unreached');
          if (result.hops.some((hop) => hop.sendFailures > 0))
            this.metrics.probeError(subject.target.name, 'trace', 'send');
          const late = result.hops.reduce((sum, hop) => sum + hop.late, 0);
          if (late > 0) this.metrics.lateReplies('trace', late);
        } catch (error) {
          if (abort.signal.aborted) return;
          const reason = traceErrorReason(error);
          this.metrics.probeError(subject.target.name, 'trace', reason);
          feed?.failed('trace', reason, (error as Error).message);
          series.record({
            hops: [],
            reached: false,
            paths: 0,
            pathSetHash: '',
            duration: (performance.now() - started) / 1000,
          });
        }
      },
      close: () => {
        abort.abort();
        series.remove();
      },
    };
  }
}

/** What the metrics need of a trace result. */
export function traceRound(result: TraceResult): TraceRound {
  return {
    hops: result.hops.map((hop) => ({
      ttl: hop.ttl,
      sent: hop.sent,
      received: hop.received,
      responders: hop.responders.map((responder) => ({ address: responder.address, rtts: responder.rtts })),
    })),
    reached: result.reached,
    ...(result.hopsToDestination !== undefined && { hopsToDestination: result.hopsToDestination }),
    paths: result.paths.length,
    pathSetHash: result.pathSetHash,
    duration: result.duration,
  };
}
