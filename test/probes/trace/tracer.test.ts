// The Tracer's probes in flight wait on one deadline list: one timer, whatever their number.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { SocketRegistry, Tracer, type TraceHop } from '../../../probes';
import { IpProtocol } from '../../../probes/packet';
import { fakeFactory } from '../../support/fake-transport';

const timers = (): number => process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length;

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}

describe('Tracer: probes in flight', () => {
  it('waits for 36 unanswered probes with one timer, not one each, and stops them all on abort', async () => {
    const factory = fakeFactory();
    const tracer = await Tracer.create({ sockets: new SocketRegistry(factory) });
    const controller = new AbortController();
    const before = timers();
    const hops = tracer.traceHops({
      addr: '127.0.0.1',
      flows: 6,
      probes: 2,
      parallelHops: 3,
      timeout: 60,
      signal: controller.signal,
    });
    const first: Promise<IteratorResult<TraceHop, void>> = hops.next();
    await until(() => (factory.opened.find((t) => t.protocol === IpProtocol.Udp)?.sent.length ?? 0) === 36);
    assert.equal(timers() - before, 1, 'one timer for the 36 deadlines');
    controller.abort();
    assert.equal((await first).done, true);
    const udp = factory.opened.find((t) => t.protocol === IpProtocol.Udp)!;
    assert.equal(udp.closed, true, 'the trace released its socket: nothing left in flight');
    await tracer.close();
  });
});
