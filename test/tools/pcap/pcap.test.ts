import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { wireKnockRtts } from '../../support/pcap';

const NANO_MAGIC = 0xa1b23c4d;

/** A little-endian nanosecond pcap of `linkType` holding `packets` at their times (ns since the epoch). */
function pcap(linkType: number, packets: Array<{ at: bigint; bytes: Buffer }>): Buffer {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(NANO_MAGIC, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(65535, 16);
  header.writeUInt32LE(linkType, 20);
  const records = packets.map(({ at, bytes }) => {
    const record = Buffer.alloc(16);
    record.writeUInt32LE(Number(at / 1_000_000_000n), 0);
    record.writeUInt32LE(Number(at % 1_000_000_000n), 4);
    record.writeUInt32LE(bytes.length, 8);
    record.writeUInt32LE(bytes.length, 12);
    return Buffer.concat([record, bytes]);
  });
  return Buffer.concat([header, ...records]);
}

/** An IPv4 packet carrying a bare TCP header (checksums left zero: the reader does not check them). */
function tcp4(from: number, to: number, seq: number, ack: number, flags: number): Buffer {
  const packet = Buffer.alloc(40);
  packet[0] = 0x45;
  packet.writeUInt16BE(40, 2);
  packet[8] = 64;
  packet[9] = 6;
  packet.writeUInt16BE(from, 20);
  packet.writeUInt16BE(to, 22);
  packet.writeUInt32BE(seq, 24);
  packet.writeUInt32BE(ack, 28);
  packet[32] = 5 << 4;
  packet[33] = flags;
  return packet;
}

const SYN = 0x02;
const SYN_ACK = 0x12;
const RST_ACK = 0x14;

describe('pcap reader (what the e2e tests compare with)', () => {
  const t0 = 1_764_000_000_000_000_000n;
  const handshakes = [
    { at: t0, bytes: tcp4(40000, 8080, 1000, 0, SYN) },
    { at: t0 + 10_250_000n, bytes: tcp4(8080, 40000, 7, 1001, SYN_ACK) },
    { at: t0 + 50_000_000n, bytes: tcp4(40000, 8081, 0xffffffff, 0, SYN) },
    { at: t0 + 60_500_001n, bytes: tcp4(8081, 40000, 0, 0, RST_ACK) },
  ];

  it('reads a raw IP capture (a TUN device) as it reads an Ethernet one', () => {
    const ethernet = handshakes.map(({ at, bytes }) => {
      const frame = Buffer.concat([Buffer.alloc(14), bytes]);
      frame.writeUInt16BE(0x0800, 12);
      return { at, bytes: frame };
    });
    const expected = new Map([
      ['4/40000/1000', 0.01025],
      ['4/40000/4294967295', 0.010500001],
    ]);
    assert.deepEqual(wireKnockRtts(pcap(101, handshakes)), expected);
    assert.deepEqual(wireKnockRtts(pcap(1, ethernet)), expected);
  });

  it('rejects other link types and microsecond captures', () => {
    assert.throws(
      () => wireKnockRtts(pcap(113, handshakes)),
      /link type 113, expected Ethernet \(1\) or raw IP \(101\)/,
    );
    const micro = pcap(101, handshakes);
    micro.writeUInt32LE(0xa1b2c3d4, 0);
    assert.throws(() => wireKnockRtts(micro), /not a nanosecond-precision capture/);
  });
});
