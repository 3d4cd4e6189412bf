import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { Knocker, SocketRegistry } from '../../../probes';
import { IpProtocol, tcpSegment, TcpFlag } from '../../../probes/packet';
import { fakeFactory, type FakeTransport } from '../../support/fake-transport';
import { ipv4Packet } from '../../support/packets';

const TARGET = '127.0.0.1';
const PORT = 443;

/** Answers every SYN with a SYN-ACK, read `readDelayNs` after the send (a stalled event loop). */
function answerSyns(transport: FakeTransport, readDelayNs: () => bigint): void {
  transport.onSend = (sent) => {
    const syn = tcpSegment.decode(sent.packet);
    const synAck = tcpSegment.encode({
      pseudo: { source: TARGET, destination: TARGET },
      sourcePort: PORT,
      destinationPort: syn.sourcePort,
      sequence: 7,
      acknowledgment: (syn.sequence + 1) >>> 0,
      flags: TcpFlag.SYN | TcpFlag.ACK,
      window: 100,
    });
    const readAt = process.hrtime.bigint() + readDelayNs();
    transport.receive(ipv4Packet(TARGET, TARGET, IpProtocol.Tcp, synAck, 64), TARGET, readAt);
  };
}

describe('KnockSession: answers read after the timeout', () => {
  it('takes a SYN-ACK read 10.17 s after its SYN (timeout 200 ms, deadline not fired yet) for a loss', async () => {
    const factory = fakeFactory();
    const knocker = await Knocker.create({ sockets: new SocketRegistry(factory) });
    const tcp = factory.opened.find((t) => t.protocol === IpProtocol.Tcp)!;
    let delay = 10_170_000_000n;
    answerSyns(tcp, () => delay);
    const session = knocker.session({ addr: TARGET, port: PORT, timeout: 0.2 });
    const late = await session.probe();
    assert.equal(late.rtt, null);
    assert.equal(late.state, undefined, 'no port state from a late answer');
    assert.equal(late.failure?.reason, 'timeout');
    const lateRtt = late.failure?.reason === 'timeout' ? late.failure.lateRtt : undefined;
    assert.ok(lateRtt !== undefined && lateRtt >= 10.17 && lateRtt < 11, `late by ${lateRtt} s`);
    delay = 0n;
    const inTime = await session.probe();
    assert.ok(inTime.rtt !== null && inTime.rtt < 0.2, `rtt ${inTime.rtt}`);
    assert.equal(inTime.state, 'open');
    assert.equal(tcp.sent.length, 2);
    session.close();
    await knocker.close();
  });
});
