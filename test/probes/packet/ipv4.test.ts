import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  IPV4_HEADER_LENGTH,
  IpProtocol,
  PacketDecodeError,
  PacketEncodeError,
  ipv4Header,
  type Ipv4Header,
  type Ipv4HeaderInit,
  type PacketErrorCode,
} from '../../../probes/packet';
import { assertRoundTrip } from '../../support/round-trip';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

interface Fixture {
  name: string;
  /** The whole datagram (header and payload). */
  bytes: Buffer;
  header: Ipv4Header;
}

// Real packets: the first is the textbook TCP SYN header (payload zero-filled here), the
// next three were captured on a Linux loopback interface with tcpdump (`ping 127.0.0.1`, and
// the ICMP port unreachable answering a UDP datagram to a closed port). Checksums were
// verified with an independent implementation.
const fixtures: Fixture[] = [
  {
    name: 'classic TCP header, DF',
    bytes: Buffer.concat([hex('4500003c1c4640004006b1e6ac100a63ac100a0c'), Buffer.alloc(40)]),
    header: {
      tos: 0,
      totalLength: 60,
      identification: 0x1c46,
      dontFragment: true,
      moreFragments: false,
      fragmentOffset: 0,
      ttl: 64,
      protocol: IpProtocol.Tcp,
      checksum: 0xb1e6,
      source: '172.16.10.99',
      destination: '172.16.10.12',
      headerLength: 20,
      options: Buffer.alloc(0),
    },
  },
  {
    name: 'captured ICMP echo request',
    bytes: hex(
      '45000054443540004001f8717f0000017f00000108004ec40fa70001cbeb066b00000000006a0800000000001011' +
        '12131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637',
    ),
    header: {
      tos: 0,
      totalLength: 84,
      identification: 0x4435,
      dontFragment: true,
      moreFragments: false,
      fragmentOffset: 0,
      ttl: 64,
      protocol: IpProtocol.Icmp,
      checksum: 0xf871,
      source: '127.0.0.1',
      destination: '127.0.0.1',
      headerLength: 20,
      options: Buffer.alloc(0),
    },
  },
  {
    name: 'captured ICMP echo reply (no DF)',
    bytes: hex(
      '4500005444360000400138717f0000017f000001000056c40fa70001cbeb066b00000000006a0800000000001011' +
        '12131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637',
    ),
    header: {
      tos: 0,
      totalLength: 84,
      identification: 0x4436,
      dontFragment: false,
      moreFragments: false,
      fragmentOffset: 0,
      ttl: 64,
      protocol: IpProtocol.Icmp,
      checksum: 0x3871,
      source: '127.0.0.1',
      destination: '127.0.0.1',
      headerLength: 20,
      options: Buffer.alloc(0),
    },
  },
  {
    name: 'captured ICMP port unreachable, TOS 0xc0',
    bytes: hex(
      '45c0004544930000400137637f0000017f0000010303c9e40000000045000029eda3400001118e1e7f0000017f00' +
        '0001ba11829a0015fe286e6574646961672d70726f6265',
    ),
    header: {
      tos: 0xc0,
      totalLength: 69,
      identification: 0x4493,
      dontFragment: false,
      moreFragments: false,
      fragmentOffset: 0,
      ttl: 64,
      protocol: IpProtocol.Icmp,
      checksum: 0x3763,
      source: '127.0.0.1',
      destination: '127.0.0.1',
      headerLength: 20,
      options: Buffer.alloc(0),
    },
  },
  {
    name: 'IGMP with a router alert option (IHL 6)',
    bytes: Buffer.concat([hex('4600002000004000010242c0c0000201e000001694040000'), Buffer.alloc(8)]),
    header: {
      tos: 0,
      totalLength: 32,
      identification: 0,
      dontFragment: true,
      moreFragments: false,
      fragmentOffset: 0,
      ttl: 1,
      protocol: 2,
      checksum: 0x42c0,
      source: '192.0.2.1',
      destination: '224.0.0.22',
      headerLength: 24,
      options: hex('94040000'),
    },
  },
  {
    name: 'middle fragment: MF, offset 185 (1480 bytes)',
    bytes: Buffer.concat([hex('450005dcabcd20b94011bc45c000020ac6336407'), Buffer.alloc(1480)]),
    header: {
      tos: 0,
      totalLength: 1500,
      identification: 0xabcd,
      dontFragment: false,
      moreFragments: true,
      fragmentOffset: 185,
      ttl: 64,
      protocol: IpProtocol.Udp,
      checksum: 0xbc45,
      source: '192.0.2.10',
      destination: '198.51.100.7',
      headerLength: 20,
      options: Buffer.alloc(0),
    },
  },
];

describe('ipv4Header.decode fixtures', () => {
  for (const { name, bytes, header } of fixtures) {
    it(`decodes ${name}`, () => {
      assert.deepEqual(ipv4Header.decode(bytes, 0), header);
    });

    it(`decodes ${name} at an offset`, () => {
      const framed = Buffer.concat([Buffer.alloc(14, 0xee), bytes]);
      assert.deepEqual(ipv4Header.decode(framed, 14), header);
    });

    it(`re-encodes ${name} to the same bytes`, () => {
      const out = Buffer.alloc(header.headerLength + 4, 0xaa);
      assert.equal(ipv4Header.encode(ipv4Header.decode(bytes, 0), out, 2), out);
      assert.deepEqual(out.subarray(2, 2 + header.headerLength), bytes.subarray(0, header.headerLength));
      assert.equal(out[0], 0xaa);
      assert.equal(out[out.length - 1], 0xaa);
    });
  }

  it('returns options as a view into the buffer, not a copy', () => {
    const fixture = fixtures.find((f) => f.header.headerLength === 24)!;
    const bytes = Buffer.from(fixture.bytes);
    const header = ipv4Header.decode(bytes, 0);
    bytes[20] = 0x01;
    assert.equal(header.options[0], 0x01);
  });
});

describe('ipv4Header.encode', () => {
  it('applies the documented defaults', () => {
    const buf = Buffer.alloc(20);
    const init: Ipv4HeaderInit = {
      totalLength: 28,
      protocol: IpProtocol.Icmp,
      source: '192.0.2.1',
      destination: '198.51.100.2',
    };
    assert.equal(ipv4Header.encode(init, buf, 0), buf);
    assert.equal(ipv4Header.encodingLength(init), IPV4_HEADER_LENGTH);
    const header = ipv4Header.decode(buf, 0, { allowTruncatedPayload: true });
    assert.equal(header.tos, 0);
    assert.equal(header.identification, 0);
    assert.equal(header.dontFragment, false);
    assert.equal(header.moreFragments, false);
    assert.equal(header.fragmentOffset, 0);
    assert.equal(header.ttl, 64);
    assert.equal(header.headerLength, 20);
    assert.equal(header.options.length, 0);
  });

  it('reproduces the classic header from values', () => {
    const buf = Buffer.alloc(20);
    ipv4Header.encode(
      {
        totalLength: 60,
        identification: 0x1c46,
        dontFragment: true,
        ttl: 64,
        protocol: IpProtocol.Tcp,
        source: '172.16.10.99',
        destination: '172.16.10.12',
      },
      buf,
      0,
    );
    assert.equal(buf.toString('hex'), '4500003c1c4640004006b1e6ac100a63ac100a0c');
  });

  const roundTrips: Ipv4HeaderInit[] = [
    { totalLength: 20, protocol: 0, source: '0.0.0.0', destination: '0.0.0.0' },
    {
      tos: 0xff,
      totalLength: 0xffff,
      identification: 0xffff,
      dontFragment: true,
      moreFragments: true,
      fragmentOffset: 0x1fff,
      ttl: 255,
      protocol: 255,
      source: '255.255.255.255',
      destination: '255.255.255.255',
    },
    {
      totalLength: 60,
      ttl: 1,
      protocol: IpProtocol.Udp,
      source: '10.0.0.1',
      destination: '10.0.0.2',
      options: Buffer.alloc(40, 1),
    },
  ];
  for (const init of roundTrips) {
    it(`round-trips ${JSON.stringify({ ...init, options: init.options?.length })}`, () => {
      const buf = Buffer.alloc(60);
      ipv4Header.encode(init, buf, 0);
      const written = ipv4Header.encodingLength(init);
      const header = ipv4Header.decode(buf, 0, { allowTruncatedPayload: true });
      assert.equal(header.headerLength, written);
      assert.equal(header.tos, init.tos ?? 0);
      assert.equal(header.totalLength, init.totalLength);
      assert.equal(header.identification, init.identification ?? 0);
      assert.equal(header.dontFragment, init.dontFragment ?? false);
      assert.equal(header.moreFragments, init.moreFragments ?? false);
      assert.equal(header.fragmentOffset, init.fragmentOffset ?? 0);
      assert.equal(header.ttl, init.ttl ?? 64);
      assert.equal(header.protocol, init.protocol);
      assert.equal(header.source, init.source);
      assert.equal(header.destination, init.destination);
      assert.deepEqual(header.options, init.options ?? Buffer.alloc(0));
    });
  }

  const base: Ipv4HeaderInit = {
    totalLength: 40,
    protocol: IpProtocol.Icmp,
    source: '192.0.2.1',
    destination: '192.0.2.2',
  };
  const invalid: [string, Partial<Ipv4HeaderInit>, PacketErrorCode][] = [
    ['ttl 300', { ttl: 300 }, 'ERR_PACKET_BAD_FIELD'],
    ['ttl -1', { ttl: -1 }, 'ERR_PACKET_BAD_FIELD'],
    ['tos 256', { tos: 256 }, 'ERR_PACKET_BAD_FIELD'],
    ['totalLength 65536', { totalLength: 65536 }, 'ERR_PACKET_BAD_FIELD'],
    ['totalLength below the header length', { totalLength: 19 }, 'ERR_PACKET_BAD_FIELD'],
    [
      'totalLength below the header length with options',
      { totalLength: 22, options: Buffer.alloc(4) },
      'ERR_PACKET_BAD_FIELD',
    ],
    ['identification 1.5', { identification: 1.5 }, 'ERR_PACKET_BAD_FIELD'],
    ['protocol 256', { protocol: 256 }, 'ERR_PACKET_BAD_FIELD'],
    ['protocol NaN', { protocol: NaN }, 'ERR_PACKET_BAD_FIELD'],
    ['fragmentOffset 8192', { fragmentOffset: 8192 }, 'ERR_PACKET_BAD_FIELD'],
    ['options of 3 bytes', { options: Buffer.alloc(3) }, 'ERR_PACKET_BAD_FIELD'],
    ['options of 44 bytes', { options: Buffer.alloc(44), totalLength: 100 }, 'ERR_PACKET_BAD_FIELD'],
    ['unparsable source', { source: '192.0.2' }, 'ERR_PACKET_BAD_ADDRESS'],
    ['IPv6 destination', { destination: '::1' }, 'ERR_PACKET_BAD_ADDRESS'],
  ];
  for (const [name, change, code] of invalid) {
    it(`rejects ${name} with ${code} and writes nothing`, () => {
      const buf = Buffer.alloc(64, 0xaa);
      assert.throws(
        () => ipv4Header.encode({ ...base, ...change }, buf, 0),
        (e: unknown) => e instanceof PacketEncodeError && e.code === code && e.layer === 'ipv4',
      );
      assert.deepEqual(buf, Buffer.alloc(64, 0xaa));
    });
  }

  it('rejects a target buffer that is too small', () => {
    assert.throws(
      () => ipv4Header.encode(base, Buffer.alloc(30), 11),
      (e: unknown) => e instanceof PacketEncodeError && e.code === 'ERR_PACKET_BUFFER_TOO_SMALL',
    );
    assert.throws(
      () => ipv4Header.encode({ ...base, options: Buffer.alloc(4) }, Buffer.alloc(23), 0),
      (e: unknown) => e instanceof PacketEncodeError && e.code === 'ERR_PACKET_BUFFER_TOO_SMALL',
    );
  });

  it('says which field is wrong', () => {
    assert.throws(() => ipv4Header.encode({ ...base, ttl: 300 }, Buffer.alloc(20), 0), {
      name: 'PacketEncodeError',
      message: 'ipv4: ttl must be an integer in 0..255, got 300',
    });
    assert.throws(() => ipv4Header.encode({ ...base, source: 'nope' }, Buffer.alloc(20), 0), {
      message: "ipv4: source 'nope' is not a valid IPv4 address",
    });
  });
});

describe('ipv4Header.decode malformed input', () => {
  const valid = fixtures[1]!.bytes;
  /** A copy of the valid echo request with `change` applied and the header checksum fixed. */
  const variant = (change: (b: Buffer) => void, fixChecksum = true): Buffer => {
    const b = Buffer.from(valid);
    change(b);
    if (fixChecksum) {
      const headerLength = Math.max(20, Math.min(60, (b[0]! & 0x0f) * 4, b.length));
      b.writeUInt16BE(0, 10);
      let sum = 0;
      for (let i = 0; i < headerLength; i += 2) sum += b.readUInt16BE(i);
      while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
      b.writeUInt16BE(~sum & 0xffff, 10);
    }
    return b;
  };

  const rows: { name: string; bytes: Buffer; offset?: number; code: PacketErrorCode; errorOffset: number }[] =
    [
      { name: 'empty buffer', bytes: Buffer.alloc(0), code: 'ERR_PACKET_TRUNCATED', errorOffset: 0 },
      { name: 'one byte', bytes: hex('45'), code: 'ERR_PACKET_TRUNCATED', errorOffset: 0 },
      { name: '19 bytes', bytes: valid.subarray(0, 19), code: 'ERR_PACKET_TRUNCATED', errorOffset: 0 },
      {
        name: 'offset past the end',
        bytes: valid,
        offset: 100,
        code: 'ERR_PACKET_TRUNCATED',
        errorOffset: 100,
      },
      {
        name: 'offset leaves 19 bytes',
        bytes: valid,
        offset: 65,
        code: 'ERR_PACKET_TRUNCATED',
        errorOffset: 65,
      },
      {
        name: 'version 6',
        bytes: variant((b) => (b[0] = 0x65)),
        code: 'ERR_PACKET_BAD_VERSION',
        errorOffset: 0,
      },
      {
        name: 'version 0',
        bytes: variant((b) => (b[0] = 0x05)),
        code: 'ERR_PACKET_BAD_VERSION',
        errorOffset: 0,
      },
      {
        name: 'version 15',
        bytes: variant((b) => (b[0] = 0xf5)),
        code: 'ERR_PACKET_BAD_VERSION',
        errorOffset: 0,
      },
      {
        name: 'IHL 4',
        bytes: variant((b) => (b[0] = 0x44)),
        code: 'ERR_PACKET_BAD_HEADER_LENGTH',
        errorOffset: 0,
      },
      {
        name: 'IHL 0',
        bytes: variant((b) => (b[0] = 0x40)),
        code: 'ERR_PACKET_BAD_HEADER_LENGTH',
        errorOffset: 0,
      },
      {
        name: 'IHL 6 but only 20 bytes',
        bytes: variant((b) => (b[0] = 0x46)).subarray(0, 20),
        code: 'ERR_PACKET_BAD_HEADER_LENGTH',
        errorOffset: 0,
      },
      {
        name: 'IHL 15 beyond a 40-byte buffer',
        bytes: variant((b) => (b[0] = 0x4f)).subarray(0, 40),
        code: 'ERR_PACKET_BAD_HEADER_LENGTH',
        errorOffset: 0,
      },
      {
        name: 'total length 0',
        bytes: variant((b) => b.writeUInt16BE(0, 2)),
        code: 'ERR_PACKET_BAD_LENGTH',
        errorOffset: 2,
      },
      {
        name: 'total length 19',
        bytes: variant((b) => b.writeUInt16BE(19, 2)),
        code: 'ERR_PACKET_BAD_LENGTH',
        errorOffset: 2,
      },
      {
        name: 'total length below IHL 6',
        bytes: variant((b) => {
          b[0] = 0x46;
          b.writeUInt16BE(23, 2);
        }),
        code: 'ERR_PACKET_BAD_LENGTH',
        errorOffset: 2,
      },
      {
        name: 'total length beyond the buffer',
        bytes: valid.subarray(0, 83),
        code: 'ERR_PACKET_BAD_LENGTH',
        errorOffset: 2,
      },
      {
        name: 'total length 65535 in an 84-byte buffer',
        bytes: variant((b) => b.writeUInt16BE(0xffff, 2)),
        code: 'ERR_PACKET_BAD_LENGTH',
        errorOffset: 2,
      },
      {
        name: 'flipped TTL bit',
        bytes: variant((b) => (b[8] = b[8]! ^ 1), false),
        code: 'ERR_PACKET_BAD_CHECKSUM',
        errorOffset: 10,
      },
      {
        name: 'zeroed checksum',
        bytes: variant((b) => b.writeUInt16BE(0, 10), false),
        code: 'ERR_PACKET_BAD_CHECKSUM',
        errorOffset: 10,
      },
      {
        name: 'checksum error in an option byte',
        bytes: Buffer.concat([hex('4600002000004000010242c0c0000201e000001694040001'), Buffer.alloc(8)]),
        code: 'ERR_PACKET_BAD_CHECKSUM',
        errorOffset: 10,
      },
    ];

  for (const { name, bytes, offset = 0, code, errorOffset } of rows) {
    it(`${name} -> ${code}`, () => {
      assert.throws(
        () => ipv4Header.decode(bytes, offset),
        (e: unknown) =>
          e instanceof PacketDecodeError && e.code === code && e.layer === 'ipv4' && e.offset === errorOffset,
      );
    });
  }

  it('words a truncation error with what, where and how much', () => {
    assert.throws(() => ipv4Header.decode(Buffer.alloc(12), 0), {
      name: 'PacketDecodeError',
      message: 'ipv4: header needs 20 bytes at offset 0, buffer has 12',
    });
  });

  it('skips the checksum when verifyChecksum is false', () => {
    const bytes = variant((b) => b.writeUInt16BE(0x1234, 10), false);
    assert.equal(ipv4Header.decode(bytes, 0, { verifyChecksum: false }).checksum, 0x1234);
  });

  it('accepts a total length beyond the buffer when allowTruncatedPayload is set', () => {
    const header = ipv4Header.decode(valid.subarray(0, 28), 0, { allowTruncatedPayload: true });
    assert.equal(header.totalLength, 84);
    // ...but still not one below the header length.
    assert.throws(
      () =>
        ipv4Header.decode(
          variant((b) => b.writeUInt16BE(10, 2)),
          0,
          { allowTruncatedPayload: true },
        ),
      (e: unknown) => e instanceof PacketDecodeError && e.code === 'ERR_PACKET_BAD_LENGTH',
    );
  });

  it('throws RangeError for an offset that is not an index', () => {
    assert.throws(() => ipv4Header.decode(valid, -1), RangeError);
    assert.throws(() => ipv4Header.decode(valid, 1.5), RangeError);
  });
});

describe('ipv4Header round trip', () => {
  const headers: Ipv4HeaderInit[] = [
    { totalLength: 20, protocol: IpProtocol.Icmp, source: '0.0.0.0', destination: '255.255.255.255' },
    {
      tos: 0xb8,
      totalLength: 24,
      identification: 0xffff,
      dontFragment: true,
      ttl: 1,
      protocol: IpProtocol.Udp,
      source: '10.0.1.1',
      destination: '10.0.7.2',
      options: Buffer.from([0x94, 0x04, 0x00, 0x00]),
    },
    {
      totalLength: 60,
      moreFragments: true,
      fragmentOffset: 0x1fff,
      ttl: 255,
      protocol: IpProtocol.Tcp,
      source: '192.0.2.1',
      destination: '198.51.100.2',
      options: Buffer.alloc(40, 1),
    },
  ];
  for (const fields of headers) {
    it(`round-trips a ${ipv4Header.encodingLength(fields)}-byte header, total length ${fields.totalLength}`, () => {
      assertRoundTrip(ipv4Header, fields, { allowTruncatedPayload: true });
    });
  }

  it("writes what test/e2e/fixtures/ip_packets.py's ipv4_header (Python struct) writes", () => {
    // ipv4_header(inet_aton('10.0.1.1'), inet_aton('10.0.7.2'), 17, 18): identification 0x4242, TTL 64.
    const reference = hex('45000026 42420000 40111c83 0a000101 0a000702');
    const fields = {
      totalLength: 38,
      identification: 0x4242,
      protocol: IpProtocol.Udp,
      source: '10.0.1.1',
      destination: '10.0.7.2',
    };
    assert.deepEqual(ipv4Header.encode(fields), reference);
  });
});
