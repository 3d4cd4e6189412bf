// UDP Paris traceroute flows over fake raw sockets: what leaves, and how answers come back.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { IpProtocol, udpDatagram } from '../../../probes/packet';
import { DeadlineList } from '../../../probes/inflight';
import { SocketRegistry } from '../../../probes/socket';
import { runTrace, summarizeTrace, validateTraceRequest, type TraceHop } from '../../../probes/trace';
import { UdpFlowTransport } from '../../../probes/trace/udp-flows';
import { fakeFactory, type FakeTransport, type SentPacket } from '../../support/fake-transport';
import { icmpErrorV4, ipv4Packet } from '../../support/packets';

const CLIENT = '10.0.1.1';
const TARGET = '10.0.7.2';

/** client — r1 — {r2a | r2b by flow} — target; `silent` TTLs never answer. */
function simulate(udp: FakeTransport, icmp: FakeTransport, silent: number[] = []): void {
  const flowOfPort = new Map<number, number>();
  udp.onSend = ({ packet, hopLimit }: SentPacket) => {
    const ttl = hopLimit!;
    if (silent.includes(ttl)) return;
    const port = packet.readUInt16BE(0);
    if (!flowOfPort.has(port)) flowOfPort.set(port, flowOfPort.size);
    const branch = flowOfPort.get(port)! % 2;
    const from = ttl === 1 ? '10.0.1.2' : ttl === 2 ? `10.0.${2 + branch}.2` : TARGET;
    // The quoted packet as the router saw it: the kernel's IP header (TTL 1 left), then our datagram.
    const quoted = ipv4Packet(CLIENT, TARGET, IpProtocol.Udp, packet, 1);
    const answer =
      ttl < 3 ? icmpErrorV4(from, CLIENT, 11, 0, quoted) : icmpErrorV4(from, CLIENT, 3, 3, quoted);
    setImmediate(() => icmp.receive(answer, from));
  };
}

async function run(
  silent: number[] = [],
): Promise<{ hops: TraceHop[]; udp: FakeTransport; registry: SocketRegistry }> {
  const factory = fakeFactory();
  const registry = new SocketRegistry(factory);
  const spec = validateTraceRequest({ addr: TARGET, flows: 6, probes: 2, timeout: 0.05 });
  const transport = await UdpFlowTransport.open(spec, registry, {}, CLIENT, new DeadlineList(spec.timeoutMs));
  const udp = factory.opened.find((t) => t.protocol === IpProtocol.Udp)!;
  const icmp = factory.opened.find((t) => t.protocol === IpProtocol.Icmp)!;
  simulate(udp, icmp, silent);
  const hops: TraceHop[] = [];
  for await (const hop of runTrace(transport, spec)) hops.push(hop);
  return { hops, udp, registry };
}

describe('UDP flows (fake raw sockets)', () => {
  it('keeps each flow on one 5-tuple and tells its probes apart by a valid checksum', async () => {
    const { hops, udp, registry } = await run();
    const byPort = new Map<number, SentPacket[]>();
    for (const sent of udp.sent) {
      const datagram = udpDatagram.decode(sent.packet, 0, {
        length: sent.packet.length,
        pseudo: { source: CLIENT, destination: TARGET },
      });
      assert.equal(datagram.destinationPort, 33434, 'the destination port is fixed, not incremented');
      assert.equal(sent.destination, TARGET);
      byPort.set(datagram.sourcePort, [...(byPort.get(datagram.sourcePort) ?? []), sent]);
    }
    assert.equal(byPort.size, 6, 'one source port per flow');
    for (const packets of byPort.values()) {
      const checksums = packets.map((p) => p.packet.readUInt16BE(6));
      assert.equal(new Set(checksums).size, packets.length, 'one checksum per probe');
      assert.deepEqual(checksums.slice(0, 2), [1, 2], 'probe ids count from 1');
      assert.deepEqual(
        packets.slice(0, 6).map((p) => p.hopLimit),
        [1, 1, 2, 2, 3, 3],
      );
    }
    assert.deepEqual(
      hops.map((hop) => hop.responders.map((r) => [r.address, r.kind, r.flows])),
      [
        [['10.0.1.2', 'hop', [0, 1, 2, 3, 4, 5]]],
        [
          ['10.0.2.2', 'hop', [0, 2, 4]],
          ['10.0.3.2', 'hop', [1, 3, 5]],
        ],
        [[TARGET, 'destination', [0, 1, 2, 3, 4, 5]]],
      ],
    );
    const result = summarizeTrace(validateTraceRequest({ addr: TARGET, flows: 6 }), hops, 0);
    assert.deepEqual([result.reached, result.hopsToDestination, result.paths.length], [true, 3, 2]);
    assert.equal(registry.socketsOf('udp').length, 0, 'the transport released the shared UDP socket');
    assert.equal(udp.closed, true);
  });

  it('settles unanswered probes at their timeout: a silent hop with loss 1', async () => {
    const { hops } = await run([2]);
    assert.deepEqual(
      hops.map((hop) => [hop.ttl, hop.sent, hop.received]),
      [
        [1, 12, 12],
        [2, 12, 0],
        [3, 12, 12],
      ],
    );
    assert.equal(hops[1]!.loss, 1);
  });
});
