import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  IpProtocol,
  PacketDecodeError,
  PacketEncodeError,
  TcpFlag,
  ipv4Header,
  ipv6Header,
  tcpSegment,
  mssOf,
  mssOption,
  pseudoHeaderSum,
  tcpChecksum,
  tcpFlagLetters,
  type PacketErrorCode,
  type PseudoHeader,
  type TcpSegmentFields,
} from '../../../probes/packet';
import { assertRoundTrip } from '../../support/round-trip';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// Captured with `tcpdump -w` on the client end of a lab delay link (TUN devices, so every checksum
// is complete): knocks from 10.0.1.1 / fd00:0:0:1::1 to a python http.server on port 8080 and to
// the closed port 8081. Our SYNs were accepted by the target's kernel (it answered them); the
// SYN-ACKs and RST+ACKs come from the target's kernel, the RSTs from the client's kernel.
const captured = {
  synV4: hex('4500002c01f24000400622d80a0001010a000102 a5191f90bb7c793a000000006002faf08dd20000020405b4'),
  synAckV4: hex('4500002c00004000400624ca0a0001020a000101 1f90a5191c5776ebbb7c793b6012faf0fa7e0000020405b4'),
  rstV4: hex('4500002800004000400624ce0a0001010a000102 a5191f90bb7c793b0000000050040000a07c0000'),
  rstAckV4: hex('4500002800004000400624ce0a0001020a000101 1f91a31900000000f04d9f0c5014000047c90000'),
  synV6: hex(
    '600ac30f00180640fd000000000000010000000000000001fd000000000000010000000000000002' +
      '9a851f9081f73422000000006002faf033000000020405b4',
  ),
  synAckV6: hex(
    '600dd2f000180640fd000000000000010000000000000002fd000000000000010000000000000001' +
      '1f909a85d8b0eaa681f734236012fd206d7b0000020405a0',
  ),
  rstV6: hex(
    '6007778900140640fd000000000000010000000000000001fd000000000000010000000000000002' +
      '9a851f9081f73423000000005004000045aa0000',
  ),
  rstAckV6: hex(
    '600f2d9300140640fd000000000000010000000000000002fd000000000000010000000000000001' +
      '1f919ecf00000000c6e6a76e5014000089140000',
  ),
};

/** The TCP segment of a captured IP packet and the pseudo-header of its addresses. */
function split(packet: Buffer): { segment: Buffer; pseudo: PseudoHeader } {
  if (packet[0]! >> 4 === 4) {
    const ip = ipv4Header.decode(packet, 0);
    assert.equal(ip.protocol, IpProtocol.Tcp);
    return {
      segment: packet.subarray(ip.headerLength, ip.totalLength),
      pseudo: { source: ip.source, destination: ip.destination },
    };
  }
  const ip = ipv6Header.decode(packet, 0);
  assert.equal(ip.nextHeader, IpProtocol.Tcp);
  return { segment: packet.subarray(40), pseudo: { source: ip.source, destination: ip.destination } };
}

describe('tcpSegment.decode on captured segments', () => {
  it('decodes the kernel SYN-ACK (IPv4) and verifies its checksum', () => {
    const { segment, pseudo } = split(captured.synAckV4);
    const tcp = tcpSegment.decode(segment, 0, { pseudo });
    assert.deepEqual(tcp, {
      sourcePort: 8080,
      destinationPort: 0xa519,
      sequence: 0x1c5776eb,
      acknowledgment: 0xbb7c793b,
      flags: TcpFlag.SYN | TcpFlag.ACK,
      window: 64240,
      checksum: 0xfa7e,
      urgentPointer: 0,
      headerLength: 24,
      options: hex('020405b4'),
      payload: Buffer.alloc(0),
    });
    assert.equal(mssOf(tcp.options), 1460);
    assert.equal(tcpFlagLetters(tcp.flags), 'SA');
  });

  it('decodes the kernel RST+ACK of a closed port (IPv6) and verifies its checksum', () => {
    const { segment, pseudo } = split(captured.rstAckV6);
    const tcp = tcpSegment.decode(segment, 0, { pseudo });
    assert.equal(tcp.flags, TcpFlag.RST | TcpFlag.ACK);
    assert.equal(tcpFlagLetters(tcp.flags), 'RA');
    assert.equal(tcp.sequence, 0);
    assert.equal(tcp.acknowledgment, 0xc6e6a76e);
    assert.equal(tcp.headerLength, 20);
    assert.equal(tcp.options.length, 0);
  });

  for (const [name, packet] of Object.entries(captured)) {
    it(`verifies the checksum of the captured ${name}, and tcpChecksum recomputes it`, () => {
      const { segment, pseudo } = split(packet);
      assert.doesNotThrow(() => tcpSegment.decode(segment, 0, { pseudo }));
      assert.equal(tcpChecksum(segment, pseudo), 0, 'a valid segment sums to zero');
      const zeroed = Buffer.from(segment);
      zeroed.writeUInt16BE(0, 16);
      assert.equal(tcpChecksum(zeroed, pseudo), segment.readUInt16BE(16));
    });
  }

  it('the SYN-ACK acknowledges the captured SYN (sequence + 1), and the kernel RST takes that sequence', () => {
    const syn = tcpSegment.decode(split(captured.synV4).segment, 0, { length: 24 });
    const synAck = tcpSegment.decode(split(captured.synAckV4).segment, 0, { length: 24 });
    const rst = tcpSegment.decode(split(captured.rstV4).segment, 0, { length: 20 });
    assert.equal(synAck.acknowledgment, (syn.sequence + 1) >>> 0);
    assert.equal(rst.sequence, synAck.acknowledgment);
    assert.equal(rst.flags, TcpFlag.RST);
  });
});

describe('tcpSegment.encode', () => {
  it('re-encodes every captured segment byte for byte (our SYNs were accepted by the kernel)', () => {
    for (const packet of Object.values(captured)) {
      const { segment, pseudo } = split(packet);
      const decoded = tcpSegment.decode(segment);
      assert.deepEqual(tcpSegment.encode({ pseudo, ...decoded }), segment);
    }
  });

  it('writes at an offset into a given buffer and returns that buffer', () => {
    const { segment, pseudo } = split(captured.synV6);
    const fields = tcpSegment.decode(segment);
    const buf = Buffer.alloc(100, 0xee);
    const written = tcpSegment.encode({ pseudo, ...fields }, buf, 40);
    assert.equal(written, buf);
    assert.equal(tcpSegment.encodingLength({ pseudo, ...fields }), 24);
    assert.deepEqual(buf.subarray(40, 64), segment);
    assert.equal(buf[39], 0xee);
    assert.equal(buf[64], 0xee);
  });

  it('round-trips payload, options and every flag; acknowledgment and urgent pointer default to 0', () => {
    const pseudo = { source: '192.0.2.1', destination: '198.51.100.7' };
    const fields: Omit<TcpSegmentFields, 'pseudo'> = {
      sourcePort: 1,
      destinationPort: 65535,
      sequence: 0xffffffff,
      flags: 0xff,
      window: 0,
      options: Buffer.concat([mssOption(536), hex('01010402')]),
      payload: Buffer.from('odd'),
    };
    const bytes = tcpSegment.encode({ pseudo, ...fields });
    const tcp = tcpSegment.decode(bytes, 0, { pseudo });
    assert.equal(tcp.acknowledgment, 0);
    assert.equal(tcp.urgentPointer, 0);
    assert.equal(tcp.headerLength, 28);
    assert.equal(tcpFlagLetters(tcp.flags), 'FSRPAUEC');
    assert.equal(mssOf(tcp.options), 536);
    assert.deepEqual(tcp.payload, Buffer.from('odd'));
  });

  const invalid: Array<{
    name: string;
    fields: Partial<TcpSegmentFields>;
    pseudo?: PseudoHeader;
    code: PacketErrorCode;
  }> = [
    { name: 'port above 65535', fields: { sourcePort: 65536 }, code: 'ERR_PACKET_BAD_FIELD' },
    { name: 'negative sequence', fields: { sequence: -1 }, code: 'ERR_PACKET_BAD_FIELD' },
    { name: 'sequence beyond 32 bits', fields: { sequence: 2 ** 32 }, code: 'ERR_PACKET_BAD_FIELD' },
    { name: 'flags beyond 8 bits', fields: { flags: 0x100 }, code: 'ERR_PACKET_BAD_FIELD' },
    { name: 'fractional window', fields: { window: 1.5 }, code: 'ERR_PACKET_BAD_FIELD' },
    { name: 'options not a multiple of 4', fields: { options: hex('020405') }, code: 'ERR_PACKET_BAD_FIELD' },
    { name: 'options over 40 bytes', fields: { options: Buffer.alloc(44, 1) }, code: 'ERR_PACKET_BAD_FIELD' },
    {
      name: 'payload over 65535 bytes',
      fields: { payload: Buffer.alloc(65516) },
      code: 'ERR_PACKET_BAD_FIELD',
    },
    {
      name: 'families mixed in the pseudo-header',
      fields: {},
      pseudo: { source: '192.0.2.1', destination: '2001:db8::1' },
      code: 'ERR_PACKET_BAD_ADDRESS',
    },
    {
      name: 'unparsable address',
      fields: {},
      pseudo: { source: 'example.com', destination: '2001:db8::1' },
      code: 'ERR_PACKET_BAD_ADDRESS',
    },
  ];
  for (const { name, fields, pseudo, code } of invalid) {
    it(`rejects ${name} with ${code}, leaving the buffer untouched`, () => {
      const base: Omit<TcpSegmentFields, 'pseudo'> = {
        sourcePort: 1,
        destinationPort: 2,
        sequence: 3,
        flags: TcpFlag.SYN,
        window: 4,
      };
      const buf = Buffer.alloc(100, 0xaa);
      assert.throws(
        () =>
          tcpSegment.encode(
            { pseudo: pseudo ?? { source: '192.0.2.1', destination: '192.0.2.2' }, ...base, ...fields },
            buf,
          ),
        (error: unknown) => error instanceof PacketEncodeError && error.code === code,
      );
      assert.ok(buf.every((b) => b === 0xaa));
    });
  }

  it('rejects a buffer too small', () => {
    assert.throws(
      () =>
        tcpSegment.encode(
          {
            pseudo: { source: '192.0.2.1', destination: '192.0.2.2' },
            sourcePort: 1,
            destinationPort: 2,
            sequence: 3,
            flags: TcpFlag.SYN,
            window: 4,
          },
          Buffer.alloc(30),
          11,
        ),
      (error: unknown) => error instanceof PacketEncodeError && error.code === 'ERR_PACKET_BUFFER_TOO_SMALL',
    );
  });
});

describe('tcpSegment.decode on malformed input', () => {
  const { segment: synAck, pseudo } = split(captured.synAckV4);
  const withByte = (index: number, value: number): Buffer => {
    const copy = Buffer.from(synAck);
    copy[index] = value;
    return copy;
  };
  const cases: Array<{
    name: string;
    buf: Buffer;
    offset?: number;
    length?: number;
    pseudo?: PseudoHeader;
    code: PacketErrorCode;
  }> = [
    { name: 'empty', buf: Buffer.alloc(0), code: 'ERR_PACKET_TRUNCATED' },
    { name: '19 bytes', buf: synAck.subarray(0, 19), code: 'ERR_PACKET_TRUNCATED' },
    { name: 'length beyond the buffer', buf: synAck, length: 25, code: 'ERR_PACKET_TRUNCATED' },
    {
      name: 'offset leaves too few bytes',
      buf: synAck,
      offset: 10,
      length: 14,
      code: 'ERR_PACKET_TRUNCATED',
    },
    { name: 'data offset 4 (16-byte header)', buf: withByte(12, 0x40), code: 'ERR_PACKET_BAD_HEADER_LENGTH' },
    { name: 'data offset 0', buf: withByte(12, 0x00), code: 'ERR_PACKET_BAD_HEADER_LENGTH' },
    { name: 'data offset beyond the segment', buf: withByte(12, 0x70), code: 'ERR_PACKET_BAD_HEADER_LENGTH' },
    {
      name: 'options cut off (header 24, segment 22)',
      buf: synAck.subarray(0, 22),
      code: 'ERR_PACKET_BAD_HEADER_LENGTH',
    },
    { name: 'a flipped bit', buf: withByte(13, 0x13), pseudo, code: 'ERR_PACKET_BAD_CHECKSUM' },
    {
      name: 'the wrong pseudo-header',
      buf: synAck,
      pseudo: { source: '10.0.1.3', destination: '10.0.1.1' },
      code: 'ERR_PACKET_BAD_CHECKSUM',
    },
  ];
  for (const c of cases) {
    it(`rejects ${c.name} with ${c.code}`, () => {
      const offset = c.offset ?? 0;
      const length = c.length ?? c.buf.length - offset;
      assert.throws(
        () =>
          tcpSegment.decode(c.buf, offset, {
            length,
            ...(c.pseudo ? { pseudo: c.pseudo } : undefined),
          }),
        (error: unknown) =>
          error instanceof PacketDecodeError && error.code === c.code && error.layer === 'tcp',
      );
    });
  }

  it('decodes a bad checksum when no pseudo-header is given', () => {
    assert.equal(tcpSegment.decode(withByte(13, 0x13), 0, { length: 24 }).flags, 0x13);
  });

  it('throws RangeError for a negative offset (a caller bug, not a packet error)', () => {
    assert.throws(() => tcpSegment.decode(synAck, -1, { length: 20 }), RangeError);
  });
});

describe('mssOf', () => {
  const cases: Array<[string, string, number | undefined]> = [
    ['only MSS', '020405b4', 1460],
    ['after NOPs and a window scale', '0101030307020405b4000000', 1460],
    ['none', '01010101', undefined],
    ['end of options first', '00020405b4', undefined],
    ['truncated MSS', '0204', undefined],
    ['zero-length option', '0800020405b4', undefined],
    ['MSS of wrong length', '02030505', undefined],
  ];
  for (const [name, options, expected] of cases) {
    it(`${name}: ${String(expected)}`, () => assert.equal(mssOf(hex(options)), expected));
  }
});

/** xorshift32 (Marsaglia): a fixed seed, so a failure reproduces. */
function xorshift(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state;
  };
}

describe('TCP codec properties (seeded)', () => {
  it('encode then decode returns the fields, with a verified checksum, for 2,000 random segments', () => {
    const next = xorshift(0x7c9a11);
    for (let i = 0; i < 2000; i++) {
      const v6 = (next() & 1) === 1;
      const pseudo = v6
        ? {
            source: `2001:db8::${(next() & 0xffff).toString(16)}`,
            destination: `fd00::${(next() & 0xffff).toString(16)}:1`,
          }
        : {
            source: `10.${next() & 255}.${next() & 255}.${next() & 255}`,
            destination: `192.0.2.${next() & 255}`,
          };
      const options = Buffer.alloc(4 * (next() % 11));
      for (let j = 0; j < options.length; j++) options[j] = next() & 0xff;
      const payload = Buffer.alloc(next() % 64);
      for (let j = 0; j < payload.length; j++) payload[j] = next() & 0xff;
      const fields = {
        sourcePort: next() & 0xffff,
        destinationPort: next() & 0xffff,
        sequence: next(),
        acknowledgment: next(),
        flags: next() & 0xff,
        window: next() & 0xffff,
        urgentPointer: next() & 0xffff,
        options,
        payload,
      };
      const bytes = tcpSegment.encode({ pseudo, ...fields });
      const decoded = tcpSegment.decode(bytes, 0, { pseudo });
      assert.deepEqual(
        { ...decoded, checksum: undefined, headerLength: undefined },
        { ...fields, checksum: undefined, headerLength: undefined },
      );
      assert.equal(decoded.headerLength, 20 + options.length);
      // The checksum is the one's complement of the pseudo-header and segment sums.
      assert.equal(tcpChecksum(bytes, pseudo), 0);
      assert.ok(pseudoHeaderSum(pseudo.source, pseudo.destination, IpProtocol.Tcp, bytes.length) > 0);
    }
  });

  it('random and mutated bytes either decode or throw PacketDecodeError, never anything else', () => {
    const next = xorshift(0xdecade);
    const seeds = Object.values(captured).map((packet) => split(packet));
    let decoded = 0;
    for (let i = 0; i < 5000; i++) {
      const { segment, pseudo } = seeds[next() % seeds.length]!;
      let buf: Buffer;
      if (next() % 4 === 0) {
        buf = Buffer.alloc(next() % 80);
        for (let j = 0; j < buf.length; j++) buf[j] = next() & 0xff;
      } else {
        buf = Buffer.from(segment.subarray(0, next() % (segment.length + 1)));
        for (let f = next() % 4; f > 0 && buf.length > 0; f--) {
          const at = next() % buf.length;
          buf[at] = buf[at]! ^ (1 << (next() % 8));
        }
      }
      const length = next() % 8 === 0 ? next() % (buf.length + 4) : buf.length;
      try {
        tcpSegment.decode(buf, 0, { length, ...(next() % 2 === 0 ? { pseudo } : undefined) });
        decoded++;
      } catch (error) {
        assert.ok(error instanceof PacketDecodeError, `unexpected ${String(error)}`);
      }
    }
    assert.ok(decoded > 100, `some inputs decode (${decoded})`);
  });
});

describe('tcpSegment round trip', () => {
  const segments: TcpSegmentFields[] = [
    {
      pseudo: { source: '10.0.1.1', destination: '10.0.1.2' },
      sourcePort: 0xa519,
      destinationPort: 8080,
      sequence: 0xbb7c793a,
      flags: TcpFlag.SYN,
      window: 64240,
      options: mssOption(1460),
    },
    {
      pseudo: { source: 'fd00:0:0:1::2', destination: 'fd00:0:0:1::1' },
      sourcePort: 8080,
      destinationPort: 0x9a85,
      sequence: 0xffffffff,
      acknowledgment: 1,
      flags: TcpFlag.SYN | TcpFlag.ACK,
      window: 0xffff,
      urgentPointer: 7,
      options: Buffer.concat([mssOption(1440), hex('01010402')]),
      payload: Buffer.from('odd'),
    },
  ];
  for (const fields of segments) {
    it(`round-trips ${tcpFlagLetters(fields.flags)} over ${String(fields.pseudo.source)}, checksum verified`, () => {
      assertRoundTrip(tcpSegment, fields);
    });
  }
});
