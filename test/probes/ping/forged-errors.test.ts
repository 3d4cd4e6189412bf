// ICMP errors against pings (fake sockets): what an off-path sender must guess is random, an error
// quoting the ICMP header only cannot end a probe whose target answers, and one quoting the token
// ends it at once.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Pinger, SocketRegistry, type PingResult } from '../../../probes';
import { IpProtocol, icmp, icmpv6, type IcmpEcho } from '../../../probes/packet';
import { fakeFactory, type FakeTransport, type SentPacket } from '../../support/fake-transport';
import {
  echoReplyV4,
  icmpEcho,
  icmpErrorV4,
  icmpErrorV6,
  icmpv6Echo,
  IcmpType,
  Icmpv6Type,
  ipv4Packet,
  ipv6Packet,
} from '../../support/packets';

const LOCAL = { 4: '10.0.0.1', 6: 'fd00::1' } as const;
const TARGET = { 4: '10.0.0.2', 6: 'fd00::2' } as const;
const ROUTER = { 4: '10.0.0.254', 6: 'fd00::fe' } as const;
const UNREACHABLE = { 4: IcmpType.DestinationUnreachable, 6: Icmpv6Type.DestinationUnreachable } as const;

function echoOf(family: 4 | 6, sent: SentPacket): IcmpEcho {
  const message = family === 4 ? icmp.decode(sent.packet) : icmpv6.decode(sent.packet);
  assert.equal(message.kind, 'echo');
  return message as IcmpEcho;
}

/** The request as it left: over IPv6 the kernel fills in the checksum, so the test does. */
function requestAsSent(family: 4 | 6, echo: IcmpEcho, payload: Buffer): Buffer {
  return family === 4
    ? icmpEcho(IcmpType.EchoRequest, echo.identifier, echo.sequence, payload)
    : icmpv6Echo(Icmpv6Type.EchoRequest, echo.identifier, echo.sequence, payload, LOCAL[6], TARGET[6]);
}

/** A "destination unreachable" from a router, quoting the request's ICMP header only or whole. */
function unreachable(family: 4 | 6, request: Buffer, quote: 'header' | 'whole'): Buffer {
  if (family === 4) {
    const original = ipv4Packet(LOCAL[4], TARGET[4], IpProtocol.Icmp, request);
    return icmpErrorV4(ROUTER[4], LOCAL[4], UNREACHABLE[4], 1, original, quote === 'header' ? 28 : 576);
  }
  const original = ipv6Packet(LOCAL[6], TARGET[6], IpProtocol.Icmpv6, request);
  return icmpErrorV6(ROUTER[6], LOCAL[6], UNREACHABLE[6], 3, original, quote === 'header' ? 48 : 1232);
}

function reply(family: 4 | 6, echo: IcmpEcho): Buffer {
  return family === 4
    ? echoReplyV4(TARGET[4], LOCAL[4], echo.identifier, echo.sequence, echo.payload)
    : icmpv6Echo(Icmpv6Type.EchoReply, echo.identifier, echo.sequence, echo.payload, TARGET[6], LOCAL[6]);
}

interface Scenario {
  /** Errors to deliver right after each request leaves. */
  errors: (request: Buffer, echo: IcmpEcho) => Buffer[];
  /** Delay of the genuine reply in ms, or null for none. */
  replyAfterMs: number | null;
}

async function pingOnce(family: 4 | 6, scenario: Scenario, timeout: number): Promise<PingResult> {
  const factory = fakeFactory();
  const pinger = await Pinger.create({ sockets: new SocketRegistry(factory) });
  const session = pinger.session({ addr: TARGET[family], timeout });
  const transport: FakeTransport = factory.opened.find((t) => t.family === family)!;
  transport.onSend = (sent) => {
    const echo = echoOf(family, sent);
    const request = requestAsSent(family, echo, Buffer.from(echo.payload));
    setImmediate(() => {
      for (const error of scenario.errors(request, echo)) transport.receive(error, ROUTER[family]);
    });
    if (scenario.replyAfterMs !== null) {
      setTimeout(() => transport.receive(reply(family, echo), TARGET[family]), scenario.replyAfterMs);
    }
  };
  try {
    return await session.probe();
  } finally {
    session.close();
    await pinger.close();
  }
}

/** The request with its token guessed wrong (zeros), as an off-path forger would have to quote it. */
function forged(family: 4 | 6, echo: IcmpEcho): Buffer {
  return requestAsSent(family, echo, Buffer.alloc(echo.payload.length));
}

describe('Pinger: forged and genuine ICMP errors (fake sockets)', () => {
  it('starts each session at a random sequence', async () => {
    const factory = fakeFactory();
    const pinger = await Pinger.create({ sockets: new SocketRegistry(factory) });
    const transport = factory.opened[0]!;
    const sessions = Array.from({ length: 16 }, () => pinger.session({ addr: TARGET[4], timeout: 5 }));
    const results = sessions.map((session) => session.probe());
    const first = transport.sent.map((sent) => echoOf(4, sent).sequence);
    assert.equal(first.length, 16);
    assert.ok(new Set(first).size >= 8, `first sequences ${first.join(' ')}`);
    for (const session of sessions) session.close();
    for (const result of await Promise.all(results))
      assert.equal(result.seq, 0, 'PingResult.seq counts from 0');
    await pinger.close();
  });

  for (const family of [4, 6] as const) {
    it(`IPv${family}: an error quoting the header only, then the genuine reply: the reply wins`, async () => {
      const result = await pingOnce(
        family,
        { errors: (request) => [unreachable(family, request, 'header')], replyAfterMs: 30 },
        5,
      );
      assert.equal(result.failure, undefined, JSON.stringify(result));
      assert.ok(result.rtt !== null && result.rtt >= 0.02, `rtt ${result.rtt}`);
    });

    it(`IPv${family}: an error quoting the header only, and no reply: unreachable at the timeout`, async () => {
      const started = performance.now();
      const result = await pingOnce(
        family,
        { errors: (request) => [unreachable(family, request, 'header')], replyAfterMs: null },
        0.2,
      );
      const elapsed = performance.now() - started;
      assert.deepEqual(result.failure, {
        reason: 'unreachable',
        type: UNREACHABLE[family],
        code: family === 4 ? 1 : 3,
        from: ROUTER[family],
      });
      assert.ok(elapsed >= 200, `settled after ${elapsed} ms, not at the 200 ms timeout`);
    });

    it(`IPv${family}: an error quoting the request whole ends the probe at once`, async () => {
      const started = performance.now();
      const result = await pingOnce(
        family,
        { errors: (request) => [unreachable(family, request, 'whole')], replyAfterMs: null },
        5,
      );
      assert.equal(result.failure?.reason, 'unreachable');
      assert.ok(performance.now() - started < 5000, 'before the 5 s timeout');
    });

    it(`IPv${family}: errors quoting a guessed token, whole or header only, leave the probe to its reply`, async () => {
      const result = await pingOnce(
        family,
        {
          errors: (_request, echo) => [
            unreachable(family, forged(family, echo), 'whole'),
            unreachable(family, forged(family, echo), 'header'),
          ],
          replyAfterMs: 30,
        },
        5,
      );
      assert.equal(result.failure, undefined, JSON.stringify(result));
      assert.ok(result.rtt !== null);
    });
  }
});
