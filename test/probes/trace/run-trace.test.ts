import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  runTrace,
  summarizeTrace,
  validateTraceRequest,
  type FlowTransport,
  type ProbeOutcome,
  type TraceHop,
  type TraceRequest,
  type TraceResult,
} from '../../../probes/trace';

/** What a simulated network answers to a probe of `flow` at `ttl` (null: nothing). */
type Network = (flow: number, ttl: number, attempt: number) => ProbeOutcome;

/** A FlowTransport over a simulated network: answers on a later turn, records what was asked. */
class FakeFlowTransport implements FlowTransport {
  readonly asked: Array<{ flow: number; ttl: number }> = [];
  readonly attempts = new Map<string, number>();
  private readonly inflightTtls = new Map<number, number>();
  maxTtlsInFlight = 0;
  closed = 0;

  constructor(private readonly network: Network) {}

  ensureFlows(): Promise<void> {
    return Promise.resolve();
  }

  probe(flow: number, ttl: number): Promise<ProbeOutcome> {
    this.asked.push({ flow, ttl });
    const key = `${flow}/${ttl}`;
    const attempt = this.attempts.get(key) ?? 0;
    this.attempts.set(key, attempt + 1);
    this.inflightTtls.set(ttl, (this.inflightTtls.get(ttl) ?? 0) + 1);
    this.maxTtlsInFlight = Math.max(this.maxTtlsInFlight, this.inflightTtls.size);
    return new Promise((resolve) =>
      setTimeout(() => {
        const left = this.inflightTtls.get(ttl)! - 1;
        if (left === 0) this.inflightTtls.delete(ttl);
        else this.inflightTtls.set(ttl, left);
        resolve(this.network(flow, ttl, attempt));
      }, ttl % 3),
    );
  }

  close(): void {
    this.closed++;
  }
}

const hop = (from: string, rtt = 0.001): ProbeOutcome => ({ kind: 'hop', from, rtt });
const destination = (from: string, rtt = 0.002): ProbeOutcome => ({ kind: 'destination', from, rtt });

/** client — r1 — {r2a | r2b by flow parity} — r3 — target, with an optional override per hop. */
function ecmp(split: (flow: number) => 'a' | 'b' = (flow) => (flow % 2 === 0 ? 'a' : 'b')): Network {
  return (flow, ttl) => {
    const branch = split(flow);
    switch (ttl) {
      case 1:
        return hop('10.0.1.2');
      case 2:
        return hop(branch === 'a' ? '10.0.2.2' : '10.0.3.2');
      case 3:
        return hop(branch === 'a' ? '10.0.4.2' : '10.0.5.2');
      default:
        return destination('10.0.7.2');
    }
  };
}

async function trace(
  network: Network,
  request: Partial<TraceRequest> = {},
): Promise<{ result: TraceResult; transport: FakeFlowTransport }> {
  // runTrace runs fixed flows: 8 of them unless the test asks otherwise (a request without flows is the MDA's).
  const spec = validateTraceRequest({ addr: '10.0.7.2', flows: 8, ...request });
  const transport = new FakeFlowTransport(network);
  const hops: TraceHop[] = [];
  for await (const h of runTrace(transport, spec, request.signal)) hops.push(h);
  return { result: summarizeTrace(spec, hops, 0), transport };
}

const addresses = (h: TraceHop): string[] => h.responders.map((r) => r.address);

describe('runTrace and the trace summary (simulated network)', () => {
  it('finds every hop and both branches, each flow on one path, and stops at the destination', async () => {
    const { result, transport } = await trace(ecmp());
    assert.deepEqual(result.hops.map(addresses), [
      ['10.0.1.2'],
      ['10.0.2.2', '10.0.3.2'],
      ['10.0.4.2', '10.0.5.2'],
      ['10.0.7.2'],
    ]);
    assert.deepEqual(
      result.hops[1]!.responders.map((r) => r.flows),
      [
        [0, 2, 4, 6],
        [1, 3, 5, 7],
      ],
    );
    assert.deepEqual(
      result.hops[1]!.responders.map((r) => r.rtts.length),
      [12, 12],
    );
    assert.equal(result.reached, true);
    assert.equal(result.hopsToDestination, 4);
    assert.equal(result.paths.length, 2);
    assert.deepEqual(result.flows[1]!.hops, ['10.0.1.2', '10.0.3.2', '10.0.5.2', '10.0.7.2']);
    assert.deepEqual(
      result.hops.map((h) => [h.sent, h.received, h.loss]),
      Array(4).fill([24, 24, 0]),
    );
    assert.equal(result.hops[3]!.responders[0]!.kind, 'destination');
    assert.equal(transport.closed, 1);
    // Pipelined hops beyond the destination were probed but are not part of the result.
    assert.ok(transport.asked.some(({ ttl }) => ttl > 4));
  });

  it('counts refused sends as lost in their hop, and a refused send does not end its flow', async () => {
    const base = ecmp();
    const refused: ProbeOutcome = { kind: 'send-failed', message: 'No buffer space available' };
    // the first attempt of every flow at TTL 2 is refused (a full queue), flow 0 at TTL 3 wholly
    const { result } = await trace((flow, ttl, attempt) =>
      (ttl === 2 && attempt === 0) || (ttl === 3 && flow === 0) ? refused : base(flow, ttl, attempt),
    );
    assert.deepEqual(
      result.hops.map((h) => [h.sent, h.received, h.sendFailures, h.loss]),
      [
        [24, 24, 0, 0],
        [24, 16, 8, 8 / 24],
        [24, 21, 3, 3 / 24],
        [24, 24, 0, 0],
      ],
    );
    assert.deepEqual(addresses(result.hops[1]!), ['10.0.2.2', '10.0.3.2']);
    assert.equal(result.reached, true);
    assert.deepEqual(result.flows[0]!.hops, ['10.0.1.2', '10.0.2.2', null, '10.0.7.2']);
  });

  it('gives the same path set hash whichever flow took which branch, and another after a route change', async () => {
    const first = (await trace(ecmp())).result;
    const swapped = (await trace(ecmp((flow) => (flow < 3 ? 'a' : 'b')))).result;
    assert.notDeepEqual(
      first.flows.map((f) => f.hash),
      swapped.flows.map((f) => f.hash),
    );
    assert.equal(swapped.pathSetHash, first.pathSetHash);
    const oneBranch = (await trace(ecmp(() => 'a'))).result;
    assert.equal(oneBranch.paths.length, 1);
    assert.notEqual(oneBranch.pathSetHash, first.pathSetHash);
    assert.deepEqual(oneBranch.paths[0]!.flows, [0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('reports a silent hop with loss 1 and goes on past it', async () => {
    const network = ecmp();
    const { result } = await trace((flow, ttl, attempt) => (ttl === 3 ? null : network(flow, ttl, attempt)));
    assert.deepEqual(
      result.hops.map((h) => h.loss),
      [0, 0, 1, 0],
    );
    assert.equal(result.reached, true);
    assert.deepEqual(result.flows[0]!.hops, ['10.0.1.2', '10.0.2.2', null, '10.0.7.2']);
  });

  it('counts a lost probe in the loss of its hop', async () => {
    const network = ecmp();
    const { result } = await trace((flow, ttl, attempt) =>
      ttl === 2 && flow === 5 && attempt === 1 ? null : network(flow, ttl, attempt),
    );
    assert.equal(result.hops[1]!.loss, 1 / 24);
    assert.equal(result.flows[5]!.hops[1], '10.0.3.2', 'two answers of three still name the hop of the flow');
  });

  it(`stops after maxSilentHops silent hops in a row when the destination never answers`, async () => {
    const { result, transport } = await trace((_flow, ttl) => (ttl <= 2 ? hop(`10.0.${ttl}.2`) : null), {
      maxSilentHops: 4,
      flows: 2,
      probes: 1,
    });
    assert.equal(result.hops.length, 6);
    assert.equal(result.reached, false);
    assert.equal(result.hopsToDestination, undefined);
    assert.deepEqual(result.flows[0]!.hops, ['10.0.1.2', '10.0.2.2', null, null, null, null]);
    assert.ok(
      transport.asked.every(({ ttl }) => ttl <= 6 + 6),
      'no more than a window beyond the last hop',
    );
  });

  it('keeps at most parallelHops TTLs in flight and stops at maxHops', async () => {
    const { result, transport } = await trace((_flow, ttl) => hop(`10.1.${ttl}.1`), {
      parallelHops: 3,
      maxHops: 12,
      maxSilentHops: 20,
    });
    assert.equal(result.hops.length, 12);
    assert.equal(transport.maxTtlsInFlight, 3);
    assert.equal(Math.max(...transport.asked.map(({ ttl }) => ttl)), 12);
  });

  it('follows flows of unequal length: a hop counts only the flows still on their way', async () => {
    // Even flows reach the destination at TTL 3, odd ones at TTL 4.
    const { result } = await trace((flow, ttl) =>
      ttl === 1
        ? hop('10.0.1.2')
        : ttl === 2
          ? hop('10.0.2.2')
          : flow % 2 === 0 || ttl === 4
            ? destination('10.0.7.2')
            : hop('10.0.9.2'),
    );
    assert.equal(result.hopsToDestination, 3);
    assert.equal(result.hops.length, 4);
    assert.deepEqual([result.hops[3]!.sent, result.hops[3]!.received], [12, 12]);
    assert.deepEqual(
      result.hops[2]!.responders.map((r) => [r.address, r.kind, r.flows.length]),
      [
        ['10.0.7.2', 'destination', 4],
        ['10.0.9.2', 'hop', 4],
      ],
    );
    assert.deepEqual(result.flows[0]!.hops, ['10.0.1.2', '10.0.2.2', '10.0.7.2']);
    assert.deepEqual(result.flows[1]!.hops, ['10.0.1.2', '10.0.2.2', '10.0.9.2', '10.0.7.2']);
    assert.equal(result.paths.length, 2);
  });

  it('ends a flow at an ICMP unreachable from a router: not reached', async () => {
    const { result } = await trace((_flow, ttl) =>
      ttl === 1
        ? hop('10.0.1.2')
        : { kind: 'unreachable', from: '10.0.1.2', rtt: 0.001, icmp: { type: 3, code: 0 } },
    );
    assert.equal(result.hops.length, 2);
    assert.equal(result.reached, false);
    assert.deepEqual(result.hops[1]!.responders[0]!.icmp, { type: 3, code: 0 });
  });

  it('stops on abort and closes the transport', async () => {
    const controller = new AbortController();
    const spec = validateTraceRequest({ addr: '10.0.7.2', timeout: 1 });
    const transport = new FakeFlowTransport((_flow, ttl) => hop(`10.1.${ttl}.1`));
    const hops: TraceHop[] = [];
    for await (const h of runTrace(transport, spec, controller.signal)) {
      hops.push(h);
      if (h.ttl === 2) controller.abort();
    }
    assert.equal(hops.length, 2);
    assert.equal(transport.closed, 1);
  });

  it('validates its options', () => {
    const bad: Array<Partial<TraceRequest>> = [
      { addr: 'example.com' },
      { flows: 0 },
      { flows: 257 },
      { maxHops: 256 },
      { firstHop: 31 },
      { probes: 0 },
      { timeout: 0 },
      { port: 0 },
      { protocol: 'sctp' as 'udp' },
      { confidence: 0.4 },
      { confidence: 1 },
      { maxFlows: 0 },
      { maxFlows: 1025 },
      { flows: 8, confidence: 0.9 },
      { flows: 8, maxFlows: 64 },
      { pathLength: 0 },
    ];
    for (const options of bad) {
      assert.throws(
        () => validateTraceRequest({ addr: '10.0.7.2', ...options }),
        /ERR_|expected|not an IP/,
        JSON.stringify(options),
      );
    }
    const spec = validateTraceRequest({ addr: 'FD00::0:7:2', protocol: 'tcp' });
    assert.deepEqual(
      [spec.destination, spec.family, spec.port, spec.flows, spec.mda, spec.maxHops],
      ['fd00::7:2', 6, 443, 128, { confidence: 0.95 }, 30],
    );
    const fixed = validateTraceRequest({ addr: '10.0.7.2', flows: 8 });
    assert.deepEqual([fixed.flows, fixed.probes, fixed.mda], [8, 3, undefined]);
    assert.equal(validateTraceRequest({ addr: '10.0.7.2' }).port, 33434);
  });
});
