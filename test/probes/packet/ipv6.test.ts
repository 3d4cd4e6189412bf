import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  IPV6_HEADER_LENGTH,
  IpProtocol,
  PacketDecodeError,
  PacketEncodeError,
  ipv6Header,
  type Ipv6Header,
  type Ipv6HeaderInit,
  type PacketErrorCode,
} from '../../../probes/packet';
import { assertRoundTrip } from '../../support/round-trip';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

const LOOPBACK = '00000000000000000000000000000001';

// The first three were captured on a Linux loopback interface (`ping -6 ::1` and the ICMPv6
// port unreachable answering a UDP datagram to a closed port), payloads included.
const fixtures: { name: string; bytes: Buffer; header: Ipv6Header }[] = [
  {
    name: 'captured ICMPv6 echo request',
    bytes: hex(
      `600239a1 0018 3a 40 ${LOOPBACK} ${LOOPBACK} 80004a230fa80001cbeb066b000000004b88080000000000`,
    ),
    header: {
      trafficClass: 0,
      flowLabel: 0x239a1,
      payloadLength: 24,
      nextHeader: IpProtocol.Icmpv6,
      hopLimit: 64,
      source: '::1',
      destination: '::1',
    },
  },
  {
    name: 'captured ICMPv6 echo reply',
    bytes: hex(
      `6009a395 0018 3a 40 ${LOOPBACK} ${LOOPBACK} 810049230fa80001cbeb066b000000004b88080000000000`,
    ),
    header: {
      trafficClass: 0,
      flowLabel: 0x9a395,
      payloadLength: 24,
      nextHeader: IpProtocol.Icmpv6,
      hopLimit: 64,
      source: '::1',
      destination: '::1',
    },
  },
  {
    name: 'captured UDP header quoted in a port unreachable',
    bytes: hex(`6001e710 0010 11 40 ${LOOPBACK} ${LOOPBACK} b6fb829b001000236e65746469616736`),
    header: {
      trafficClass: 0,
      flowLabel: 0x1e710,
      payloadLength: 16,
      nextHeader: IpProtocol.Udp,
      hopLimit: 64,
      source: '::1',
      destination: '::1',
    },
  },
  {
    name: 'EF traffic class, maximum flow label, hop limit 255, no payload',
    bytes: hex('6b8fffff 0000 3b ff 20010db8000000000000000000000010 ff020000000000000000000000000001'),
    header: {
      trafficClass: 0xb8,
      flowLabel: 0xfffff,
      payloadLength: 0,
      nextHeader: 59,
      hopLimit: 255,
      source: '2001:db8::10',
      destination: 'ff02::1',
    },
  },
  {
    name: 'traffic class 0xff (sets the top bit of the first word)',
    bytes: hex(`6ff00000 0000 06 01 ${LOOPBACK} 00000000000000000000ffffc0000201`),
    header: {
      trafficClass: 0xff,
      flowLabel: 0,
      payloadLength: 0,
      nextHeader: IpProtocol.Tcp,
      hopLimit: 1,
      source: '::1',
      destination: '::ffff:192.0.2.1',
    },
  },
];

describe('ipv6Header.decode fixtures', () => {
  for (const { name, bytes, header } of fixtures) {
    it(`decodes ${name}`, () => {
      assert.deepEqual(ipv6Header.decode(bytes, 0), header);
    });

    it(`decodes ${name} at an offset`, () => {
      assert.deepEqual(ipv6Header.decode(Buffer.concat([Buffer.alloc(3), bytes]), 3), header);
    });

    it(`re-encodes ${name} to the same bytes`, () => {
      const out = Buffer.alloc(IPV6_HEADER_LENGTH + 2, 0xaa);
      assert.equal(ipv6Header.encode(ipv6Header.decode(bytes, 0), out, 1), out);
      assert.deepEqual(out.subarray(1, 41), bytes.subarray(0, IPV6_HEADER_LENGTH));
      assert.equal(out[0], 0xaa);
      assert.equal(out[41], 0xaa);
    });
  }
});

describe('ipv6Header.encode', () => {
  it('applies the documented defaults', () => {
    const buf = Buffer.alloc(40);
    ipv6Header.encode(
      { payloadLength: 0, nextHeader: IpProtocol.Icmpv6, source: '::1', destination: '::2' },
      buf,
      0,
    );
    assert.equal(
      buf.toString('hex'),
      `60000000 0000 3a 40 ${LOOPBACK} ${LOOPBACK.slice(0, -1)}2`.replace(/ /g, ''),
    );
  });

  const roundTrips: Ipv6HeaderInit[] = [
    { payloadLength: 0, nextHeader: 0, hopLimit: 0, source: '::', destination: '::' },
    {
      trafficClass: 0xff,
      flowLabel: 0xfffff,
      payloadLength: 0xffff,
      nextHeader: 0xff,
      hopLimit: 0xff,
      source: 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
      destination: '2001:db8:0:1:1:1:1:1',
    },
    {
      trafficClass: 0x10,
      flowLabel: 12345,
      payloadLength: 8,
      nextHeader: IpProtocol.Udp,
      source: 'fe80::1',
      destination: '2001:db8::',
    },
  ];
  for (const init of roundTrips) {
    it(`round-trips ${init.source} -> ${init.destination}`, () => {
      const buf = Buffer.alloc(40);
      ipv6Header.encode(init, buf, 0);
      assert.deepEqual(ipv6Header.decode(buf, 0, { allowTruncatedPayload: true }), {
        trafficClass: init.trafficClass ?? 0,
        flowLabel: init.flowLabel ?? 0,
        payloadLength: init.payloadLength,
        nextHeader: init.nextHeader,
        hopLimit: init.hopLimit ?? 64,
        source: init.source,
        destination: init.destination,
      });
    });
  }

  const base: Ipv6HeaderInit = {
    payloadLength: 8,
    nextHeader: IpProtocol.Icmpv6,
    source: '2001:db8::1',
    destination: '2001:db8::2',
  };
  const invalid: [string, Partial<Ipv6HeaderInit>, PacketErrorCode][] = [
    ['trafficClass 256', { trafficClass: 256 }, 'ERR_PACKET_BAD_FIELD'],
    ['flowLabel 0x100000', { flowLabel: 0x100000 }, 'ERR_PACKET_BAD_FIELD'],
    ['payloadLength 65536', { payloadLength: 65536 }, 'ERR_PACKET_BAD_FIELD'],
    ['nextHeader -1', { nextHeader: -1 }, 'ERR_PACKET_BAD_FIELD'],
    ['hopLimit 300', { hopLimit: 300 }, 'ERR_PACKET_BAD_FIELD'],
    ['IPv4 source', { source: '192.0.2.1' }, 'ERR_PACKET_BAD_ADDRESS'],
    ['bad destination', { destination: '2001:db8::g' }, 'ERR_PACKET_BAD_ADDRESS'],
    ['zone id', { destination: 'fe80::1%lo' }, 'ERR_PACKET_BAD_ADDRESS'],
  ];
  for (const [name, change, code] of invalid) {
    it(`rejects ${name} with ${code} and writes nothing`, () => {
      const buf = Buffer.alloc(40, 0xaa);
      assert.throws(
        () => ipv6Header.encode({ ...base, ...change }, buf, 0),
        (e: unknown) => e instanceof PacketEncodeError && e.code === code && e.layer === 'ipv6',
      );
      assert.deepEqual(buf, Buffer.alloc(40, 0xaa));
    });
  }

  it('rejects a target buffer that is too small', () => {
    assert.throws(
      () => ipv6Header.encode(base, Buffer.alloc(40), 1),
      (e: unknown) => e instanceof PacketEncodeError && e.code === 'ERR_PACKET_BUFFER_TOO_SMALL',
    );
  });
});

describe('ipv6Header.decode malformed input', () => {
  const valid = fixtures[0]!.bytes;
  const variant = (change: (b: Buffer) => void): Buffer => {
    const b = Buffer.from(valid);
    change(b);
    return b;
  };
  const rows: { name: string; bytes: Buffer; offset?: number; code: PacketErrorCode; errorOffset: number }[] =
    [
      { name: 'empty buffer', bytes: Buffer.alloc(0), code: 'ERR_PACKET_TRUNCATED', errorOffset: 0 },
      { name: '39 bytes', bytes: valid.subarray(0, 39), code: 'ERR_PACKET_TRUNCATED', errorOffset: 0 },
      {
        name: 'offset leaves 39 bytes',
        bytes: valid,
        offset: 25,
        code: 'ERR_PACKET_TRUNCATED',
        errorOffset: 25,
      },
      {
        name: 'offset past the end',
        bytes: valid,
        offset: 65,
        code: 'ERR_PACKET_TRUNCATED',
        errorOffset: 65,
      },
      {
        name: 'version 4',
        bytes: variant((b) => (b[0] = 0x45)),
        code: 'ERR_PACKET_BAD_VERSION',
        errorOffset: 0,
      },
      {
        name: 'version 0',
        bytes: variant((b) => (b[0] = 0x00)),
        code: 'ERR_PACKET_BAD_VERSION',
        errorOffset: 0,
      },
      {
        name: 'version 15',
        bytes: variant((b) => (b[0] = 0xf0)),
        code: 'ERR_PACKET_BAD_VERSION',
        errorOffset: 0,
      },
      {
        name: 'payload length one beyond the buffer',
        bytes: valid.subarray(0, valid.length - 1),
        code: 'ERR_PACKET_BAD_LENGTH',
        errorOffset: 4,
      },
      {
        name: 'header only, payload length 24',
        bytes: valid.subarray(0, 40),
        code: 'ERR_PACKET_BAD_LENGTH',
        errorOffset: 4,
      },
      {
        name: 'payload length 65535',
        bytes: variant((b) => b.writeUInt16BE(0xffff, 4)),
        code: 'ERR_PACKET_BAD_LENGTH',
        errorOffset: 4,
      },
    ];
  for (const { name, bytes, offset = 0, code, errorOffset } of rows) {
    it(`${name} -> ${code}`, () => {
      assert.throws(
        () => ipv6Header.decode(bytes, offset),
        (e: unknown) =>
          e instanceof PacketDecodeError && e.code === code && e.layer === 'ipv6' && e.offset === errorOffset,
      );
    });
  }

  it('accepts a payload length beyond the buffer when allowTruncatedPayload is set', () => {
    assert.equal(
      ipv6Header.decode(valid.subarray(0, 48), 0, { allowTruncatedPayload: true }).payloadLength,
      24,
    );
  });

  it('accepts extra bytes after the payload (e.g. link-layer padding)', () => {
    assert.equal(ipv6Header.decode(Buffer.concat([valid, Buffer.alloc(6)]), 0).payloadLength, 24);
  });

  it('words a truncation error with what, where and how much', () => {
    assert.throws(() => ipv6Header.decode(Buffer.alloc(50), 20), {
      name: 'PacketDecodeError',
      message: 'ipv6: header needs 40 bytes at offset 20, buffer has 30',
    });
  });
});

describe('ipv6Header round trip', () => {
  const headers: Ipv6HeaderInit[] = [
    { payloadLength: 0, nextHeader: IpProtocol.Icmpv6, source: '::', destination: '::1' },
    {
      trafficClass: 0xff,
      flowLabel: 0xfffff,
      payloadLength: 0xffff,
      nextHeader: IpProtocol.Udp,
      hopLimit: 1,
      source: 'fd00:0:0:1::1',
      destination: 'ff02::1',
    },
  ];
  for (const fields of headers) {
    it(`round-trips payload length ${fields.payloadLength}, next header ${fields.nextHeader}`, () => {
      assertRoundTrip(ipv6Header, fields, { allowTruncatedPayload: true });
    });
  }
});
