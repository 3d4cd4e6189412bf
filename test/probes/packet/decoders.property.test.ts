// Property: whatever bytes arrive, every decoder either returns or throws PacketDecodeError;
// never a RangeError from reading past the end, never a TypeError. Fixed seed, so a failure
// reproduces.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  PacketDecodeError,
  icmp,
  icmpv6,
  ipHeader,
  ipv4Header,
  ipv6Header,
  ipv4FromBytes,
  ipv6FromBytes,
  type IcmpMessage,
  type PacketLayer,
} from '../../../probes/packet';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** xorshift32 (Marsaglia). */
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

const LOOPBACK = '00000000000000000000000000000001';
const seeds = [
  hex(
    '45000054443540004001f8717f0000017f00000108004ec40fa70001cbeb066b00000000006a080000000000101112131415161718',
  ),
  hex(
    '45c0004544930000400137637f0000017f0000010303c9e40000000045000029eda3400001118e1e7f0000017f000001ba11829a0015fe28',
  ),
  hex('4600002000004000010242c0c0000201e000001694040000 0000000000000000'),
  hex(`600239a100183a40 ${LOOPBACK} ${LOOPBACK} 80004a230fa80001cbeb066b000000004b88080000000000`),
  hex(`6004687f00403a40 ${LOOPBACK} ${LOOPBACK} 0104b8ef00000000 6001e71000101140 ${LOOPBACK} ${LOOPBACK}`),
  hex('0b00e16a0000000045000028beef000001110e91c000020ac6336407d431829a001428b6'),
  hex('0304e884000005784500003c424240003f010d3ac000020ac63364070800f4c312340007'),
  hex('020002f400000500 6000000000183a40 20010db8000000000000000000000010 20010db8000100000000000000000007'),
];

function randomBuffer(next: () => number): Buffer {
  const mode = next() % 4;
  if (mode === 0) {
    const buf = Buffer.alloc(next() % 100);
    for (let i = 0; i < buf.length; i++) buf[i] = next() & 0xff;
    return buf;
  }
  const seed = seeds[next() % seeds.length]!;
  let buf = Buffer.from(seed);
  const flips = mode === 1 ? 1 : 1 + (next() % 6);
  for (let i = 0; i < flips && buf.length > 0; i++) {
    const at = next() % buf.length;
    // Favour the fields decoders branch on: version/IHL, lengths and types.
    buf[at] = next() % 3 === 0 ? buf[at]! ^ (1 << (next() % 8)) : next() & 0xff;
  }
  if (mode === 3) buf = buf.subarray(0, next() % (buf.length + 1));
  return buf;
}

function checkViews(msg: IcmpMessage, buf: Buffer, offset: number, length: number): void {
  const view = msg.kind === 'echo' ? msg.payload : msg.kind === 'error' ? msg.quoted : msg.body;
  assert.equal(view.buffer, buf.buffer);
  assert.equal(view.byteOffset + view.length, buf.byteOffset + offset + length);
  assert.equal(view.length, length - (msg.kind === 'other' ? 4 : 8));
}

/**
 * Runs `decode`; returns whether it succeeded. Fails the test on anything but a
 * PacketDecodeError of the decoder's own layer (or layers).
 */
function attempt(
  name: string,
  layer: PacketLayer | PacketLayer[],
  input: Buffer,
  decode: () => void,
): boolean {
  const layers = Array.isArray(layer) ? layer : [layer];
  try {
    decode();
    return true;
  } catch (e) {
    if (e instanceof PacketDecodeError && layers.includes(e.layer)) return false;
    assert.fail(`${name} threw ${String(e)} for ${input.toString('hex')}`);
  }
}

describe('decoders on random and mutated input', () => {
  it('return or throw PacketDecodeError for 10,000 buffers', () => {
    const next = xorshift(0x5eed1234);
    const outcomes: Record<string, [number, number]> = {};
    const count = (name: string, ok: boolean): void => {
      const entry = (outcomes[name] ??= [0, 0]);
      entry[ok ? 0 : 1]++;
    };
    const loopback = { source: '::1', destination: '::1' };

    for (let i = 0; i < 10_000; i++) {
      const buf = randomBuffer(next);
      const offset = next() % 4 === 0 ? next() % (buf.length + 1) : 0;
      // Mostly the rest of the buffer; sometimes less, sometimes (wrongly) more.
      const rest = buf.length - offset;
      const length = next() % 4 === 0 ? next() % (rest + 9) : rest;

      count(
        'ipv4',
        attempt('ipv4Header.decode', 'ipv4', buf, () => {
          const h = ipv4Header.decode(buf, offset, { verifyChecksum: next() % 2 === 0 });
          assert.ok(h.headerLength >= 20 && h.headerLength <= 60 && offset + h.headerLength <= buf.length);
          assert.ok(h.totalLength <= buf.length - offset);
          assert.equal(h.options.length, h.headerLength - 20);
        }),
      );
      count(
        'ipv4 quoted',
        attempt('ipv4Header.decode', 'ipv4', buf, () => {
          const h = ipv4Header.decode(buf, offset, { verifyChecksum: false, allowTruncatedPayload: true });
          assert.equal(h.options.length, h.headerLength - 20);
        }),
      );
      count(
        'ipv6',
        attempt('ipv6Header.decode', 'ipv6', buf, () => {
          const h = ipv6Header.decode(buf, offset, { allowTruncatedPayload: next() % 2 === 0 });
          assert.ok(h.flowLabel <= 0xfffff && h.trafficClass <= 0xff);
        }),
      );
      count(
        'ip',
        attempt('ipHeader.decode', ['ipv4', 'ipv6'], buf, () => {
          const h = ipHeader.decode(buf, offset, { length });
          assert.ok(h.family === 4 ? h.headerLength >= 20 && h.headerLength <= 60 : h.headerLength === 40);
          assert.ok(h.headerLength + h.payloadLength <= length);
        }),
      );
      count(
        'icmpv4',
        attempt('icmp.decode', 'icmpv4', buf, () => {
          checkViews(
            icmp.decode(buf, offset, { length, verifyChecksum: next() % 2 === 0 }),
            buf,
            offset,
            length,
          );
        }),
      );
      count(
        'icmpv6',
        attempt('icmpv6.decode', 'icmpv6', buf, () => {
          const options = next() % 2 === 0 ? { pseudo: loopback } : {};
          checkViews(icmpv6.decode(buf, offset, { length, ...options }), buf, offset, length);
        }),
      );
      count(
        'addresses',
        attempt('ipv4FromBytes/ipv6FromBytes', 'address', buf, () => {
          ipv4FromBytes(buf, offset);
          ipv6FromBytes(buf, offset);
        }),
      );
    }

    // The inputs must exercise both outcomes of every decoder, or the property proves little.
    for (const [name, [ok, failed]] of Object.entries(outcomes)) {
      assert.ok(ok > 100 && failed > 100, `${name}: ${ok} decoded, ${failed} rejected`);
    }
  });
});
