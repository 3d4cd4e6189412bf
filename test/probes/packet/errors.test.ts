import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { PacketDecodeError, PacketEncodeError, ipv4Header } from '../../../probes/packet';

describe('PacketDecodeError', () => {
  it('carries code, layer, offset and a name', () => {
    const e = new PacketDecodeError('ERR_PACKET_TRUNCATED', 'ipv4', 7, 'ipv4: header needs 20 bytes');
    assert.ok(e instanceof Error);
    assert.equal(e.name, 'PacketDecodeError');
    assert.equal(e.code, 'ERR_PACKET_TRUNCATED');
    assert.equal(e.layer, 'ipv4');
    assert.equal(e.offset, 7);
    assert.equal(e.message, 'ipv4: header needs 20 bytes');
    assert.equal(String(e), 'PacketDecodeError: ipv4: header needs 20 bytes');
    assert.match(e.stack ?? '', /^PacketDecodeError: ipv4: header needs 20 bytes/);
  });

  it('is what the decoders throw', () => {
    assert.throws(() => ipv4Header.decode(Buffer.alloc(3), 0), PacketDecodeError);
  });
});

describe('PacketEncodeError', () => {
  it('carries code, layer and a name', () => {
    const e = new PacketEncodeError(
      'ERR_PACKET_BAD_FIELD',
      'icmpv6',
      'icmpv6: code must be an integer in 0..255',
    );
    assert.ok(e instanceof Error);
    assert.ok(!(e instanceof PacketDecodeError));
    assert.equal(e.name, 'PacketEncodeError');
    assert.equal(e.code, 'ERR_PACKET_BAD_FIELD');
    assert.equal(e.layer, 'icmpv6');
    assert.match(e.stack ?? '', /^PacketEncodeError: icmpv6: code/);
  });
});
