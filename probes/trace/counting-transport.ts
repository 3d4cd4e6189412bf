import type { FlowTransport } from './flow-transport';
import type { ProbeOutcome } from './trace-result';

/** A transport that counts the probes handed to it: a trace's cost, including probes its hops leave out. */
export class CountingTransport implements FlowTransport {
  private count = 0;

  constructor(private readonly inner: FlowTransport) {}

  get sent(): number {
    return this.count;
  }

  /** The inner transport's, read at the end of a trace (flows are added during it). */
  get ports(): readonly number[] | undefined {
    return this.inner.sourcePorts;
  }

  /** The inner transport's (what an MDA round checks its carried flows' ports against). */
  get sourcePorts(): readonly number[] | undefined {
    return this.inner.sourcePorts;
  }

  ensureFlows(count: number): Promise<void> {
    return this.inner.ensureFlows(count);
  }

  probe(flow: number, ttl: number): Promise<ProbeOutcome> {
    this.count++;
    return this.inner.probe(flow, ttl);
  }

  close(): void {
    this.inner.close();
  }
}
