import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  PacketEncodeError,
  finishChecksum,
  internetChecksum,
  onesComplementSum,
  pseudoHeaderSum,
} from '../../../probes/packet';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('onesComplementSum', () => {
  it('adds big-endian words without folding (RFC 1071 §3 example)', () => {
    const buf = hex('0001 f203 f4f5 f6f7');
    assert.equal(onesComplementSum(buf, 0, 8), 0x2ddf0);
    assert.equal(finishChecksum(onesComplementSum(buf, 0, 8)) ^ 0xffff, 0xddf2);
  });

  it('pads an odd trailing byte with zero', () => {
    assert.equal(onesComplementSum(hex('0102 03'), 0, 3), 0x0102 + 0x0300);
    assert.equal(onesComplementSum(hex('ff'), 0, 1), 0xff00);
  });

  it('covers only the given range and adds the initial value', () => {
    const buf = hex('ffff 0001 0002 ffff');
    assert.equal(onesComplementSum(buf, 2, 4), 3);
    assert.equal(onesComplementSum(buf, 2, 4, 0x10000), 0x10003);
    assert.equal(onesComplementSum(buf, 3, 0), 0);
  });

  it('rejects ranges outside the buffer: a RangeError with its catalogue code', () => {
    const buf = Buffer.alloc(4);
    assert.throws(() => onesComplementSum(buf, 2, 3), RangeError);
    assert.throws(() => onesComplementSum(buf, 2, 3), {
      name: 'PacketArgumentError',
      code: 'ERR_PACKET_BAD_ARGUMENT',
    });
    assert.throws(() => onesComplementSum(buf, -1, 2), RangeError);
    assert.throws(() => onesComplementSum(buf, 0.5, 2), RangeError);
  });
});

describe('finishChecksum', () => {
  it('folds carries repeatedly and complements', () => {
    assert.equal(finishChecksum(0x2ddf0), 0x220d);
    assert.equal(finishChecksum(0x1fffe), 0x0000); // 0xfffe + 1 = 0xffff
    assert.equal(finishChecksum(0), 0xffff);
    assert.equal(finishChecksum(0xffff), 0);
  });

  it('handles sums wider than 32 bits', () => {
    // 0x1_0000_0000 ≡ 1 (mod 0xffff)
    assert.equal(finishChecksum(0x1_0000_0000), 0xfffe);
    assert.equal(finishChecksum(0xffff * 2 ** 20), 0);
  });
});

describe('internetChecksum', () => {
  it('gives 0x220d for the RFC 1071 example', () => {
    assert.equal(internetChecksum(hex('0001 f203 f4f5 f6f7'), 0, 8), 0x220d);
  });

  it('verifies to zero once the checksum is inserted', () => {
    const buf = hex('0001 f203 f4f5 f6f7 0000');
    buf.writeUInt16BE(internetChecksum(buf, 0, 8), 8);
    assert.equal(internetChecksum(buf, 0, 10), 0);
  });

  it('handles an odd length', () => {
    // 0x0102 + 0x0300 = 0x0402 -> ~ = 0xfbfd
    assert.equal(internetChecksum(hex('010203'), 0, 3), 0xfbfd);
  });

  it('gives 0 for data that sums to 0xffff', () => {
    assert.equal(internetChecksum(hex('fff0 000f'), 0, 4), 0);
    assert.equal(internetChecksum(hex('ffff'), 0, 2), 0);
  });

  it('gives 0xffff for all-zero data', () => {
    assert.equal(internetChecksum(Buffer.alloc(20), 0, 20), 0xffff);
    assert.equal(internetChecksum(Buffer.alloc(0), 0, 0), 0xffff);
  });

  it('is correct for 64 KiB of 0xff', () => {
    const buf = Buffer.alloc(65536, 0xff);
    assert.equal(onesComplementSum(buf, 0, buf.length), 32768 * 0xffff);
    assert.equal(internetChecksum(buf, 0, buf.length), 0);
  });

  it('is correct for 64 KiB of a pattern, compared with a folding reference', () => {
    const buf = Buffer.alloc(65535);
    for (let i = 0; i < buf.length; i++) buf[i] = (i * 31 + 7) & 0xff;
    let reference = 0;
    for (let i = 0; i < buf.length; i += 2) {
      reference += (buf[i]! << 8) | (i + 1 < buf.length ? buf[i + 1]! : 0);
      reference = (reference & 0xffff) + (reference >>> 16);
    }
    assert.equal(internetChecksum(buf, 0, buf.length), ~reference & 0xffff);
  });

  it('validates the classic IPv4 header 4500003c1c4640004006b1e6ac100a63ac100a0c', () => {
    const header = hex('4500003c1c4640004006b1e6ac100a63ac100a0c');
    assert.equal(internetChecksum(header, 0, 20), 0);
    header.writeUInt16BE(0, 10);
    assert.equal(internetChecksum(header, 0, 20), 0xb1e6);
  });
});

describe('pseudoHeaderSum', () => {
  it('sums the IPv4 pseudo-header (RFC 768)', () => {
    const source = hex('c000020a');
    const destination = hex('c6336407');
    const expected = 0xc000 + 0x020a + 0xc633 + 0x6407 + 17 + 20;
    assert.equal(pseudoHeaderSum(source, destination, 17, 20), expected);
  });

  it('sums the IPv6 pseudo-header with a 32-bit length (RFC 8200 §8.1)', () => {
    const source = hex('20010db8000000000000000000000001');
    const destination = hex('20010db8000000000000000000000002');
    const words = 0x2001 + 0x0db8 + 1 + 0x2001 + 0x0db8 + 2;
    assert.equal(pseudoHeaderSum(source, destination, 58, 0x12345), words + 58 + 0x1 + 0x2345);
  });

  it('matches a checksum computed over an explicit pseudo-header', () => {
    const source = hex('20010db8000000000000000000000010');
    const destination = hex('20010db8000100000000000000000007');
    const message = hex('8000 0000 0077 0003 78787878');
    const explicit = Buffer.concat([source, destination, hex('0000000c 0000003a'), message]);
    assert.equal(
      internetChecksum(message, 0, message.length, pseudoHeaderSum(source, destination, 58, message.length)),
      internetChecksum(explicit, 0, explicit.length),
    );
  });

  it('rejects addresses of mixed or wrong sizes', () => {
    const isBadAddress = (e: unknown): boolean =>
      e instanceof PacketEncodeError && e.code === 'ERR_PACKET_BAD_ADDRESS';
    assert.throws(() => pseudoHeaderSum(Buffer.alloc(4), Buffer.alloc(16), 58, 8), isBadAddress);
    assert.throws(() => pseudoHeaderSum(Buffer.alloc(5), Buffer.alloc(5), 17, 8), isBadAddress);
  });

  it('rejects lengths that the pseudo-header cannot carry', () => {
    assert.throws(() => pseudoHeaderSum(Buffer.alloc(4), Buffer.alloc(4), 17, 0x10000), RangeError);
    assert.throws(() => pseudoHeaderSum(Buffer.alloc(16), Buffer.alloc(16), 58, -1), RangeError);
    assert.throws(() => pseudoHeaderSum(Buffer.alloc(16), Buffer.alloc(16), 256, 8), RangeError);
  });
});
