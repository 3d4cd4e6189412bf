import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Pinger, ProbeError, SocketRegistry, summarizeRtts } from '../../../probes';
import { icmp, icmpv6, ipv4Header, ipv6Header, type IcmpEcho } from '../../../probes/packet';
import { fakeFactory, type FakeTransport, type SentPacket } from '../../support/fake-transport';
import { echoReplyV4, icmpv6Echo, Icmpv6Type } from '../../support/packets';

const LOCAL4 = '10.0.0.1';
const LOCAL6 = 'fd00::1';

/**
 * Answers every echo request, optionally preceded by a forged reply with a wrong token; `drop` gets
 * the index of the request among those sent (its PingResult.seq), not its wire sequence.
 */
function answer(
  transport: FakeTransport,
  options: { forgeFirst?: boolean; drop?: (index: number) => boolean } = {},
) {
  transport.onSend = (sent: SentPacket) => {
    const echo = requestOf(transport, sent);
    if (options.drop?.(transport.sent.indexOf(sent))) return;
    setImmediate(() => {
      if (options.forgeFirst)
        transport.receive(
          reply(transport, sent.destination, echo, Buffer.alloc(echo.payload.length)),
          sent.destination,
        );
      transport.receive(reply(transport, sent.destination, echo, echo.payload), sent.destination);
    });
  };
}

function requestOf(transport: FakeTransport, sent: SentPacket): IcmpEcho {
  let message;
  if (transport.family === 4) {
    const offset = transport.headerIncluded ? ipv4Header.decode(sent.packet, 0).headerLength : 0;
    message = icmp.decode(sent.packet, offset, { length: sent.packet.length - offset });
  } else {
    const offset = transport.headerIncluded ? 40 : 0;
    message = icmpv6.decode(sent.packet, offset, { length: sent.packet.length - offset });
  }
  assert.equal(message.kind, 'echo');
  return message as IcmpEcho;
}

function reply(transport: FakeTransport, from: string, echo: IcmpEcho, payload: Buffer): Buffer {
  return transport.family === 4
    ? echoReplyV4(from, LOCAL4, echo.identifier, echo.sequence, payload)
    : icmpv6Echo(Icmpv6Type.EchoReply, echo.identifier, echo.sequence, payload, from, LOCAL6);
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

describe('Pinger (fake sockets)', () => {
  it('yields one RTT per request, in order, and ignores a forged reply', async () => {
    const factory = fakeFactory();
    const pinger = await Pinger.create({ sockets: new SocketRegistry(factory) });
    const transport = factory.opened[0]!;
    answer(transport, { forgeFirst: true });
    const rtts = await collect(pinger.ping({ addr: '10.0.0.2', count: 4, interval: 0.01, timeout: 1 }));
    assert.equal(rtts.length, 4);
    for (const rtt of rtts) assert.ok(rtt !== null && rtt > 0 && rtt < 0.5, `rtt ${rtt}`);
    const sequences = transport.sent.map((s) => requestOf(transport, s).sequence);
    const first = sequences[0]!;
    assert.deepEqual(
      sequences,
      [0, 1, 2, 3].map((i) => (first + i) & 0xffff),
      'consecutive on the wire',
    );
    await pinger.close();
  });

  it('yields null for a request without reply, after the timeout', async () => {
    const factory = fakeFactory();
    const pinger = await Pinger.create({ sockets: new SocketRegistry(factory) });
    answer(factory.opened[0]!, { drop: (seq) => seq === 1 });
    const started = performance.now();
    const results = await collect(
      pinger.pingDetailed({ addr: '10.0.0.2', count: 3, interval: 0.02, timeout: 0.15 }),
    );
    const elapsed = performance.now() - started;
    assert.deepEqual(
      results.map((r) => [r.seq, r.rtt === null, r.failure?.reason]),
      [
        [0, false, undefined],
        [1, true, 'timeout'],
        [2, false, undefined],
      ],
    );
    assert.ok(elapsed >= 150, `the lost request waited its timeout (${elapsed} ms)`);
    assert.deepEqual(summarizeRtts(results.map((r) => r.rtt)).loss, 1 / 3);
    await pinger.close();
  });

  it('takes a reply read after its timeout, before the deadline fired (a stalled loop), for a loss, not an RTT', async () => {
    const factory = fakeFactory();
    const pinger = await Pinger.create({ sockets: new SocketRegistry(factory) });
    const transport = factory.opened[0]!;
    const STALL_NS = 10_170_000_000n;
    let stalled = true;
    transport.onSend = (sent) => {
      const echo = requestOf(transport, sent);
      // Read 10.17 s after the send (the process was stopped): the 200 ms deadline has not fired yet.
      const readAt = process.hrtime.bigint() + (stalled ? STALL_NS : 0n);
      transport.receive(reply(transport, sent.destination, echo, echo.payload), sent.destination, readAt);
    };
    const session = pinger.session({ addr: '10.0.0.2', timeout: 0.2 });
    const late = await session.probe();
    assert.equal(late.rtt, null);
    assert.equal(late.failure?.reason, 'timeout');
    const lateRtt = late.failure?.reason === 'timeout' ? late.failure.lateRtt : undefined;
    assert.ok(lateRtt !== undefined && lateRtt >= 10.17 && lateRtt < 11, `late by ${lateRtt} s`);
    stalled = false;
    const inTime = await session.probe();
    assert.ok(inTime.rtt !== null && inTime.rtt < 0.2 && inTime.failure === undefined);
    assert.equal(factory.opened[0]!.sent.length, 2);
    session.close();
    await pinger.close();
  });

  it('takes a reply read before the send callback ran as in time, its RTT counted from the send', async () => {
    const factory = fakeFactory();
    const pinger = await Pinger.create({ sockets: new SocketRegistry(factory) });
    const transport = factory.opened[0]!;
    // The reply is read (300 µs after the send) before the transport reports the send's time, as
    // with a send timestamp that comes back after the reply.
    transport.send = (packet, destination, onSent) => {
      const sent = { packet: Buffer.from(packet), destination, hopLimit: undefined };
      transport.sent.push(sent);
      const sentAt = process.hrtime.bigint();
      const echo = requestOf(transport, sent);
      transport.receive(reply(transport, destination, echo, echo.payload), destination, sentAt + 300_000n);
      onSent(sentAt);
    };
    const session = pinger.session({ addr: '10.0.0.2', timeout: 0.2 });
    const result = await session.probe();
    assert.deepEqual([result.rtt, result.failure, result.bytes], [0.0003, undefined, 64]);
    session.close();
    await pinger.close();
  });

  it('reads the socket before declaring a timeout: a reply left unread past it by a busy loop is a late reply, a loss', async () => {
    const factory = fakeFactory();
    const pinger = await Pinger.create({ sockets: new SocketRegistry(factory) });
    const transport = factory.opened[0]!;
    transport.onSend = (sent) => {
      const echo = requestOf(transport, sent);
      transport.unread.push({
        packet: reply(transport, sent.destination, echo, echo.payload),
        source: sent.destination,
        receivedAt: 0n,
      });
    };
    const results = await collect(
      pinger.pingDetailed({ addr: '10.0.0.2', count: 2, interval: 0.01, timeout: 0.05 }),
    );
    // The first reply is read at its request's deadline, after the timeout: a loss, matched (not
    // left to count as foreign traffic) and reported late. The second, read then too, is on time
    // or late depending on how late that deadline fired; never an RTT above the timeout.
    const [first] = results;
    assert.equal(first?.rtt, null);
    assert.ok(first.failure?.reason === 'timeout' && first.failure.lateRtt! > 0.05, 'first: late');
    for (const { rtt, failure } of results) {
      if (rtt !== null) assert.ok(rtt <= 0.05, `rtt ${rtt} within the timeout`);
      else assert.ok(failure?.reason === 'timeout' && failure.lateRtt! > 0.05);
    }
    assert.equal(transport.unread.length, 0);
    await pinger.close();
  });

  it('sends header-included IPv6 packets from the bound source with a valid checksum', async () => {
    const factory = fakeFactory();
    const pinger = await Pinger.create({ sockets: new SocketRegistry(factory), bind: { ipv6: LOCAL6 } });
    await collect(pinger.ping({ addr: 'fd00::2', count: 1, timeout: 0.01 }));
    const transport = factory.opened.find((t) => t.family === 6)!;
    assert.equal(transport.headerIncluded, true);
    const packet = transport.sent[0]!.packet;
    const ip = ipv6Header.decode(packet, 0);
    assert.equal(ip.source, LOCAL6);
    assert.equal(ip.destination, 'fd00::2');
    const echo = icmpv6.decode(packet, 40, {
      length: packet.length - 40,
      pseudo: { source: LOCAL6, destination: 'fd00::2' },
    });
    assert.equal(echo.kind, 'echo');
    await pinger.close();
  });

  it('gives IPv6 replies the hop limit the transport read (the native module reads it; raw-socket cannot)', async () => {
    const factory = fakeFactory();
    const pinger = await Pinger.create({ sockets: new SocketRegistry(factory) });
    const results = pinger.pingDetailed({ addr: 'fd00::2', count: 1, timeout: 1 });
    const pending = results.next();
    const transport = factory.opened.find((t) => t.family === 6)!;
    await new Promise((resolve) => setImmediate(resolve));
    const sent = transport.sent[0]!;
    const echo = requestOf(transport, sent);
    transport.receive(
      reply(transport, 'fd00::2', echo, echo.payload),
      'fd00::2',
      process.hrtime.bigint(),
      57,
    );
    const first = (await pending).value;
    assert.equal(first?.ttl, 57);
    assert.equal(first?.bytes, 8 + echo.payload.length);
    await results.return();
    await pinger.close();
  });

  it('shares one socket per family between pingers and closes it with the last one', async () => {
    const factory = fakeFactory();
    const registry = new SocketRegistry(factory);
    const a = await Pinger.create({ sockets: registry });
    const b = await Pinger.create({ sockets: registry });
    assert.equal(factory.opened.length, 1);
    await a.close();
    await a.close();
    assert.equal(factory.opened[0]!.closed, false);
    await b.close();
    assert.equal(factory.opened[0]!.closed, true);
  });

  it('sends concurrent pings under one identifier, each request on its own sequence, each answered', async () => {
    const factory = fakeFactory();
    const registry = new SocketRegistry(factory);
    const pinger = await Pinger.create({ sockets: registry });
    const transport = factory.opened[0]!;
    answer(transport);
    const results = await Promise.all(
      [2, 3, 4].map((host) => collect(pinger.ping({ addr: `10.0.0.${host}`, count: 20, interval: 0 }))),
    );
    for (const rtts of results) assert.ok(rtts.length === 20 && rtts.every((rtt) => rtt !== null));
    const requests = transport.sent.map((s) => requestOf(transport, s));
    assert.equal(new Set(requests.map((r) => r.identifier)).size, 1);
    assert.equal(new Set(requests.map((r) => r.sequence)).size, 60);
    // Given back to the family once the last session is over.
    assert.equal(registry.identifiers[4].size, 0);
    await pinger.close();
  });

  it('overlaps requests when the timeout exceeds the interval: never more than ⌈timeout / interval⌉ in flight', async () => {
    const factory = fakeFactory();
    const registry = new SocketRegistry(factory);
    const pinger = await Pinger.create({ sockets: registry });
    const transport = factory.opened[0]!;
    // Every reply comes 90 ms late: with a 40 ms interval, three requests wait at once.
    const inFlightAtSend: number[] = [];
    transport.onSend = (sent: SentPacket) => {
      inFlightAtSend.push(registry.icmpSockets()[0]!.pendingCount);
      const echo = requestOf(transport, sent);
      setTimeout(
        () => transport.receive(reply(transport, sent.destination, echo, echo.payload), sent.destination),
        90,
      );
    };
    const results = await collect(
      pinger.pingDetailed({ addr: '10.0.0.2', count: 12, interval: 0.04, timeout: 0.11 }),
    );
    assert.deepEqual(
      results.map((r) => r.seq),
      [...Array(12).keys()],
      'in sending order',
    );
    for (const result of results) assert.ok(result.rtt !== null && result.rtt >= 0.085, `rtt ${result.rtt}`);
    assert.ok(Math.max(...inFlightAtSend) <= 3, `in flight at send: ${inFlightAtSend.join()}`);
    assert.ok(Math.max(...inFlightAtSend) >= 2, 'they did overlap');
    await pinger.close();
  });

  it('holds a send while ⌈timeout / interval⌉ requests wait, even when the schedule is behind', async () => {
    const factory = fakeFactory();
    const registry = new SocketRegistry(factory);
    const pinger = await Pinger.create({ sockets: registry });
    const transport = factory.opened[0]!;
    const inFlightAtSend: number[] = [];
    transport.onSend = () => inFlightAtSend.push(registry.icmpSockets()[0]!.pendingCount);
    // No reply at all; the loop is blocked for ten intervals after the first send.
    let blocked = false;
    const iterator = pinger.pingDetailed({ addr: '10.0.0.2', count: 8, interval: 0.01, timeout: 0.02 });
    const results = [];
    for await (const result of iterator) {
      results.push(result);
      if (!blocked) {
        blocked = true;
        const end = performance.now() + 100;
        while (performance.now() < end);
      }
    }
    assert.equal(results.length, 8);
    assert.ok(results.every((r) => r.rtt === null));
    assert.ok(Math.max(...inFlightAtSend) <= 2, `in flight at send: ${inFlightAtSend.join()}`);
    await pinger.close();
  });

  it('rejects bad requests with typed errors', async () => {
    const pinger = await Pinger.create({ sockets: new SocketRegistry(fakeFactory()) });
    const cases: Array<[object, RegExp]> = [
      [{ addr: 'example.com' }, /not an IP address/],
      [{ addr: '10.0.0.2', size: 4 }, /^size/],
      [{ addr: '10.0.0.2', timeout: 0 }, /^timeout/],
      [{ addr: '10.0.0.2', count: 1.5 }, /^count/],
      [{ addr: '10.0.0.2', ttl: 256 }, /^ttl/],
    ];
    for (const [request, message] of cases) {
      await assert.rejects(
        collect(pinger.ping(request as never)),
        (e) => e instanceof ProbeError && message.test(e.message),
      );
    }
    await pinger.close();
    await assert.rejects(
      collect(pinger.ping({ addr: '10.0.0.2' })),
      (e) => e instanceof ProbeError && e.code === 'ERR_CLOSED',
    );
  });
});
