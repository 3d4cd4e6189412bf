import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { mssOf, TcpFlag, tcpSegment } from '../../../probes/packet';
import { encodeSyn, type SynSpec } from '../../../probes/knock/syn-segment';

// A knock SYN captured on the client end of a lab link (the synV4 packet of
// test/probes/packet/tcp.test.ts), which the target's kernel answered: its TCP segment.
const capturedSyn = Buffer.from('a5191f90bb7c793a000000006002faf08dd20000020405b4', 'hex');

const v4: SynSpec = {
  family: 4,
  pseudo: { source: '10.0.1.1', destination: '10.0.1.2' },
  sourcePort: 0xa519,
  destinationPort: 8080,
  sequence: 0xbb7c793a,
};

describe('encodeSyn', () => {
  it('writes the SYN that a kernel accepted, byte for byte', () => {
    assert.deepEqual(encodeSyn(v4), capturedSyn);
  });

  it("offers each family's MSS, checksummed over the family's pseudo-header", () => {
    const v6: SynSpec = {
      ...v4,
      family: 6,
      pseudo: { source: 'fd00:0:0:1::1', destination: 'fd00:0:0:1::2' },
    };
    for (const [spec, mss] of [
      [v4, 1460],
      [v6, 1440],
    ] as const) {
      const syn = tcpSegment.decode(encodeSyn(spec), 0, { pseudo: spec.pseudo }); // verifies the checksum
      assert.equal(syn.flags, TcpFlag.SYN);
      assert.equal(mssOf(syn.options), mss);
    }
  });

  it("writes into a caller's buffer at an offset and returns it", () => {
    const buf = Buffer.alloc(capturedSyn.length + 9, 0xa5);
    assert.equal(encodeSyn(v4, buf, 5), buf);
    assert.deepEqual(buf.subarray(5, 5 + capturedSyn.length), capturedSyn);
    assert.ok(buf.subarray(0, 5).every((b) => b === 0xa5));
    assert.ok(buf.subarray(5 + capturedSyn.length).every((b) => b === 0xa5));
  });
});
