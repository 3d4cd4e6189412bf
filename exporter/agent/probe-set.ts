import { Knocker, Pinger, Tracer, type ResponderBudget, type SocketRegistry } from '../../probes';
import { DEFAULT_TRACE_BUDGET } from '../config';
import type { Config } from '../config';
import type { ExporterMetrics } from '../metrics';
import { KnockProber, PingProber, TraceProber } from '../probers';
import type { Prober } from '../scheduler';
import type { StatusStore } from '../status';

/**
 * The diagnostics' libraries and their probers, opened on first need: a config without knock
 * never opens the raw TCP socket (which would see every TCP packet of the host).
 */
export class ProbeSet {
  /** Live list: probers opened by a later `ensure()` are appended. */
  readonly probers: Prober[] = [];
  private pinger: Pinger | undefined;
  private knocker: Knocker | undefined;
  private tracer: Tracer | undefined;

  constructor(
    private readonly sockets: SocketRegistry,
    private readonly metrics: ExporterMetrics,
    /**
     * The routers' ICMP error budget, the agent's: one for the process, outliving generations, shared by
     * every paced trace round of every target, protocol and family (a router limits what it sends this
     * host, whatever the probe). Its limits follow the config's trace_budget.
     */
    private readonly budget: ResponderBudget,
    private readonly status?: StatusStore,
  ) {}

  /** Opens what `config` uses and is not open yet. */
  async ensure(config: Config): Promise<void> {
    this.budget.configure(config.traceBudget ?? DEFAULT_TRACE_BUDGET);
    if (!this.pinger) {
      // Always: a failing raw socket (no CAP_NET_RAW) should fail the start, whatever the config.
      this.pinger = await Pinger.create({ bind: config.bind, sockets: this.sockets });
      this.probers.push(new PingProber(this.pinger, this.metrics, this.status));
    }
    if (!this.knocker && config.targets.some((target) => target.knock)) {
      this.knocker = await Knocker.create({ bind: config.bind, sockets: this.sockets });
      this.probers.push(new KnockProber(this.knocker, this.metrics, this.status));
    }
    if (!this.tracer && config.targets.some((target) => target.trace)) {
      this.tracer = await Tracer.create({ bind: config.bind, sockets: this.sockets, budget: this.budget });
      this.probers.push(new TraceProber(this.tracer, this.metrics, this.status));
    }
  }

  async close(): Promise<void> {
    await this.pinger?.close();
    await this.knocker?.close();
    await this.tracer?.close();
    this.probers.length = 0;
  }
}
