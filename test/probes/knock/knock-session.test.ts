// KnockSession's probes in flight: an answer before the send callback, one timer for all, close().
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { Knocker, SocketRegistry, type KnockResult } from '../../../probes';
import { IpProtocol, TcpFlag, tcpSegment } from '../../../probes/packet';
import { fakeFactory, type FakeTransport } from '../../support/fake-transport';
import { ipv4Packet } from '../../support/packets';

const TARGET = '127.0.0.1';
const PORT = 443;

/** The target's SYN-ACK to `syn` (a TCP segment as sent: no IP header). */
function synAckTo(syn: Buffer): Buffer {
  const segment = tcpSegment.decode(syn);
  const synAck = tcpSegment.encode({
    pseudo: { source: TARGET, destination: TARGET },
    sourcePort: PORT,
    destinationPort: segment.sourcePort,
    sequence: 7,
    acknowledgment: (segment.sequence + 1) >>> 0,
    flags: TcpFlag.SYN | TcpFlag.ACK,
    window: 100,
  });
  return ipv4Packet(TARGET, TARGET, IpProtocol.Tcp, synAck, 64);
}

const timers = (): number => process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length;

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}

async function knockerOnFakes(): Promise<{ knocker: Knocker; tcp: FakeTransport }> {
  const factory = fakeFactory();
  const knocker = await Knocker.create({ sockets: new SocketRegistry(factory) });
  return { knocker, tcp: factory.opened.find((t) => t.protocol === IpProtocol.Tcp)! };
}

describe('KnockSession: knocks in flight', () => {
  it('takes a SYN-ACK read before the send callback ran as in time, its RTT counted from the send', async () => {
    const { knocker, tcp } = await knockerOnFakes();
    tcp.send = (packet, destination, onSent) => {
      tcp.sent.push({ packet: Buffer.from(packet), destination, hopLimit: undefined });
      const sentAt = process.hrtime.bigint();
      tcp.receive(synAckTo(packet), TARGET, sentAt + 400_000n);
      onSent(sentAt);
    };
    const session = knocker.session({ addr: TARGET, port: PORT, timeout: 0.2 });
    const result = await session.probe();
    assert.deepEqual([result.rtt, result.state, result.failure], [0.0004, 'open', undefined]);
    session.close();
    await knocker.close();
  });

  it('waits for 20 knocks with one timer, not one each, and close() settles them all as timeouts', async () => {
    const { knocker, tcp } = await knockerOnFakes();
    const session = knocker.session({ addr: TARGET, port: PORT, timeout: 60 });
    const before = timers();
    const knocks: Array<Promise<KnockResult>> = [];
    for (let i = 0; i < 20; i++) knocks.push(session.probe());
    await until(() => tcp.sent.length === 20);
    assert.equal(timers() - before, 1, 'one timer for the 20 deadlines');
    session.close();
    const results = await Promise.all(knocks);
    assert.deepEqual(
      results.map((r) => [r.seq, r.rtt, r.failure?.reason]),
      results.map((_, i) => [i, null, 'timeout']),
    );
    assert.equal(new Set(results.map((r) => r.sourcePort)).size, 20, 'one reserved port per knock');
    await knocker.close();
  });
});
