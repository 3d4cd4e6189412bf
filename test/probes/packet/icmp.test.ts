import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  ICMP_HEADER_LENGTH,
  IcmpType,
  IcmpUnreachableCode,
  IpProtocol,
  PacketDecodeError,
  PacketEncodeError,
  icmp,
  ipv4Header,
  type IcmpEchoInit,
  type IcmpErrorInit,
  type IcmpMessage,
  type PacketErrorCode,
} from '../../../probes/packet';
import { assertRoundTrip } from '../../support/round-trip';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** Linux ping's default 56-byte payload: an 8-byte timeval, then bytes 0x10..0x37. */
const PING_PAYLOAD = hex(
  'cbeb066b00000000006a080000000000101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637',
);

// Captured on a Linux loopback interface (IP header included).
const capturedRequest = hex(
  `45000054443540004001f8717f0000017f000001 08004ec40fa70001 ${PING_PAYLOAD.toString('hex')}`,
);
const capturedReply = hex(
  `4500005444360000400138717f0000017f000001 000056c40fa70001 ${PING_PAYLOAD.toString('hex')}`,
);
const capturedPortUnreachable = hex(
  '45c0004544930000400137637f0000017f000001 0303c9e400000000' +
    '45000029eda3400001118e1e7f0000017f000001 ba11829a0015fe28 6e6574646961672d70726f6265',
);
// Built by hand, checksums computed independently: a router (203.0.113.1) answering a
// traceroute UDP probe (192.0.2.10:54321 -> 198.51.100.7:33434, TTL 1) with time exceeded,
// quoting the whole probe; then the same quoting only IP header + 8 bytes (RFC 792).
const timeExceeded = hex(
  '45c0004412340000fe01abb8cb007101c000020a 0b00e16a00000000' +
    '45000028beef000001110e91c000020ac6336407 d431829a001428b6 6e6574646961672d74746c31',
);
const timeExceededShort = hex('0b00756900000000 45000028beef000001110e91c000020ac6336407 d431829a001428b6');
// Fragmentation needed, next-hop MTU 1400, quoting a DF echo request.
const fragmentationNeeded = hex('0304e88400000578 4500003c424240003f010d3ac000020ac6336407 0800f4c312340007');

/** The ICMP message inside a captured IPv4 datagram. */
function icmpOf(datagram: Buffer): Buffer {
  const ip = ipv4Header.decode(datagram, 0);
  return datagram.subarray(ip.headerLength, ip.totalLength);
}

describe('icmp.decode fixtures', () => {
  it('decodes a captured echo request', () => {
    const ip = ipv4Header.decode(capturedRequest, 0);
    assert.equal(ip.protocol, IpProtocol.Icmp);
    const msg = icmp.decode(capturedRequest, ip.headerLength, { length: ip.totalLength - ip.headerLength });
    assert.deepEqual(msg, {
      kind: 'echo',
      type: IcmpType.EchoRequest,
      code: 0,
      checksum: 0x4ec4,
      identifier: 0x0fa7,
      sequence: 1,
      payload: PING_PAYLOAD,
    });
  });

  it('decodes a captured echo reply', () => {
    const message = icmpOf(capturedReply);
    assert.deepEqual(icmp.decode(message), {
      kind: 'echo',
      type: IcmpType.EchoReply,
      code: 0,
      checksum: 0x56c4,
      identifier: 0x0fa7,
      sequence: 1,
      payload: PING_PAYLOAD,
    });
  });

  it('returns the echo payload as a view, not a copy', () => {
    const copy = Buffer.from(capturedRequest);
    const msg = icmp.decode(copy, 20, { length: 64 });
    assert.equal(msg.kind, 'echo');
    if (msg.kind !== 'echo') return;
    assert.equal(msg.payload.buffer, copy.buffer);
    assert.equal(msg.payload.byteOffset, copy.byteOffset + 28);
  });

  it('decodes a captured port unreachable and the UDP datagram it quotes', () => {
    const message = icmpOf(capturedPortUnreachable);
    const msg = icmp.decode(message);
    assert.equal(msg.kind, 'error');
    if (msg.kind !== 'error') return;
    assert.equal(msg.type, IcmpType.DestinationUnreachable);
    assert.equal(msg.code, IcmpUnreachableCode.Port);
    assert.equal(msg.checksum, 0xc9e4);
    assert.equal(msg.mtu, undefined);
    assert.equal(msg.pointer, undefined);
    const quotedIp = ipv4Header.decode(msg.quoted, 0, { allowTruncatedPayload: true });
    assert.equal(quotedIp.protocol, IpProtocol.Udp);
    assert.equal(quotedIp.ttl, 1);
    assert.equal(quotedIp.destination, '127.0.0.1');
    assert.equal(msg.quoted.readUInt16BE(quotedIp.headerLength + 2), 33434);
  });

  it('decodes a time exceeded quoting a whole UDP probe', () => {
    const ip = ipv4Header.decode(timeExceeded, 0);
    assert.equal(ip.source, '203.0.113.1');
    const msg = icmp.decode(timeExceeded, 20, { length: ip.totalLength - 20 });
    assert.deepEqual(msg, {
      kind: 'error',
      type: IcmpType.TimeExceeded,
      code: 0,
      checksum: 0xe16a,
      quoted: timeExceeded.subarray(28),
    });
    const quotedIp = ipv4Header.decode((msg as { quoted: Buffer }).quoted, 0);
    assert.deepEqual(
      [quotedIp.source, quotedIp.destination, quotedIp.identification, quotedIp.ttl],
      ['192.0.2.10', '198.51.100.7', 0xbeef, 1],
    );
  });

  it('decodes a time exceeded quoting only header + 8 bytes', () => {
    const msg = icmp.decode(timeExceededShort);
    assert.equal(msg.kind, 'error');
    if (msg.kind !== 'error') return;
    assert.equal(msg.quoted.length, 28);
    assert.throws(
      () => ipv4Header.decode(msg.quoted, 0),
      (e: unknown) => e instanceof PacketDecodeError && e.code === 'ERR_PACKET_BAD_LENGTH',
    );
    const quotedIp = ipv4Header.decode(msg.quoted, 0, { allowTruncatedPayload: true });
    assert.equal(quotedIp.totalLength, 40);
    assert.equal(msg.quoted.readUInt16BE(20), 54321);
  });

  it('decodes fragmentation needed with its next-hop MTU', () => {
    const msg = icmp.decode(fragmentationNeeded);
    assert.deepEqual(msg, {
      kind: 'error',
      type: 3,
      code: 4,
      checksum: 0xe884,
      quoted: fragmentationNeeded.subarray(8),
      mtu: 1400,
    });
  });

  it('decodes a parameter problem with its pointer', () => {
    const bytes = hex('0c00e7ff0c000000');
    assert.deepEqual(icmp.decode(bytes, 0, { length: 8 }), {
      kind: 'error',
      type: 12,
      code: 0,
      checksum: 0xe7ff,
      quoted: Buffer.alloc(0),
      pointer: 12,
    });
  });

  const others: [string, string][] = [
    ['redirect', '0501 fcfd c0000201 45000014'],
    ['source quench', '0400 fbff 00000000'],
    ['timestamp request', '0d00 f2fe 00010000 00000000 00000000 00000000'],
    ['router advertisement', '0900 f6ff 00000000'],
  ];
  for (const [name, bytesHex] of others) {
    it(`decodes a ${name} as 'other'`, () => {
      const bytes = hex(bytesHex);
      // Fix the checksum independently of the code under test.
      bytes.writeUInt16BE(0, 2);
      let sum = 0;
      for (let i = 0; i < bytes.length; i += 2) sum += bytes.readUInt16BE(i);
      while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
      bytes.writeUInt16BE(~sum & 0xffff, 2);
      assert.deepEqual(icmp.decode(bytes), {
        kind: 'other',
        type: bytes[0],
        code: bytes[1],
        checksum: bytes.readUInt16BE(2),
        body: bytes.subarray(4),
      });
    });
  }
});

describe('icmp.encode of an echo', () => {
  it('reproduces the captured echo request byte for byte', () => {
    const buf = Buffer.alloc(64);
    const written = icmp.encode(
      { type: IcmpType.EchoRequest, identifier: 0x0fa7, sequence: 1, payload: PING_PAYLOAD },
      buf,
      0,
    );
    assert.equal(written, buf);
    assert.deepEqual(buf, icmpOf(capturedRequest));
  });

  it('round-trips decode -> encode for the captured reply', () => {
    const message = icmpOf(capturedReply);
    const msg = icmp.decode(message);
    assert.equal(msg.kind, 'echo');
    const out = Buffer.alloc(message.length + 10);
    assert.equal(icmp.encode(msg as IcmpEchoInit, out, 5), out);
    assert.deepEqual(out.subarray(5, 5 + message.length), message);
  });

  const echoes: IcmpEchoInit[] = [
    { type: IcmpType.EchoRequest, identifier: 0, sequence: 0, payload: Buffer.alloc(0) },
    { type: IcmpType.EchoReply, code: 0, identifier: 0xffff, sequence: 0xffff, payload: Buffer.from('odd') },
    { type: IcmpType.EchoRequest, identifier: 1234, sequence: 42, payload: Buffer.alloc(1472, 0xa5) },
    { type: IcmpType.EchoRequest, code: 7, identifier: 1, sequence: 2, payload: Buffer.alloc(65527, 0xff) },
  ];
  for (const init of echoes) {
    it(`round-trips encode -> decode: type ${init.type}, ${init.payload.length}-byte payload`, () => {
      const buf = Buffer.alloc(ICMP_HEADER_LENGTH + init.payload.length);
      assert.equal(icmp.encode(init, buf, 0), buf);
      assert.equal(icmp.encodingLength(init), buf.length);
      const msg = icmp.decode(buf);
      assert.deepEqual(msg, {
        kind: 'echo',
        type: init.type,
        code: init.code ?? 0,
        checksum: buf.readUInt16BE(2),
        identifier: init.identifier,
        sequence: init.sequence,
        payload: init.payload,
      });
    });
  }
});

describe('icmp.encode of an error', () => {
  const errors: { init: IcmpErrorInit; expected: Partial<IcmpMessage> }[] = [
    { init: { type: 11, code: 0, quoted: timeExceeded.subarray(28) }, expected: {} },
    { init: { type: 11, code: 1, quoted: Buffer.alloc(0) }, expected: {} },
    { init: { type: 3, code: 3, quoted: capturedPortUnreachable.subarray(28) }, expected: {} },
    {
      init: { type: 3, code: 4, quoted: fragmentationNeeded.subarray(8), mtu: 1400 },
      expected: { mtu: 1400 },
    },
    { init: { type: 3, code: 4, quoted: Buffer.alloc(28), mtu: 0xffff }, expected: { mtu: 0xffff } },
    { init: { type: 12, code: 0, quoted: Buffer.alloc(28, 0x45), pointer: 8 }, expected: { pointer: 8 } },
    { init: { type: 12, code: 2, quoted: Buffer.alloc(3, 1), pointer: 255 }, expected: { pointer: 255 } },
  ];
  for (const { init, expected } of errors) {
    it(`round-trips type ${init.type} code ${init.code} with ${init.quoted.length} quoted bytes`, () => {
      const buf = Buffer.alloc(ICMP_HEADER_LENGTH + init.quoted.length);
      assert.equal(icmp.encode(init, buf, 0), buf);
      assert.deepEqual(icmp.decode(buf), {
        kind: 'error',
        type: init.type,
        code: init.code,
        checksum: buf.readUInt16BE(2),
        quoted: init.quoted,
        ...expected,
      });
    });
  }

  it('reproduces the hand-built time exceeded and fragmentation needed messages', () => {
    const buf = Buffer.alloc(timeExceeded.length - 20);
    icmp.encode({ type: 11, code: 0, quoted: timeExceeded.subarray(28) }, buf, 0);
    assert.deepEqual(buf, timeExceeded.subarray(20));
    const decoded = icmp.decode(fragmentationNeeded);
    const out = Buffer.alloc(fragmentationNeeded.length);
    icmp.encode(decoded as IcmpErrorInit, out, 0);
    assert.deepEqual(out, fragmentationNeeded);
  });

  it('writes an unset frag-needed MTU as 0 (a pre-RFC 1191 router)', () => {
    const buf = Buffer.alloc(8);
    icmp.encode({ type: 3, code: 4, quoted: Buffer.alloc(0) }, buf, 0);
    assert.equal((icmp.decode(buf, 0, { length: 8 }) as { mtu?: number }).mtu, 0);
  });
});

describe('ICMP encoder argument checks', () => {
  const echo: IcmpEchoInit = { type: 8, identifier: 1, sequence: 1, payload: Buffer.alloc(4) };
  const rows: [string, () => unknown, PacketErrorCode][] = [
    [
      'echo with type 3',
      () => icmp.encode({ ...echo, type: 3 }, Buffer.alloc(64), 0),
      'ERR_PACKET_BAD_FIELD',
    ],
    [
      'echo with ICMPv6 type 128',
      () => icmp.encode({ ...echo, type: 128 }, Buffer.alloc(64), 0),
      'ERR_PACKET_BAD_FIELD',
    ],
    [
      'identifier 65536',
      () => icmp.encode({ ...echo, identifier: 65536 }, Buffer.alloc(64), 0),
      'ERR_PACKET_BAD_FIELD',
    ],
    [
      'sequence -1',
      () => icmp.encode({ ...echo, sequence: -1 }, Buffer.alloc(64), 0),
      'ERR_PACKET_BAD_FIELD',
    ],
    ['code 256', () => icmp.encode({ ...echo, code: 256 }, Buffer.alloc(64), 0), 'ERR_PACKET_BAD_FIELD'],
    [
      'payload over 65527 bytes',
      () => icmp.encode({ ...echo, payload: Buffer.alloc(65528) }, Buffer.alloc(70000), 0),
      'ERR_PACKET_BAD_FIELD',
    ],
    ['echo into 11 bytes', () => icmp.encode(echo, Buffer.alloc(11), 0), 'ERR_PACKET_BUFFER_TOO_SMALL'],
    [
      'echo at offset 1 of 12 bytes',
      () => icmp.encode(echo, Buffer.alloc(12), 1),
      'ERR_PACKET_BUFFER_TOO_SMALL',
    ],
    [
      'error with echo type',
      () => icmp.encode({ type: 8, code: 0, quoted: Buffer.alloc(0) }, Buffer.alloc(64), 0),
      'ERR_PACKET_BAD_FIELD',
    ],
    [
      'error with redirect type',
      () => icmp.encode({ type: 5, code: 0, quoted: Buffer.alloc(0) }, Buffer.alloc(64), 0),
      'ERR_PACKET_BAD_FIELD',
    ],
    [
      'mtu on time exceeded',
      () => icmp.encode({ type: 11, code: 0, quoted: Buffer.alloc(0), mtu: 1500 }, Buffer.alloc(64), 0),
      'ERR_PACKET_BAD_FIELD',
    ],
    [
      'mtu on port unreachable',
      () => icmp.encode({ type: 3, code: 3, quoted: Buffer.alloc(0), mtu: 1500 }, Buffer.alloc(64), 0),
      'ERR_PACKET_BAD_FIELD',
    ],
    [
      'mtu 65536',
      () => icmp.encode({ type: 3, code: 4, quoted: Buffer.alloc(0), mtu: 65536 }, Buffer.alloc(64), 0),
      'ERR_PACKET_BAD_FIELD',
    ],
    [
      'pointer on destination unreachable',
      () => icmp.encode({ type: 3, code: 1, quoted: Buffer.alloc(0), pointer: 1 }, Buffer.alloc(64), 0),
      'ERR_PACKET_BAD_FIELD',
    ],
    [
      'pointer 256',
      () => icmp.encode({ type: 12, code: 0, quoted: Buffer.alloc(0), pointer: 256 }, Buffer.alloc(64), 0),
      'ERR_PACKET_BAD_FIELD',
    ],
    [
      'error into too small a buffer',
      () => icmp.encode({ type: 11, code: 0, quoted: Buffer.alloc(20) }, Buffer.alloc(27), 0),
      'ERR_PACKET_BUFFER_TOO_SMALL',
    ],
  ];
  for (const [name, run, code] of rows) {
    it(`${name} -> ${code}`, () => {
      assert.throws(
        run,
        (e: unknown) => e instanceof PacketEncodeError && e.code === code && e.layer === 'icmpv4',
      );
    });
  }

  it('leaves the buffer untouched when a field is invalid', () => {
    const buf = Buffer.alloc(16, 0xaa);
    assert.throws(() => icmp.encode({ ...echo, sequence: 70000 }, buf, 0), PacketEncodeError);
    assert.deepEqual(buf, Buffer.alloc(16, 0xaa));
  });
});

describe('icmp.decode malformed input', () => {
  const request = icmpOf(capturedRequest);
  const rows: {
    name: string;
    bytes: Buffer;
    offset?: number;
    length?: number;
    code: PacketErrorCode;
    errorOffset: number;
  }[] = [
    { name: 'empty message', bytes: Buffer.alloc(0), code: 'ERR_PACKET_TRUNCATED', errorOffset: 0 },
    { name: '4 bytes', bytes: request.subarray(0, 4), code: 'ERR_PACKET_TRUNCATED', errorOffset: 0 },
    { name: '7 bytes', bytes: request.subarray(0, 7), code: 'ERR_PACKET_TRUNCATED', errorOffset: 0 },
    {
      name: 'length 7 inside a longer buffer',
      bytes: request,
      length: 7,
      code: 'ERR_PACKET_TRUNCATED',
      errorOffset: 0,
    },
    {
      name: 'length beyond the buffer',
      bytes: request,
      offset: 1,
      length: 64,
      code: 'ERR_PACKET_TRUNCATED',
      errorOffset: 1,
    },
    {
      name: 'offset past the end',
      bytes: request,
      offset: 70,
      length: 8,
      code: 'ERR_PACKET_TRUNCATED',
      errorOffset: 70,
    },
    {
      name: 'last payload byte cut off (checksum no longer matches)',
      bytes: request.subarray(0, 63),
      code: 'ERR_PACKET_BAD_CHECKSUM',
      errorOffset: 2,
    },
    {
      name: 'flipped payload bit',
      bytes: Buffer.concat([request.subarray(0, 40), hex('ff'), request.subarray(41)]),
      code: 'ERR_PACKET_BAD_CHECKSUM',
      errorOffset: 2,
    },
    {
      name: 'flipped type (request -> reply)',
      bytes: Buffer.concat([hex('00'), request.subarray(1)]),
      code: 'ERR_PACKET_BAD_CHECKSUM',
      errorOffset: 2,
    },
    {
      name: 'bad checksum in an error message',
      bytes: Buffer.concat([hex('0b00e16b'), timeExceeded.subarray(24)]),
      code: 'ERR_PACKET_BAD_CHECKSUM',
      errorOffset: 2,
    },
  ];
  for (const { name, bytes, offset = 0, length, code, errorOffset } of rows) {
    it(`${name} -> ${code}`, () => {
      assert.throws(
        () => icmp.decode(bytes, offset, { length: length ?? bytes.length - offset }),
        (e: unknown) =>
          e instanceof PacketDecodeError &&
          e.code === code &&
          e.layer === 'icmpv4' &&
          e.offset === errorOffset,
      );
    });
  }

  it('decodes a bad checksum when verifyChecksum is false', () => {
    const bytes = Buffer.concat([request.subarray(0, 2), hex('0000'), request.subarray(4)]);
    const msg = icmp.decode(bytes, 0, { verifyChecksum: false });
    assert.equal(msg.checksum, 0);
    assert.equal(msg.kind, 'echo');
  });

  it('words a short message error with what, where and how much', () => {
    assert.throws(() => icmp.decode(request, 10, { length: 6 }), {
      name: 'PacketDecodeError',
      message: 'icmpv4: header needs 8 bytes at offset 10, message has 6',
    });
  });
});

describe('icmp round trip', () => {
  const messages: (IcmpEchoInit | IcmpErrorInit)[] = [
    { type: IcmpType.EchoRequest, identifier: 0x0fa7, sequence: 1, payload: PING_PAYLOAD },
    { type: IcmpType.EchoReply, code: 0, identifier: 0xffff, sequence: 0, payload: Buffer.from('odd') },
    { type: IcmpType.TimeExceeded, code: 0, quoted: timeExceeded.subarray(28) },
    { type: IcmpType.DestinationUnreachable, code: 4, quoted: Buffer.alloc(28, 0x45), mtu: 1400 },
    { type: IcmpType.ParameterProblem, code: 0, quoted: Buffer.alloc(28, 0x45), pointer: 8 },
  ];
  for (const fields of messages) {
    it(`round-trips type ${fields.type}, ${icmp.encodingLength(fields)} bytes`, () => {
      assertRoundTrip(icmp, fields);
    });
  }
});
