import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  IpProtocol,
  PacketDecodeError,
  PacketEncodeError,
  ipHeader,
  ipv4Header,
  withIpHeader,
  type IpHeaderFields,
} from '../../../probes/packet';
import { assertRoundTrip } from '../../support/round-trip';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// IPv4: headers the Linux kernel wrote, captured with `tcpdump -w` on a lab link (the packets of
// tcp.test.ts): identification 0 and DF set, as every header-included probe of ours sends them.
// IPv6: built by Python's struct, the reference of the lab's forging scripts:
//   struct.pack('!IHBB16s16s', 0x60000000, payload_length, next_header, hop_limit,
//               inet_pton(AF_INET6, source), inet_pton(AF_INET6, destination))
const fixtures: { name: string; fields: IpHeaderFields; bytes: Buffer }[] = [
  {
    name: 'the kernel RST from 10.0.1.1 (captured)',
    fields: {
      family: 4,
      protocol: IpProtocol.Tcp,
      hopLimit: 64,
      source: '10.0.1.1',
      destination: '10.0.1.2',
      payloadLength: 20,
      dontFragment: true,
    },
    bytes: hex('45000028 00004000 400624ce 0a000101 0a000102'),
  },
  {
    name: 'the kernel SYN-ACK from 10.0.1.2 (captured)',
    fields: {
      family: 4,
      protocol: IpProtocol.Tcp,
      hopLimit: 64,
      source: '10.0.1.2',
      destination: '10.0.1.1',
      payloadLength: 24,
      dontFragment: true,
    },
    bytes: hex('4500002c 00004000 400624ca 0a000102 0a000101'),
  },
  {
    name: 'a UDP probe at hop limit 5 (Python struct)',
    fields: {
      family: 6,
      protocol: IpProtocol.Udp,
      hopLimit: 5,
      source: 'fd00:0:0:1::1',
      destination: 'fd00:0:0:7::2',
      payloadLength: 18,
    },
    bytes: hex('60000000 0012 11 05 fd000000000000010000000000000001 fd000000000000070000000000000002'),
  },
  {
    name: 'an ICMPv6 message at hop limit 255 (Python struct)',
    fields: {
      family: 6,
      protocol: IpProtocol.Icmpv6,
      hopLimit: 255,
      source: '2001:db8::10',
      destination: '2001:db8:ffff::1',
      payloadLength: 16,
    },
    bytes: hex('60000000 0010 3a ff 20010db8000000000000000000000010 20010db8ffff00000000000000000001'),
  },
];

describe('ipHeader', () => {
  for (const { name, fields, bytes } of fixtures) {
    it(`writes ${name} byte for byte`, () => {
      assert.deepEqual(ipHeader.encode(fields), bytes);
    });

    it(`round-trips ${name}`, () => {
      // A header alone: its payload is not there.
      const decoded = assertRoundTrip(ipHeader, fields, { allowTruncatedPayload: true });
      assert.equal(decoded.headerLength, bytes.length);
    });
  }

  it('writes DF only when asked, and never for IPv6 (whose routers do not fragment)', () => {
    const v4 = { ...fixtures[0]!.fields };
    delete v4.dontFragment;
    assert.equal(
      ipHeader.decode(ipHeader.encode(v4), 0, { allowTruncatedPayload: true }).dontFragment,
      false,
    );
    const v6 = ipHeader.decode(ipHeader.encode({ ...fixtures[2]!.fields, dontFragment: true }), 0, {
      allowTruncatedPayload: true,
    });
    assert.equal(v6.dontFragment, undefined);
  });

  it('decodes the IPv4 header of a whole packet, verifying its checksum', () => {
    const packet = withIpHeader(fixtures[0]!.fields, Buffer.alloc(20));
    assert.equal(ipHeader.decode(packet).payloadLength, 20);
    packet[8] = 63; // the TTL, without fixing the checksum
    assert.throws(
      () => ipHeader.decode(packet),
      (e: unknown) => e instanceof PacketDecodeError && e.code === 'ERR_PACKET_BAD_CHECKSUM',
    );
  });

  it('rejects a version other than 4 or 6', () => {
    const bytes = Buffer.from(fixtures[0]!.bytes);
    bytes[0] = 0x55;
    assert.throws(
      () => ipHeader.decode(bytes, 0, { allowTruncatedPayload: true }),
      (e: unknown) => e instanceof PacketDecodeError && e.code === 'ERR_PACKET_BAD_VERSION',
    );
  });

  it('rejects an address of the other family, leaving the buffer untouched', () => {
    const buf = Buffer.alloc(40, 0xaa);
    assert.throws(
      () => ipHeader.encode({ ...fixtures[2]!.fields, source: '10.0.0.1' }, buf),
      (e: unknown) => e instanceof PacketEncodeError && e.code === 'ERR_PACKET_BAD_ADDRESS',
    );
    assert.ok(buf.every((b) => b === 0xaa));
  });
});

describe('withIpHeader', () => {
  it('puts the payload behind the header of its length', () => {
    const payload = Buffer.from('0123456789abcdef0123', 'utf8');
    const { payloadLength: _, ...header } = fixtures[0]!.fields;
    const packet = withIpHeader(header, payload);
    assert.deepEqual(packet.subarray(0, 20), fixtures[0]!.bytes);
    assert.deepEqual(packet.subarray(20), payload);
    assert.equal(ipv4Header.decode(packet).totalLength, packet.length);
  });

  it('writes an IPv6 header for an IPv6 family', () => {
    const payload = Buffer.alloc(18, 7);
    const { payloadLength: _, ...header } = fixtures[2]!.fields;
    const packet = withIpHeader(header, payload);
    assert.deepEqual(packet, Buffer.concat([fixtures[2]!.bytes, payload]));
  });
});
