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
  icmpv6,
  ipv6Header,
  type IcmpEchoInit,
  type IcmpErrorInit,
  type Icmpv6Init,
  type PseudoHeader,
  type PacketErrorCode,
} from '../../../probes/packet';
import { assertRoundTrip } from '../../support/round-trip';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

const LOOPBACK = '00000000000000000000000000000001';
const loopback: PseudoHeader = { source: '::1', destination: '::1' };

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
const routerToHost: PseudoHeader = { source: '2001:db8:ffff::1', destination: '2001:db8::10' };
const packetTooBig = hex(`020002f400000500 ${QUOTED_ECHO}`);
const timeExceeded = hex(`030006f400000000 ${QUOTED_ECHO}`);

const PAYLOAD = hex('cbeb066b000000004b88080000000000');

/** The ICMPv6 message inside a captured IPv6 packet, and its addresses. */
function icmpv6Of(packet: Buffer): { message: Buffer; addresses: PseudoHeader } {
  const ip = ipv6Header.decode(packet, 0);
  assert.equal(ip.nextHeader, IpProtocol.Icmpv6);
  return {
    message: packet.subarray(40, 40 + ip.payloadLength),
    addresses: { source: ip.source, destination: ip.destination },
  };
}

describe('icmpv6.decode fixtures', () => {
  it('decodes a captured echo request, verifying its checksum', () => {
    const { message, addresses } = icmpv6Of(capturedRequest);
    assert.deepEqual(icmpv6.decode(message, 0, { pseudo: addresses }), {
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
    assert.deepEqual(icmpv6.decode(capturedReply, 40, { length: 24, pseudo: loopback }), {
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
    const msg = icmpv6.decode(message, 0, { pseudo: addresses });
    assert.deepEqual(msg, {
      kind: 'error',
      type: Icmpv6Type.DestinationUnreachable,
      code: Icmpv6UnreachableCode.Port,
      checksum: 0xb8ef,
      quoted: message.subarray(8),
    });
    if (msg.kind !== 'error') return;
    const quoted = ipv6Header.decode(msg.quoted, 0);
    assert.equal(quoted.nextHeader, IpProtocol.Udp);
    assert.equal(msg.quoted.readUInt16BE(42), 33435);
  });

  it('decodes packet too big with its MTU', () => {
    assert.deepEqual(icmpv6.decode(packetTooBig, 0, { pseudo: routerToHost }), {
      kind: 'error',
      type: Icmpv6Type.PacketTooBig,
      code: 0,
      checksum: 0x02f4,
      quoted: packetTooBig.subarray(8),
      mtu: 1280,
    });
  });

  it('decodes time exceeded', () => {
    const msg = icmpv6.decode(timeExceeded, 0, { pseudo: routerToHost });
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
    icmpv6.encode(
      { type: 4, code: 1, quoted: Buffer.alloc(40, 0x60), pointer: 0x12345678, pseudo: loopback },
      buf,
      0,
    );
    const msg = icmpv6.decode(buf, 0, { length: 48, pseudo: loopback });
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
    assert.deepEqual(icmpv6.decode(bytes, 0, { length: 8, pseudo: addresses }), {
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
    assert.equal(icmpv6.decode(message).checksum, 0xdead);
  });

  it('accepts pre-converted 16-byte Buffers as addresses', () => {
    const addresses = { source: addressToBytes('::1'), destination: addressToBytes('::1') };
    assert.equal(icmpv6.decode(capturedRequest, 40, { length: 24, pseudo: addresses }).kind, 'echo');
  });
});

describe('icmpv6.encode of an echo', () => {
  it('reproduces the captured echo request byte for byte', () => {
    const buf = Buffer.alloc(24);
    const init: IcmpEchoInit = { type: 128, identifier: 0x0fa8, sequence: 1, payload: PAYLOAD };
    assert.equal(icmpv6.encode({ ...init, pseudo: loopback }, buf, 0), buf);
    assert.deepEqual(buf, capturedRequest.subarray(40));
  });

  it('gives the same bytes for string and Buffer addresses', () => {
    const init: IcmpEchoInit = { type: 129, identifier: 7, sequence: 9, payload: Buffer.from('hello') };
    const a = Buffer.alloc(13);
    const b = Buffer.alloc(13);
    icmpv6.encode({ ...init, pseudo: { source: '2001:db8::1', destination: 'fe80::2' } }, a, 0);
    icmpv6.encode(
      {
        ...init,
        pseudo: {
          source: addressToBytes('2001:db8::1'),
          destination: addressToBytes('fe80::2'),
        },
      },
      b,
      0,
    );
    assert.deepEqual(a, b);
  });

  const echoes: [IcmpEchoInit, PseudoHeader][] = [
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
      icmpv6.encode({ ...init, pseudo: addresses }, buf, 3);
      const written = icmpv6.encodingLength({ ...init, pseudo: addresses });
      assert.deepEqual(icmpv6.decode(buf, 3, { length: written, pseudo: addresses }), {
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
        () =>
          icmpv6.decode(buf, 3, { length: written, pseudo: { source: '2001:db8::99', destination: '::1' } }),
        (e: unknown) => e instanceof PacketDecodeError && e.code === 'ERR_PACKET_BAD_CHECKSUM',
      );
    });
  }
});

describe('icmpv6.encode of an error', () => {
  it('reproduces the hand-built packet too big and time exceeded', () => {
    const quoted = hex(QUOTED_ECHO);
    const ptb = Buffer.alloc(packetTooBig.length);
    icmpv6.encode({ type: 2, code: 0, quoted, mtu: 1280, pseudo: routerToHost }, ptb, 0);
    assert.deepEqual(ptb, packetTooBig);
    const te = Buffer.alloc(timeExceeded.length);
    icmpv6.encode({ type: 3, code: 0, quoted, pseudo: routerToHost }, te, 0);
    assert.deepEqual(te, timeExceeded);
  });

  it('round-trips decode -> encode for the captured port unreachable', () => {
    const { message, addresses } = icmpv6Of(capturedPortUnreachable);
    const msg = icmpv6.decode(message, 0, { pseudo: addresses });
    const out = Buffer.alloc(message.length);
    icmpv6.encode({ ...(msg as IcmpErrorInit), pseudo: addresses }, out, 0);
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
      icmpv6.encode({ ...init, pseudo: routerToHost }, buf, 0);
      const expected: Record<string, unknown> = {
        kind: 'error',
        type: init.type,
        code: init.code,
        checksum: buf.readUInt16BE(2),
        quoted: init.quoted,
      };
      if (init.mtu !== undefined) expected['mtu'] = init.mtu;
      if (init.pointer !== undefined) expected['pointer'] = init.pointer;
      assert.deepEqual(icmpv6.decode(buf, 0, { pseudo: routerToHost }), expected);
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
      () => icmpv6.encode({ ...echo, type: 8, pseudo: loopback }, big, 0),
      'ERR_PACKET_BAD_FIELD',
    ],
    [
      'identifier 65536',
      () => icmpv6.encode({ ...echo, identifier: 65536, pseudo: loopback }, big, 0),
      'ERR_PACKET_BAD_FIELD',
    ],
    [
      'echo into 11 bytes',
      () => icmpv6.encode({ ...echo, pseudo: loopback }, Buffer.alloc(11), 0),
      'ERR_PACKET_BUFFER_TOO_SMALL',
    ],
    [
      'error with type 128',
      () => icmpv6.encode({ ...err, type: 128, pseudo: loopback }, big, 0),
      'ERR_PACKET_BAD_FIELD',
    ],
    [
      'error with type 0',
      () => icmpv6.encode({ ...err, type: 0, pseudo: loopback }, big, 0),
      'ERR_PACKET_BAD_FIELD',
    ],
    [
      'mtu on type 1',
      () => icmpv6.encode({ ...err, mtu: 1280, pseudo: loopback }, big, 0),
      'ERR_PACKET_BAD_FIELD',
    ],
    [
      'pointer on type 2',
      () => icmpv6.encode({ ...err, type: 2, pointer: 1, pseudo: loopback }, big, 0),
      'ERR_PACKET_BAD_FIELD',
    ],
    [
      'mtu 2^32',
      () => icmpv6.encode({ ...err, type: 2, mtu: 2 ** 32, pseudo: loopback }, big, 0),
      'ERR_PACKET_BAD_FIELD',
    ],
    [
      'IPv4 source',
      () => icmpv6.encode({ ...echo, pseudo: { source: '192.0.2.1', destination: '::1' } }, big, 0),
      'ERR_PACKET_BAD_ADDRESS',
    ],
    [
      'zone id',
      () => icmpv6.encode({ ...echo, pseudo: { source: '::1', destination: 'fe80::1%eth0' } }, big, 0),
      'ERR_PACKET_BAD_ADDRESS',
    ],
    [
      '4-byte Buffer address',
      () => icmpv6.encode({ ...echo, pseudo: { source: Buffer.alloc(4), destination: '::1' } }, big, 0),
      'ERR_PACKET_BAD_ADDRESS',
    ],
    [
      'error into too small a buffer',
      () => icmpv6.encode({ ...err, pseudo: loopback }, Buffer.alloc(12), 1),
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
      () => icmpv6.encode({ ...echo, pseudo: { source: '::1', destination: 'nope' } }, buf, 0),
      PacketEncodeError,
    );
    assert.deepEqual(buf, Buffer.alloc(16, 0xaa));
  });
});

describe('icmpv6.decode malformed input', () => {
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
        () => icmpv6.decode(bytes, offset, { length: length ?? bytes.length - offset, pseudo: loopback }),
        (e: unknown) => e instanceof PacketDecodeError && e.code === code && e.layer === 'icmpv6',
      );
    });
  }

  it('reports bad addresses given for verification as an argument error', () => {
    assert.throws(
      () => icmpv6.decode(request, 0, { length: 24, pseudo: { source: '::1', destination: '127.0.0.1' } }),
      (e: unknown) => e instanceof PacketEncodeError && e.code === 'ERR_PACKET_BAD_ADDRESS',
    );
  });
});

describe('icmpv6 round trip', () => {
  const messages: Icmpv6Init[] = [
    { type: 128, identifier: 0x0fa8, sequence: 1, payload: PAYLOAD, pseudo: loopback },
    { type: 129, code: 0, identifier: 0, sequence: 0xffff, payload: Buffer.alloc(0), pseudo: routerToHost },
    { type: 3, code: 0, quoted: Buffer.alloc(48, 0x60), pseudo: routerToHost },
    { type: 2, code: 0, quoted: Buffer.alloc(48, 0x60), mtu: 1280, pseudo: routerToHost },
    {
      type: 4,
      code: 1,
      quoted: Buffer.alloc(48, 0x60),
      pointer: 40,
      pseudo: { source: addressToBytes('2001:db8:ffff::1'), destination: addressToBytes('2001:db8::10') },
    },
  ];
  for (const fields of messages) {
    it(`round-trips type ${fields.type}, ${icmpv6.encodingLength(fields)} bytes, checksum verified`, () => {
      assertRoundTrip(icmpv6, fields);
    });
  }
});
