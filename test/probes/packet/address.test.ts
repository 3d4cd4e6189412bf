import assert from 'node:assert/strict';
import { isIP } from 'node:net';
import { describe, it } from 'node:test';

import {
  PacketDecodeError,
  PacketEncodeError,
  addressFromBytes,
  addressToBytes,
  canonicalAddress,
  ipFamily,
  ipv4FromBytes,
  ipv4ToBytes,
  ipv6FromBytes,
  ipv6ToBytes,
} from '../../../probes/packet';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

const isBadAddress = (e: unknown): boolean =>
  e instanceof PacketEncodeError && e.code === 'ERR_PACKET_BAD_ADDRESS';

// [input, bytes, what glibc's inet_ntop prints for those bytes]
const ipv6Cases: [string, string, string][] = [
  ['::', '00000000000000000000000000000000', '::'],
  ['::1', '00000000000000000000000000000001', '::1'],
  ['1::', '00010000000000000000000000000000', '1::'],
  ['2001:db8::1', '20010db8000000000000000000000001', '2001:db8::1'],
  ['2001:0db8:0000:0000:0000:0000:0000:0001', '20010db8000000000000000000000001', '2001:db8::1'],
  // A single zero group is not compressed.
  ['2001:db8:0:1:1:1:1:1', '20010db8000000010001000100010001', '2001:db8:0:1:1:1:1:1'],
  ['2001:db8::1:1:1:1:1', '20010db8000000010001000100010001', '2001:db8:0:1:1:1:1:1'],
  // The longest run is compressed, not the first one.
  ['2001:0:0:1:0:0:0:1', '20010000000000010000000000000001', '2001:0:0:1::1'],
  ['2001:0:0:1::1', '20010000000000010000000000000001', '2001:0:0:1::1'],
  // Equal runs: the first one is compressed.
  ['2001:db8:0:0:1:0:0:1', '20010db8000000000001000000000001', '2001:db8::1:0:0:1'],
  ['1:0:0:2:3:0:0:4', '00010000000000020003000000000004', '1::2:3:0:0:4'],
  ['0:0:1:0:0:1:0:0', '00000000000100000000000100000000', '::1:0:0:1:0:0'],
  ['1:2:3:4:5:6:7::', '00010002000300040005000600070000', '1:2:3:4:5:6:7:0'],
  ['::2:3:4:5:6:7:8', '00000002000300040005000600070008', '0:2:3:4:5:6:7:8'],
  ['fe80::1:2', 'fe800000000000000000000000010002', 'fe80::1:2'],
  ['FE80::ABCD:EF01', 'fe8000000000000000000000abcdef01', 'fe80::abcd:ef01'],
  ['2001:DB8:A:B:C:D:E:F', '20010db8000a000b000c000d000e000f', '2001:db8:a:b:c:d:e:f'],
  [
    'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
    'ffffffffffffffffffffffffffffffff',
    'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
  ],
  // IPv4-mapped, and the deprecated IPv4-compatible form, print a dotted quad.
  ['::ffff:192.0.2.1', '00000000000000000000ffffc0000201', '::ffff:192.0.2.1'],
  ['::FFFF:c000:0201', '00000000000000000000ffffc0000201', '::ffff:192.0.2.1'],
  ['::ffff:0.0.0.0', '00000000000000000000ffff00000000', '::ffff:0.0.0.0'],
  ['::1.2.3.4', '00000000000000000000000001020304', '::1.2.3.4'],
  ['::0.1.0.0', '00000000000000000000000000010000', '::0.1.0.0'],
  ['::0.0.0.2', '00000000000000000000000000000002', '::2'],
  ['64:ff9b::192.0.2.33', '0064ff9b0000000000000000c0000221', '64:ff9b::c000:221'],
  ['1:2:3:4:5:6:1.2.3.4', '00010002000300040005000601020304', '1:2:3:4:5:6:102:304'],
  ['::ffff:1:2', '00000000000000000000ffff00010002', '::ffff:0.1.0.2'],
  ['0:0:0:0:1:ffff:1:2', '0000000000000000' + '0001ffff00010002', '::1:ffff:1:2'],
];

describe('ipv6ToBytes / ipv6FromBytes', () => {
  for (const [input, bytes, canonical] of ipv6Cases) {
    it(`${input} -> ${canonical}`, () => {
      const buf = Buffer.alloc(18, 0xaa);
      ipv6ToBytes(input, buf, 1);
      assert.equal(buf.subarray(1, 17).toString('hex'), bytes);
      assert.equal(buf[0], 0xaa);
      assert.equal(buf[17], 0xaa);
      assert.equal(ipv6FromBytes(buf, 1), canonical);
      assert.equal(canonicalAddress(input), canonical);
      assert.equal(ipFamily(input), 6);
    });
  }

  it('throws ERR_PACKET_TRUNCATED when fewer than 16 bytes remain', () => {
    assert.throws(
      () => ipv6FromBytes(Buffer.alloc(20), 5),
      (e: unknown) =>
        e instanceof PacketDecodeError && e.code === 'ERR_PACKET_TRUNCATED' && e.layer === 'address',
    );
  });

  it('throws ERR_PACKET_BUFFER_TOO_SMALL when the target cannot hold 16 bytes', () => {
    assert.throws(
      () => ipv6ToBytes('::1', Buffer.alloc(16), 1),
      (e: unknown) => e instanceof PacketEncodeError && e.code === 'ERR_PACKET_BUFFER_TOO_SMALL',
    );
  });

  it('rejects zone ids with an error that says so', () => {
    assert.throws(
      () => ipv6ToBytes('fe80::1%eth0', Buffer.alloc(16), 0),
      (e: unknown) => isBadAddress(e) && e instanceof Error && /zone id/.test(e.message),
    );
    assert.equal(ipFamily('fe80::1%eth0'), 0);
  });

  it('leaves the target untouched when the address is invalid', () => {
    const buf = Buffer.alloc(16, 0xaa);
    assert.throws(() => ipv6ToBytes('1:2:3:4:5:6:7:8:9', buf, 0), isBadAddress);
    assert.deepEqual(buf, Buffer.alloc(16, 0xaa));
  });
});

describe('ipv4ToBytes / ipv4FromBytes', () => {
  const cases: [string, string][] = [
    ['0.0.0.0', '00000000'],
    ['127.0.0.1', '7f000001'],
    ['192.0.2.1', 'c0000201'],
    ['255.255.255.255', 'ffffffff'],
    ['10.20.30.40', '0a141e28'],
  ];
  for (const [text, bytes] of cases) {
    it(`${text} <-> ${bytes}`, () => {
      const buf = Buffer.alloc(6);
      ipv4ToBytes(text, buf, 2);
      assert.equal(buf.subarray(2).toString('hex'), bytes);
      assert.equal(ipv4FromBytes(buf, 2), text);
      assert.equal(ipFamily(text), 4);
      assert.equal(canonicalAddress(text), text);
    });
  }

  it('rejects an IPv6 address', () => {
    assert.throws(() => ipv4ToBytes('::1', Buffer.alloc(4), 0), isBadAddress);
  });

  it('throws ERR_PACKET_TRUNCATED when fewer than 4 bytes remain', () => {
    assert.throws(
      () => ipv4FromBytes(Buffer.alloc(4), 1),
      (e: unknown) => e instanceof PacketDecodeError && e.code === 'ERR_PACKET_TRUNCATED',
    );
  });
});

describe('invalid addresses', () => {
  const invalid = [
    '',
    ':',
    ':::',
    ':1',
    '1:',
    '1::2::3',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7',
    '::1:2:3:4:5:6:7:8',
    '1:2:3:4:5:6:7:8::',
    '12345::1',
    'g::1',
    '::ffff:1.2.3',
    '::ffff:1.2.3.4.5',
    '::ffff:01.2.3.4',
    '1.2.3.4::',
    '1:2:3:4:5:6:7:1.2.3.4',
    '1.2.3',
    '1.2.3.4.5',
    '256.1.1.1',
    '01.2.3.4',
    '1.2.3.-4',
    '1..2.3',
    ' 1.2.3.4',
    '1.2.3.4 ',
    '::1 ',
    'localhost',
    '1.2.3.4/24',
    '[::1]',
    'fe80::1%eth0',
    '０.0.0.0', // a fullwidth digit
  ];
  for (const addr of invalid) {
    it(`rejects ${JSON.stringify(addr)}`, () => {
      assert.equal(ipFamily(addr), 0);
      assert.equal(isIP(addr) === 0 || addr.includes('%'), true, 'node:net agrees');
      assert.throws(() => addressToBytes(addr), isBadAddress);
      assert.throws(() => canonicalAddress(addr), isBadAddress);
      assert.throws(() => ipv4ToBytes(addr, Buffer.alloc(4), 0), isBadAddress);
      assert.throws(() => ipv6ToBytes(addr, Buffer.alloc(16), 0), isBadAddress);
    });
  }

  it('names the address and the layer in the message', () => {
    assert.throws(() => addressToBytes('1.2.3'), {
      name: 'PacketEncodeError',
      message: "address: '1.2.3' is not a valid IP address",
    });
  });
});

describe('addressToBytes / addressFromBytes', () => {
  it('returns a new 4- or 16-byte Buffer', () => {
    assert.deepEqual(addressToBytes('192.0.2.1'), hex('c0000201'));
    assert.deepEqual(addressToBytes('2001:db8::1'), hex('20010db8000000000000000000000001'));
    assert.notEqual(addressToBytes('::1'), addressToBytes('::1'));
  });

  it('reads by family', () => {
    const buf = hex('00 c0000201 20010db8000000000000000000000001');
    assert.equal(addressFromBytes(buf, 1, 4), '192.0.2.1');
    assert.equal(addressFromBytes(buf, 5, 6), '2001:db8::1');
  });

  it('ipFamily agrees with node:net isIP', () => {
    for (const addr of ['1.2.3.4', '::', '::ffff:1.2.3.4', '1:2:3:4:5:6:7::', 'x', '1.2.3', '01.1.1.1']) {
      assert.equal(ipFamily(addr), isIP(addr), addr);
    }
  });
});
