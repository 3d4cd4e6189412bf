import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  PacketDecodeError,
  PacketEncodeError,
  UDP_HEADER_LENGTH,
  ipv4Header,
  udpDatagram,
  forceUdpChecksum,
  udpChecksum,
  type PacketErrorCode,
  type PseudoHeader,
  type UdpDatagramFields,
} from '../../../probes/packet';
import { assertRoundTrip } from '../../support/round-trip';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// Captured in the trace lab (test/probes/trace/captured.ts): a Paris traceroute probe of flow
// 52577 -> 33434 whose checksum carries probe id 1, and an IPv6 probe (58090 -> 33434, header stripped).
const capturedV4 = hex('4500002882de40000111dae40a0001010a000702 cd61829a001400016bfb6e6574646961672d7472');
const V4: PseudoHeader = { source: '10.0.1.1', destination: '10.0.7.2' };
const V6: PseudoHeader = { source: 'fd00:0:0:1::1', destination: 'fd00:0:0:7::2' };
const capturedV6 = hex('e2ea829a0014000178686e6574646961672d7472');

function decodeError(code: PacketErrorCode): (e: unknown) => boolean {
  return (e: unknown) => e instanceof PacketDecodeError && e.code === code && e.layer === 'udp';
}

describe('UDP codec', () => {
  it('decodes a captured probe and verifies its checksum over the IPv4 pseudo-header', () => {
    const ip = ipv4Header.decode(capturedV4, 0);
    const udp = udpDatagram.decode(capturedV4, ip.headerLength, {
      length: ip.totalLength - ip.headerLength,
      pseudo: V4,
    });
    assert.deepEqual(
      { ...udp, payload: udp.payload.toString('hex') },
      {
        sourcePort: 52577,
        destinationPort: 33434,
        length: 20,
        checksum: 1,
        payload: '6bfb6e6574646961672d7472',
      },
    );
  });

  it('round-trips IPv4 and IPv6 datagrams, the checksum valid for the pseudo-header', () => {
    for (const pseudo of [V4, V6]) {
      const payload = Buffer.from('netdiag-tr');
      const bytes = udpDatagram.encode({
        pseudo,
        sourcePort: 40000,
        destinationPort: 33434,
        payload,
      });
      assert.equal(bytes.length, UDP_HEADER_LENGTH + payload.length);
      assert.equal(udpChecksum(bytes, pseudo), 0, 'a valid datagram sums to zero');
      const decoded = udpDatagram.decode(bytes, 0, { pseudo });
      assert.deepEqual([decoded.sourcePort, decoded.destinationPort, decoded.length], [40000, 33434, 18]);
      assert.deepEqual(decoded.payload, payload);
    }
  });

  it('encodes at an offset of a given buffer and returns that buffer', () => {
    const buf = Buffer.alloc(64, 0xee);
    const fields = { pseudo: V4, sourcePort: 1, destinationPort: 2 };
    assert.equal(udpDatagram.encode(fields, buf, 20), buf);
    assert.equal(udpDatagram.encodingLength(fields), 8);
    assert.deepEqual(udpDatagram.decode(buf, 20, { length: 8, pseudo: V4 }).sourcePort, 1);
    assert.equal(buf[19], 0xee);
    assert.equal(buf[28], 0xee);
  });

  it('decodes a captured IPv6 probe and verifies its checksum over the IPv6 pseudo-header', () => {
    const udp = udpDatagram.decode(capturedV6, 0, { pseudo: V6 });
    assert.deepEqual([udp.sourcePort, udp.destinationPort, udp.checksum], [58090, 33434, 1]);
    const moved = { source: 'fd00:0:0:1::2', destination: V6.destination };
    assert.throws(
      () => udpDatagram.decode(capturedV6, 0, { pseudo: moved }),
      decodeError('ERR_PACKET_BAD_CHECKSUM'),
    );
  });

  it('forces the checksum to the wanted probe id through two payload bytes', () => {
    for (const pseudo of [V4, V6]) {
      const bytes = udpDatagram.encode({
        pseudo,
        sourcePort: 52577,
        destinationPort: 33434,
        payload: Buffer.alloc(12),
      });
      for (const wanted of [1, 2, 0x7fff, 0xfffe]) {
        forceUdpChecksum(bytes, pseudo, wanted, 8);
        assert.equal(bytes.readUInt16BE(6), wanted);
        assert.doesNotThrow(() => udpDatagram.decode(bytes, 0, { pseudo }));
      }
    }
    const captured = Buffer.from(capturedV4.subarray(20));
    forceUdpChecksum(captured, V4, 1, 8);
    assert.deepEqual(
      captured,
      capturedV4.subarray(20),
      'the captured probe is exactly what forceUdpChecksum writes',
    );
  });

  it('rejects a checksum that cannot be forced, and odd or header offsets', () => {
    const bytes = udpDatagram.encode({
      pseudo: V4,
      sourcePort: 1,
      destinationPort: 2,
      payload: Buffer.alloc(4),
    });
    for (const wanted of [0, 0xffff, 1.5, -1]) {
      assert.throws(() => forceUdpChecksum(bytes, V4, wanted, 8), RangeError);
    }
    for (const at of [7, 9, 4, 12]) assert.throws(() => forceUdpChecksum(bytes, V4, 5, at), RangeError);
  });

  it('sends a computed checksum of zero as 0xffff', () => {
    // Find a payload word that makes the computed checksum 0.
    const payload = Buffer.alloc(2);
    const probe = udpDatagram.encode({ pseudo: V4, sourcePort: 7, destinationPort: 9, payload });
    forceUdpChecksum(probe, V4, 0xfffe, 8);
    const word = probe.readUInt16BE(8);
    // Checksum 0xfffe with word w; adding 0xfffe to the word lowers the checksum by as much, to 0.
    payload.writeUInt16BE((word + 0xfffe) % 0xffff, 0);
    const bytes = udpDatagram.encode({ pseudo: V4, sourcePort: 7, destinationPort: 9, payload });
    assert.equal(bytes.readUInt16BE(6), 0xffff);
    assert.doesNotThrow(() => udpDatagram.decode(bytes, 0, { pseudo: V4 }));
  });

  it('accepts a zero IPv4 checksum (none) and decodes the header of a truncated quote', () => {
    const bytes = udpDatagram.encode({
      pseudo: V4,
      sourcePort: 1,
      destinationPort: 2,
      payload: Buffer.alloc(4),
    });
    bytes.writeUInt16BE(0, 6);
    assert.equal(udpDatagram.decode(bytes, 0, { pseudo: V4 }).checksum, 0);
    const quoted = capturedV4.subarray(20, 28);
    const header = udpDatagram.decode(quoted, 0, { length: 8, allowTruncatedPayload: true, pseudo: V4 });
    assert.deepEqual(
      [header.sourcePort, header.checksum, header.length, header.payload.length],
      [52577, 1, 20, 0],
    );
  });

  it('rejects bad fields and a too small buffer when encoding', () => {
    const cases: Array<[string, () => unknown, string]> = [
      [
        'port above 65535',
        () => udpDatagram.encode({ pseudo: V4, sourcePort: 70000, destinationPort: 1 }),
        'ERR_PACKET_BAD_FIELD',
      ],
      [
        'payload too long',
        () =>
          udpDatagram.encode({ pseudo: V4, sourcePort: 1, destinationPort: 1, payload: Buffer.alloc(65528) }),
        'ERR_PACKET_BAD_FIELD',
      ],
      [
        'mixed families',
        () =>
          udpDatagram.encode({
            pseudo: { source: '10.0.0.1', destination: '::1' },
            sourcePort: 1,
            destinationPort: 1,
          }),
        'ERR_PACKET_BAD_ADDRESS',
      ],
      [
        'buffer too small',
        () => udpDatagram.encode({ pseudo: V4, sourcePort: 1, destinationPort: 1 }, Buffer.alloc(10), 4),
        'ERR_PACKET_BUFFER_TOO_SMALL',
      ],
    ];
    for (const [name, run, code] of cases) {
      assert.throws(run, (e: unknown) => e instanceof PacketEncodeError && e.code === code, name);
    }
  });

  describe('malformed input', () => {
    const valid = capturedV4.subarray(20);
    const withLength = (length: number): Buffer => {
      const b = Buffer.from(valid);
      b.writeUInt16BE(length, 4);
      return b;
    };
    const badChecksum = Buffer.from(valid);
    badChecksum[12] = badChecksum[12]! ^ 0xff;
    const table: Array<
      [string, Buffer, number, PacketErrorCode, { pseudo?: PseudoHeader; allowTruncatedPayload?: boolean }?]
    > = [
      ['empty', Buffer.alloc(0), 0, 'ERR_PACKET_TRUNCATED'],
      ['7 bytes', valid.subarray(0, 7), 7, 'ERR_PACKET_TRUNCATED'],
      ['length beyond the buffer', valid, 30, 'ERR_PACKET_TRUNCATED'],
      ['length field below 8', withLength(7), 20, 'ERR_PACKET_BAD_LENGTH'],
      ['length field beyond the bytes given', withLength(21), 20, 'ERR_PACKET_BAD_LENGTH'],
      ['flipped payload byte', badChecksum, 20, 'ERR_PACKET_BAD_CHECKSUM', { pseudo: V4 }],
      [
        'wrong pseudo-header',
        valid,
        20,
        'ERR_PACKET_BAD_CHECKSUM',
        { pseudo: { source: '10.0.1.9', destination: '10.0.7.2' } },
      ],
    ];
    for (const [name, buf, length, code, options] of table) {
      it(`${name}: ${code}`, () => {
        assert.throws(() => udpDatagram.decode(buf, 0, { length, ...options }), decodeError(code));
      });
    }
  });

  it('never throws anything but a udp PacketDecodeError, whatever the bytes (seeded)', () => {
    let state = 0x5eed;
    const next = (): number => {
      state ^= state << 13;
      state >>>= 0;
      state ^= state >>> 17;
      state ^= state << 5;
      state >>>= 0;
      return state;
    };
    let decoded = 0;
    for (let i = 0; i < 5000; i++) {
      const buf = Buffer.from(capturedV4.subarray(20, 20 + (next() % 21)));
      for (let flips = next() % 4; flips >= 0 && buf.length > 0; flips--)
        buf[next() % buf.length] = next() & 0xff;
      const length = next() % 3 === 0 ? next() % 40 : buf.length;
      const options = next() % 2 === 0 ? { pseudo: V4 } : { allowTruncatedPayload: true };
      try {
        const udp = udpDatagram.decode(buf, 0, { length, ...options });
        assert.ok(udp.payload.length <= udp.length - 8);
        assert.equal(udp.payload.buffer, buf.buffer);
        decoded++;
      } catch (error) {
        assert.ok(error instanceof PacketDecodeError && error.layer === 'udp', String(error));
      }
    }
    assert.ok(decoded > 100, `some inputs decode (${decoded})`);
  });
});

describe('udpDatagram round trip', () => {
  const datagrams: UdpDatagramFields[] = [
    { pseudo: V4, sourcePort: 40000, destinationPort: 33434 },
    { pseudo: V6, sourcePort: 0xffff, destinationPort: 1, payload: Buffer.from('netdiag-tr') },
    { pseudo: V4, sourcePort: 1, destinationPort: 0xffff, payload: Buffer.from('odd') },
  ];
  for (const fields of datagrams) {
    it(`round-trips ${udpDatagram.encodingLength(fields)} bytes over ${String(fields.pseudo.source)}, checksum verified`, () => {
      assertRoundTrip(udpDatagram, fields);
    });
  }
});
