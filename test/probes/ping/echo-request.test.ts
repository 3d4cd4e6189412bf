import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeIcmp, encodeIcmpEcho, IcmpType } from '../../../probes/packet';
import { encodeEchoRequest } from '../../../probes/ping/echo-request';

describe('encodeEchoRequest', () => {
  it('writes a plain IPv4 echo request byte for byte as the general ICMP encoder does', () => {
    for (const [identifier, sequence, size] of [
      [0, 0, 8],
      [1, 2, 56],
      [0xffff, 0xffff, 57],
      [0x1234, 0xabcd, 1400],
    ] as const) {
      const payload = Buffer.alloc(size);
      for (let i = 0; i < size; i++) payload[i] = (i * 37 + identifier) & 0xff;
      const packet = encodeEchoRequest({
        family: 4,
        identifier,
        sequence,
        payload,
        destination: '192.0.2.1',
      });
      const reference = Buffer.alloc(8 + size);
      encodeIcmpEcho({ type: IcmpType.EchoRequest, identifier, sequence, payload }, reference, 0);
      assert.deepEqual(packet, reference);
      const decoded = decodeIcmp(packet, 0, packet.length); // verifies the checksum
      assert.equal(decoded.kind, 'echo');
    }
  });
});
