import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  ICMPV6_HEADER_LENGTH,
  Icmpv6Type,
  Icmpv6UnreachableCode,
  IpProtocol,
  PacketDecodeError,
  PacketEncodeError,
  addressToBytes,
  decodeIcmpv6,
  decodeIpv6Header,
  encodeIcmpv6Echo,
  encodeIcmpv6Error,
  type IcmpEchoInit,
  type IcmpErrorInit,
  type Icmpv6Addresses,
  type PacketErrorCode,
} from '../../../probes/packet';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

const LOOPBACK = '00000000000000000000000000000001';
const loopback: Icmpv6Addresses = { source: '::1', destination: '::1' };

// Captured on a Linux loopback interface (`ping -6 -s 16 ::1`, and the port unreachable
// answering a UDP datagram to a closed port), IPv6 header included.
const capturedRequest = hex(
  `600239a100183a40 ${LOOPBACK} ${LOOPBACK} 80004a230fa80001 cbeb066b000000004b88080000000000`,
);
const capturedReply = hex(
  `6009a39500183a40 ${LOOPBACK} ${LOOPBACK} 810049230fa80001 cbeb066b000000004b88080000000000`,
);
const capturedPortUnreachable = hex(
  `6004687f00403a40 ${LOOPBACK} ${LOOPBACK} 0104b8ef00000000` +
    `6001e71000101140 ${LOOPBACK} ${LOOPBACK} b6fb829b00100023 6e65746469616736`,
);
// Built by hand, checksums computed independently: router 2001:db8:ffff::1 tells
// 2001:db8::10 that its echo request to 2001:db8:1::7 was too big (MTU 1280) / timed out.
const QUOTED_ECHO =
  '6000000000183a40 20010db8000000000000000000000010 20010db8000100000000000000000007' +
  '80005fe500770003 78787878787878787878787878787878';
const routerToHost: Icmpv6Addresses = { source: '2001:db8:ffff::1', destination: '2001:db8::10' };
const packetTooBig = hex(`020002f400000500 ${QUOTED_ECHO}`);
const timeExceeded = hex(`030006f400000000 ${QUOTED_ECHO}`);

const PAYLOAD = hex('cbeb066b000000004b88080000000000');

/** The ICMPv6 message inside a captured IPv6 packet, and its addresses. */
function icmpv6Of(packet: Buffer): { message: Buffer; addresses: Icmpv6Addresses } {
  const ip = decodeIpv6Header(packet, 0);
  assert.equal(ip.nextHeader, IpProtocol.Icmpv6);
  return {
    message: packet.subarray(40, 40 + ip.payloadLength),
    addresses: { source: ip.source, destination: ip.destination },
  };
}

describe('decodeIcmpv6 fixtures', () => {
  it('decodes a captured echo request, verifying its checksum', () => {
    const { message, addresses } = icmpv6Of(capturedRequest);
    assert.deepEqual(decodeIcmpv6(message, 0, message.length, { addresses }), {
      kind: 'echo',
      type: Icmpv6Type.EchoRequest,
      code: 0,
      checksum: 0x4a23,
      identifier: 0x0fa8,
      sequence: 1,
      payload: PAYLOAD,
    });
  });

  it('decodes a captured echo reply in place, after the IPv6 header', () => {
    assert.deepEqual(decodeIcmpv6(capturedReply, 40, 24, { addresses: loopback }), {
      kind: 'echo',
      type: Icmpv6Type.EchoReply,
      code: 0,
      checksum: 0x4923,
      identifier: 0x0fa8,
      sequence: 1,
      payload: PAYLOAD,
    });
  });

  it('decodes a captured port unreachable and the packet it quotes', () => {
    const { message, addresses } = icmpv6Of(capturedPortUnreachable);
    const msg = decodeIcmpv6(message, 0, message.length, { addresses });
    assert.deepEqual(msg, {
      kind: 'error',
      type: Icmpv6Type.DestinationUnreachable,
      code: Icmpv6UnreachableCode.Port,
      checksum: 0xb8ef,
      quoted: message.subarray(8),
    });
    if (msg.kind !== 'error') return;
    const quoted = decodeIpv6Header(msg.quoted, 0);
    assert.equal(quoted.nextHeader, IpProtocol.Udp);
    assert.equal(msg.quoted.readUInt16BE(42), 33435);
  });

  it('decodes packet too big with its MTU', () => {
    assert.deepEqual(decodeIcmpv6(packetTooBig, 0, packetTooBig.length, { addresses: routerToHost }), {
      kind: 'error',
      type: Icmpv6Type.PacketTooBig,
      code: 0,
      checksum: 0x02f4,
      quoted: packetTooBig.subarray(8),
      mtu: 1280,
    });
  });

  it('decodes time exceeded', () => {
    const msg = decodeIcmpv6(timeExceeded, 0, timeExceeded.length, { addresses: routerToHost });
    assert.deepEqual(msg, {
      kind: 'error',
      type: Icmpv6Type.TimeExceeded,
      code: 0,
      checksum: 0x06f4,
      quoted: timeExceeded.subarray(8),
    });
  });

  it('decodes a parameter problem with its 32-bit pointer', () => {
    const buf = Buffer.alloc(48);
    encodeIcmpv6Error(
      { type: 4, code: 1, quoted: Buffer.alloc(40, 0x60), pointer: 0x12345678 },
      buf,
      0,
      loopback,
    );
    const msg = decodeIcmpv6(buf, 0, 48, { addresses: loopback });
    assert.equal(msg.kind === 'error' && msg.pointer, 0x12345678);
  });

  it('decodes other types (neighbour discovery) as other', () => {
    // Router solicitation from fe80::1 to ff02::2; checksum fixed up below by the encoder-independent sum.
    const bytes = hex('85000000 00000000');
    const addresses = { source: addressToBytes('fe80::1'), destination: addressToBytes('ff02::2') };
    let sum = 0;
    for (const part of [addresses.source, addresses.destination, hex('00000008 0000003a'), bytes]) {
      for (let i = 0; i < part.length; i += 2) sum += part.readUInt16BE(i);
    }
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    bytes.writeUInt16BE(~sum & 0xffff, 2);
    assert.deepEqual(decodeIcmpv6(bytes, 0, 8, { addresses }), {
      kind: 'other',
      type: 133,
      code: 0,
      checksum: bytes.readUInt16BE(2),
      body: bytes.subarray(4),
    });
  });

  it('does not verify the checksum without addresses', () => {
    const message = Buffer.from(capturedRequest.subarray(40));
    message.writeUInt16BE(0xdead, 2);
    assert.equal(decodeIcmpv6(message, 0, message.length).checksum, 0xdead);
  });

  it('accepts pre-converted 16-byte Buffers as addresses', () => {
    const addresses = { source: addressToBytes('::1'), destination: addressToBytes('::1') };
    assert.equal(decodeIcmpv6(capturedRequest, 40, 24, { addresses }).kind, 'echo');
  });
});

describe('encodeIcmpv6Echo', () => {
  it('reproduces the captured echo request byte for byte', () => {
    const buf = Buffer.alloc(24);
    const init: IcmpEchoInit = { type: 128, identifier: 0x0fa8, sequence: 1, payload: PAYLOAD };
    assert.equal(encodeIcmpv6Echo(init, buf, 0, loopback), 24);
    assert.deepEqual(buf, capturedRequest.subarray(40));
  });

  it('gives the same bytes for string and Buffer addresses', () => {
    const init: IcmpEchoInit = { type: 129, identifier: 7, sequence: 9, payload: Buffer.from('hello') };
    const a = Buffer.alloc(13);
    const b = Buffer.alloc(13);
    encodeIcmpv6Echo(init, a, 0, { source: '2001:db8::1', destination: 'fe80::2' });
    encodeIcmpv6Echo(init, b, 0, {
      source: addressToBytes('2001:db8::1'),
      destination: addressToBytes('fe80::2'),
    });
    assert.deepEqual(a, b);
  });

  const echoes: [IcmpEchoInit, Icmpv6Addresses][] = [
    [{ type: 128, identifier: 0, sequence: 0, payload: Buffer.alloc(0) }, loopback],
    [{ type: 129, code: 3, identifier: 0xffff, sequence: 0xffff, payload: Buffer.from('odd') }, routerToHost],
    [
      { type: 128, identifier: 99, sequence: 1000, payload: Buffer.alloc(1452, 0x5a) },
      { source: '::', destination: 'ff02::1' },
    ],
  ];
  for (const [init, addresses] of echoes) {
    it(`round-trips type ${init.type} with a ${init.payload.length}-byte payload`, () => {
      const buf = Buffer.alloc(ICMPV6_HEADER_LENGTH + init.payload.length + 3);
      const written = encodeIcmpv6Echo(init, buf, 3, addresses);
      assert.deepEqual(decodeIcmpv6(buf, 3, written, { addresses }), {
        kind: 'echo',
        type: init.type,
        code: init.code ?? 0,
        checksum: buf.readUInt16BE(5),
        identifier: init.identifier,
        sequence: init.sequence,
        payload: init.payload,
      });
      // A checksum covers the pseudo-header: other addresses must fail it.
      assert.throws(
        () => decodeIcmpv6(buf, 3, written, { addresses: { source: '2001:db8::99', destination: '::1' } }),
        (e: unknown) => e instanceof PacketDecodeError && e.code === 'ERR_PACKET_BAD_CHECKSUM',
      );
    });
  }
});

describe('encodeIcmpv6Error', () => {
  it('reproduces the hand-built packet too big and time exceeded', () => {
    const quoted = hex(QUOTED_ECHO);
    const ptb = Buffer.alloc(packetTooBig.length);
    encodeIcmpv6Error({ type: 2, code: 0, quoted, mtu: 1280 }, ptb, 0, routerToHost);
    assert.deepEqual(ptb, packetTooBig);
    const te = Buffer.alloc(timeExceeded.length);
    encodeIcmpv6Error({ type: 3, code: 0, quoted }, te, 0, routerToHost);
    assert.deepEqual(te, timeExceeded);
  });

  it('round-trips decode -> encode for the captured port unreachable', () => {
    const { message, addresses } = icmpv6Of(capturedPortUnreachable);
    const msg = decodeIcmpv6(message, 0, message.length, { addresses });
    const out = Buffer.alloc(message.length);
    encodeIcmpv6Error(msg as IcmpErrorInit, out, 0, addresses);
    assert.deepEqual(out, message);
  });

  const errors: IcmpErrorInit[] = [
    { type: 1, code: 0, quoted: Buffer.alloc(0) },
    { type: 1, code: 4, quoted: hex(QUOTED_ECHO) },
    { type: 2, code: 0, quoted: Buffer.alloc(48), mtu: 0xffffffff },
    { type: 3, code: 1, quoted: Buffer.alloc(1, 1) },
    { type: 4, code: 0, quoted: Buffer.alloc(40), pointer: 6 },
  ];
  for (const init of errors) {
    it(`round-trips type ${init.type} code ${init.code}`, () => {
      const buf = Buffer.alloc(8 + init.quoted.length);
      encodeIcmpv6Error(init, buf, 0, routerToHost);
      const expected: Record<string, unknown> = {
        kind: 'error',
        type: init.type,
        code: init.code,
        checksum: buf.readUInt16BE(2),
        quoted: init.quoted,
      };
      if (init.mtu !== undefined) expected['mtu'] = init.mtu;
      if (init.pointer !== undefined) expected['pointer'] = init.pointer;
      assert.deepEqual(decodeIcmpv6(buf, 0, buf.length, { addresses: routerToHost }), expected);
    });
  }
});

describe('ICMPv6 encoder argument checks', () => {
  const echo: IcmpEchoInit = { type: 128, identifier: 1, sequence: 1, payload: Buffer.alloc(4) };
  const err: IcmpErrorInit = { type: 1, code: 0, quoted: Buffer.alloc(4) };
  const big = Buffer.alloc(100);
  const rows: [string, () => unknown, PacketErrorCode][] = [
    [
      'echo with ICMPv4 type 8',
      () => encodeIcmpv6Echo({ ...echo, type: 8 }, big, 0, loopback),
      'ERR_PACKET_BAD_FIELD',
    ],
    [
      'identifier 65536',
      () => encodeIcmpv6Echo({ ...echo, identifier: 65536 }, big, 0, loopback),
      'ERR_PACKET_BAD_FIELD',
    ],
    [
      'echo into 11 bytes',
      () => encodeIcmpv6Echo(echo, Buffer.alloc(11), 0, loopback),
      'ERR_PACKET_BUFFER_TOO_SMALL',
    ],
    [
      'error with type 128',
      () => encodeIcmpv6Error({ ...err, type: 128 }, big, 0, loopback),
      'ERR_PACKET_BAD_FIELD',
    ],
    [
      'error with type 0',
      () => encodeIcmpv6Error({ ...err, type: 0 }, big, 0, loopback),
      'ERR_PACKET_BAD_FIELD',
    ],
    [
      'mtu on type 1',
      () => encodeIcmpv6Error({ ...err, mtu: 1280 }, big, 0, loopback),
      'ERR_PACKET_BAD_FIELD',
    ],
    [
      'pointer on type 2',
      () => encodeIcmpv6Error({ ...err, type: 2, pointer: 1 }, big, 0, loopback),
      'ERR_PACKET_BAD_FIELD',
    ],
    [
      'mtu 2^32',
      () => encodeIcmpv6Error({ ...err, type: 2, mtu: 2 ** 32 }, big, 0, loopback),
      'ERR_PACKET_BAD_FIELD',
    ],
    [
      'IPv4 source',
      () => encodeIcmpv6Echo(echo, big, 0, { source: '192.0.2.1', destination: '::1' }),
      'ERR_PACKET_BAD_ADDRESS',
    ],
    [
      'zone id',
      () => encodeIcmpv6Echo(echo, big, 0, { source: '::1', destination: 'fe80::1%eth0' }),
      'ERR_PACKET_BAD_ADDRESS',
    ],
    [
      '4-byte Buffer address',
      () => encodeIcmpv6Echo(echo, big, 0, { source: Buffer.alloc(4), destination: '::1' }),
      'ERR_PACKET_BAD_ADDRESS',
    ],
    [
      'error into too small a buffer',
      () => encodeIcmpv6Error(err, Buffer.alloc(12), 1, loopback),
      'ERR_PACKET_BUFFER_TOO_SMALL',
    ],
  ];
  for (const [name, run, code] of rows) {
    it(`${name} -> ${code}`, () => {
      assert.throws(run, (e: unknown) => e instanceof PacketEncodeError && e.code === code);
    });
  }

  it('leaves the buffer untouched when an address is invalid', () => {
    const buf = Buffer.alloc(16, 0xaa);
    assert.throws(
      () => encodeIcmpv6Echo(echo, buf, 0, { source: '::1', destination: 'nope' }),
      PacketEncodeError,
    );
    assert.deepEqual(buf, Buffer.alloc(16, 0xaa));
  });
});

describe('decodeIcmpv6 malformed input', () => {
  const request = capturedRequest.subarray(40);
  const rows: { name: string; bytes: Buffer; offset?: number; length?: number; code: PacketErrorCode }[] = [
    { name: 'empty message', bytes: Buffer.alloc(0), code: 'ERR_PACKET_TRUNCATED' },
    { name: '4 bytes', bytes: request.subarray(0, 4), code: 'ERR_PACKET_TRUNCATED' },
    { name: '7 bytes', bytes: request.subarray(0, 7), code: 'ERR_PACKET_TRUNCATED' },
    { name: 'length beyond the buffer', bytes: request, offset: 4, length: 24, code: 'ERR_PACKET_TRUNCATED' },
    { name: 'last byte cut off', bytes: request.subarray(0, 23), code: 'ERR_PACKET_BAD_CHECKSUM' },
    {
      name: 'flipped identifier bit',
      bytes: Buffer.concat([request.subarray(0, 4), hex('0fa9'), request.subarray(6)]),
      code: 'ERR_PACKET_BAD_CHECKSUM',
    },
    {
      name: 'ICMPv4-style checksum (no pseudo-header)',
      bytes: (() => {
        const b = Buffer.from(request);
        b.writeUInt16BE(0, 2);
        let sum = 0;
        for (let i = 0; i < b.length; i += 2) sum += b.readUInt16BE(i);
        while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
        b.writeUInt16BE(~sum & 0xffff, 2);
        return b;
      })(),
      code: 'ERR_PACKET_BAD_CHECKSUM',
    },
  ];
  for (const { name, bytes, offset = 0, length, code } of rows) {
    it(`${name} -> ${code}`, () => {
      assert.throws(
        () => decodeIcmpv6(bytes, offset, length ?? bytes.length - offset, { addresses: loopback }),
        (e: unknown) => e instanceof PacketDecodeError && e.code === code && e.layer === 'icmpv6',
      );
    });
  }

  it('reports bad addresses given for verification as an argument error', () => {
    assert.throws(
      () => decodeIcmpv6(request, 0, 24, { addresses: { source: '::1', destination: '127.0.0.1' } }),
      (e: unknown) => e instanceof PacketEncodeError && e.code === 'ERR_PACKET_BAD_ADDRESS',
    );
  });
});
