import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';

import { requireTools, useLab, type Netns } from '../lab';
import { cliPath } from '../support/paths';

// client — router; the router refuses four documentation prefixes with `unreachable` and
// `prohibit` routes, so it answers each echo request with a known ICMP or ICMPv6 error. iputils'
// ping and ours ping the same address: their error lines and the blank line before the
// statistics must read the same.
const CASES = [
  {
    prefix: '198.51.100.0/24',
    address: '198.51.100.1',
    route: 'unreachable',
    wording: 'Destination Host Unreachable',
  },
  { prefix: '203.0.113.0/24', address: '203.0.113.1', route: 'prohibit', wording: 'Packet filtered' },
  {
    prefix: '2001:db8:1::/64',
    address: '2001:db8:1::1',
    route: 'unreachable',
    wording: 'Destination unreachable: No route',
  },
  {
    prefix: '2001:db8:2::/64',
    address: '2001:db8:2::1',
    route: 'prohibit',
    wording: 'Destination unreachable: Administratively prohibited',
  },
] as const;

describe('ping prints ICMP errors and its statistics as iputils ping does', () => {
  const lab = useLab();
  let client: Netns;
  before(async () => {
    requireTools('ping');
    client = await lab().namespace('pingout');
    const router = await lab().namespace('pingoutr', { router: true });
    // Every error answered: no ICMP rate limit in the way of two pings per prefix.
    await router.sysctl('net.ipv4.icmp_ratelimit', 0);
    await router.sysctl('net.ipv6.icmp.ratelimit', 0);
    const link = await lab().connect(client, router);
    await lab().defaultRoute(client, link.b);
    for (const { route, prefix } of CASES)
      await router.ip([...(prefix.includes(':') ? ['-6'] : []), 'route', 'add', route, prefix]);
  });

  for (const { address, route, wording } of CASES) {
    it(`${route} route, ${address}: "${wording}"`, async () => {
      const reference = await client.exec(['ping', '-n', '-c', '1', '-W', '1', address], { check: false });
      const ours = await client.exec(['node', cliPath, 'ping', '-c', '1', '-W', '1', address], {
        check: false,
      });
      const errorLines = (stdout: string): string[] =>
        stdout.split('\n').filter((line) => line.startsWith('From '));
      const expected = errorLines(reference.stdout);
      assert.equal(expected.length, 1, reference.stdout);
      assert.match(
        expected[0]!,
        new RegExp(` icmp_seq=1 ${wording}$`),
        'the lab makes iputils print the expected error',
      );
      assert.deepEqual(errorLines(ours.stdout), expected, ours.stdout);
      assert.equal(ours.code, 1);

      const blankBefore = (stdout: string): boolean => {
        const lines = stdout.split('\n');
        const at = lines.indexOf(`--- ${address} ping statistics ---`);
        return at > 0 && lines[at - 1] === '';
      };
      assert.ok(blankBefore(reference.stdout), reference.stdout);
      assert.ok(blankBefore(ours.stdout), ours.stdout);
      // The statistics line up to the elapsed time: `1 packets transmitted, 0 received, +1 errors, 100% packet loss`.
      const counts = (stdout: string): string | undefined =>
        /^\d+ packets transmitted, .*(?=, time )/m.exec(stdout)?.[0];
      assert.equal(counts(ours.stdout), counts(reference.stdout));
      assert.match(counts(reference.stdout) ?? '', /, \+1 errors, 100% packet loss$/);
    });
  }
});
