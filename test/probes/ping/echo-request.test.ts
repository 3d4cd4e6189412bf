import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  icmp,
  icmpv6,
  IcmpType,
  Icmpv6Type,
  ipHeader,
  IpProtocol,
  PacketEncodeError,
} from '../../../probes/packet';
import {
  echoRequestLength,
  encodeEchoRequest,
  type EchoRequestSpec,
} from '../../../probes/ping/echo-request';

const payload = Buffer.from('0123456789abcdef', 'hex');

describe('encodeEchoRequest', () => {
  it('writes a plain IPv4 echo request byte for byte as the general ICMP encoder does', () => {
    for (const [identifier, sequence, size] of [
      [0, 0, 8],
      [1, 2, 56],
      [0xffff, 0xffff, 57],
      [0x1234, 0xabcd, 1400],
    ] as const) {
      const payload = Buffer.alloc(size);
      for (let i = 0; i < size; i++) payload[i] = (i * 37 + identifier) & 0xff;
      const packet = encodeEchoRequest({
        family: 4,
        identifier,
        sequence,
        payload,
        destination: '192.0.2.1',
      });
      const reference = icmp.encode({ type: IcmpType.EchoRequest, identifier, sequence, payload });
      assert.deepEqual(packet, reference);
      const decoded = icmp.decode(packet); // verifies the checksum
      assert.equal(decoded.kind, 'echo');
    }
  });

  it('leaves the checksum of a plain ICMPv6 request to the kernel', () => {
    const packet = encodeEchoRequest({
      family: 6,
      identifier: 7,
      sequence: 9,
      payload,
      destination: 'fd00::2',
    });
    const decoded = icmpv6.decode(packet); // no addresses: the checksum is not verified
    assert.deepEqual(decoded, {
      kind: 'echo',
      type: Icmpv6Type.EchoRequest,
      code: 0,
      checksum: 0,
      identifier: 7,
      sequence: 9,
      payload,
    });
  });

  const bound: EchoRequestSpec[] = [
    {
      family: 4,
      identifier: 7,
      sequence: 9,
      payload,
      destination: '10.0.1.2',
      source: '10.0.1.1',
      hopLimit: 3,
    },
    { family: 6, identifier: 7, sequence: 9, payload, destination: 'fd00::2', source: 'fd00::1' },
  ];
  for (const spec of bound) {
    it(`puts an IPv${spec.family} header carrying the bound source in front, both checksummed`, () => {
      const packet = encodeEchoRequest(spec);
      assert.equal(packet.length, echoRequestLength(spec));
      const ip = ipHeader.decode(packet); // an IPv4 header checksum is verified
      assert.deepEqual(
        { ...ip, headerLength: undefined, dontFragment: undefined },
        {
          family: spec.family,
          protocol: spec.family === 4 ? IpProtocol.Icmp : IpProtocol.Icmpv6,
          hopLimit: spec.hopLimit ?? 64,
          source: spec.source,
          destination: spec.destination,
          payloadLength: 8 + payload.length,
          headerLength: undefined,
          dontFragment: undefined,
        },
      );
      const pseudo = { source: spec.source!, destination: spec.destination };
      const message =
        spec.family === 4
          ? icmp.decode(packet, ip.headerLength)
          : icmpv6.decode(packet, ip.headerLength, { pseudo }); // checksum verified over the addresses
      assert.equal(message.kind, 'echo');
      assert.deepEqual(message.kind === 'echo' && [message.identifier, message.sequence, message.payload], [
        7,
        9,
        payload,
      ]);
    });
  }

  const specs: EchoRequestSpec[] = [
    { family: 4, identifier: 1, sequence: 2, payload, destination: '10.0.1.2' },
    { family: 6, identifier: 1, sequence: 2, payload, destination: 'fd00::2' },
    ...bound,
  ];
  for (const spec of specs) {
    const kind = `IPv${spec.family}${spec.source === undefined ? '' : ' with a bound source'}`;
    it(`writes an ${kind} request into a caller's buffer at an offset, and nowhere else`, () => {
      const length = echoRequestLength(spec);
      const buf = Buffer.alloc(length + 10, 0xa5);
      assert.equal(encodeEchoRequest(spec, buf, 4), buf, 'returns the given buffer: no allocation');
      assert.deepEqual(buf.subarray(4, 4 + length), encodeEchoRequest(spec));
      assert.ok(buf.subarray(0, 4).every((b) => b === 0xa5));
      assert.ok(buf.subarray(4 + length).every((b) => b === 0xa5));
    });

    it(`rejects a buffer too small for an ${kind} request, writing nothing`, () => {
      const buf = Buffer.alloc(echoRequestLength(spec) + 3, 0xa5);
      assert.throws(
        () => encodeEchoRequest(spec, buf, 4),
        (e: unknown) => e instanceof PacketEncodeError && e.code === 'ERR_PACKET_BUFFER_TOO_SMALL',
      );
      assert.ok(buf.every((b) => b === 0xa5));
    });
  }
});
