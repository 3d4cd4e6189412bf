import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { bindFlagFamily } from '../../../exporter/cli/bind-flag';

describe('--bind of ping, knock and trace', () => {
  it('refuses an address this host does not have, as iputils does', async () => {
    for (const [address, family] of [
      ['192.0.2.9', 4],
      ['2001:db8::9', 6],
    ] as const) {
      await assert.rejects(bindFlagFamily(address), (error: Error & { code?: string }) => {
        assert.equal(error.code, 'ERR_USAGE');
        assert.equal(
          error.message,
          `--bind: ${address} is not an address of this host (EADDRNOTAVAIL); give one of its addresses`,
          `IPv${family}`,
        );
        return true;
      });
    }
  });

  it('takes the host’s own addresses and gives their family; unset is 0', async () => {
    assert.equal(await bindFlagFamily('127.0.0.1'), 4);
    assert.equal(await bindFlagFamily('::1'), 6);
    assert.equal(await bindFlagFamily(undefined), 0);
  });

  it('refuses what is not an IP address', async () => {
    await assert.rejects(bindFlagFamily('eth0'), /--bind: "eth0" is not an IP address/);
  });
});
