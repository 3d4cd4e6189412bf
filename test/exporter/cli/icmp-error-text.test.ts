import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { icmpErrorText } from '../../../exporter/cli/icmp-error-text';

// The wording of iputils ping's pr_icmph (ping.c) and print_icmp (ping6_common.c), code by code.
describe('icmpErrorText names ICMP errors as iputils ping does', () => {
  it('IPv4 destination unreachable, every code of RFC 792 and RFC 1812, and an unknown one', () => {
    assert.deepEqual(
      Array.from({ length: 17 }, (_, code) => icmpErrorText(4, 3, code)),
      [
        'Destination Net Unreachable',
        'Destination Host Unreachable',
        'Destination Protocol Unreachable',
        'Destination Port Unreachable',
        'Frag needed and DF set',
        'Source Route Failed',
        'Destination Net Unknown',
        'Destination Host Unknown',
        'Source Host Isolated',
        'Destination Net Prohibited',
        'Destination Host Prohibited',
        'Destination Net Unreachable for Type of Service',
        'Destination Host Unreachable for Type of Service',
        'Packet filtered',
        'Precedence Violation',
        'Precedence Cutoff',
        'Dest Unreachable, Bad Code: 16',
      ],
    );
  });

  it('IPv4 time exceeded, source quench, redirect, parameter problem, an unknown type', () => {
    assert.equal(icmpErrorText(4, 11, 0), 'Time to live exceeded');
    assert.equal(icmpErrorText(4, 11, 1), 'Frag reassembly time exceeded');
    assert.equal(icmpErrorText(4, 11, 2), 'Time exceeded, Bad Code: 2');
    assert.equal(icmpErrorText(4, 4, 0), 'Source Quench');
    assert.equal(icmpErrorText(4, 5, 1), 'Redirect Host');
    assert.equal(icmpErrorText(4, 5, 9), 'Redirect, Bad Code: 9');
    assert.equal(icmpErrorText(4, 12, 0), 'Parameter problem');
    assert.equal(icmpErrorText(4, 42, 0), 'Bad ICMP type: 42');
  });

  it('ICMPv6, RFC 4443', () => {
    assert.deepEqual(
      Array.from({ length: 8 }, (_, code) => icmpErrorText(6, 1, code)),
      [
        'Destination unreachable: No route',
        'Destination unreachable: Administratively prohibited',
        'Destination unreachable: Beyond scope of source address',
        'Destination unreachable: Address unreachable',
        'Destination unreachable: Port unreachable',
        'Destination unreachable: Source address failed ingress/egress policy',
        'Destination unreachable: Reject route to destination',
        'Destination unreachable: Unknown code 7',
      ],
    );
    assert.equal(icmpErrorText(6, 2, 0), 'Packet too big');
    assert.equal(icmpErrorText(6, 3, 0), 'Time exceeded: Hop limit');
    assert.equal(icmpErrorText(6, 3, 1), 'Time exceeded: Defragmentation failure');
    assert.equal(icmpErrorText(6, 4, 1), 'Parameter problem: Unknown header');
    assert.equal(icmpErrorText(6, 200, 0), 'unknown icmp type: 200');
  });
});
