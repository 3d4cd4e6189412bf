import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { hashSync } from 'bcryptjs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ConfigError, MAX_CONFIG_BYTES } from '../../../exporter/config';
import { createLogger, silentLogger } from '../../../exporter/logging';
import { ExporterServer, WebProtection } from '../../../exporter/server';

// The web config and the files it names are read on the main thread's event loop: a FIFO or
// /dev/zero there must give an error at once, and a setInterval keeps ticking meanwhile.
const DEADLINE_MS = 10_000;

async function loadError(file: string): Promise<{ message: string; ticks: number }> {
  let ticks = 0;
  const ticker = setInterval(() => ticks++, 1);
  let timer: NodeJS.Timeout | undefined;
  try {
    const error = await Promise.race([
      WebProtection.load({ file, logger: silentLogger }).then(
        () => assert.fail('accepted'),
        (error: unknown) => error,
      ),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${DEADLINE_MS} ms`)), DEADLINE_MS);
      }),
    ]);
    // One more turn so the interval can show the loop was free.
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.ok(error instanceof ConfigError, String(error));
    return { message: error.message, ticks };
  } finally {
    clearInterval(ticker);
    clearTimeout(timer);
  }
}

describe('web config files that are not regular files, or too large', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'netdiag-web-hostile-'));
    symlinkSync('/dev/zero', path.join(dir, 'zero.yml'));
    execFileSync('mkfifo', [path.join(dir, 'fifo.yml')]);
    execFileSync('mkfifo', [path.join(dir, 'cert.pem')]);
    writeFileSync(path.join(dir, 'huge.yml'), `# ${'x'.repeat(MAX_CONFIG_BYTES)}\n`);
    writeFileSync(
      path.join(dir, 'tls.yml'),
      'tls_server_config:\n  cert_file: cert.pem\n  key_file: zero.yml\n',
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const [name, message] of [
    ['zero.yml', 'cannot read: not a regular file (a character device)'],
    ['fifo.yml', 'cannot read: not a regular file (a FIFO)'],
    ['huge.yml', 'file is larger than 8 MiB'],
  ] as const) {
    it(`${name}: "${message}", the event loop free`, async () => {
      const file = path.join(dir, name);
      const { message: text, ticks } = await loadError(file);
      assert.equal(text, `${file}:1:1: (root): ${message}`);
      assert.ok(ticks > 0, `the interval ticked ${ticks} times`);
    });
  }

  it('a cert_file that is a FIFO and a key_file that is /dev/zero: each named at its key', async () => {
    const file = path.join(dir, 'tls.yml');
    const { message, ticks } = await loadError(file);
    assert.equal(
      message,
      [
        `${file}:2:14: tls_server_config.cert_file: cannot read certificate ${dir}/cert.pem: not a regular file (a FIFO)`,
        `${file}:3:13: tls_server_config.key_file: cannot read key ${dir}/zero.yml: not a regular file (a character device)`,
      ].join('\n'),
    );
    assert.ok(ticks > 0, `the interval ticked ${ticks} times`);
  });

  it('a web config swapped for a FIFO while serving: requests go on under the last good config, the error is logged', async () => {
    const file = path.join(dir, 'live.yml');
    writeFileSync(file, `basic_auth_users:\n  prometheus: '${hashSync('secret', 4)}'\n`);
    const logs: string[] = [];
    const logger = createLogger({ write: (line) => logs.push(line), rateLimit: false });
    const protection = await WebProtection.load({ file, logger, checkIntervalMs: 0 });
    const server = await ExporterServer.listen({
      listen: { host: '127.0.0.1', port: 0 },
      logger,
      metrics: (_request, response) => response.end('ok\n'),
      protection,
    });
    try {
      const auth = `Basic ${Buffer.from('prometheus:secret').toString('base64')}`;
      const get = async (): Promise<number> =>
        (
          await fetch(`${server.url}/metrics`, {
            headers: { authorization: auth },
            signal: AbortSignal.timeout(DEADLINE_MS),
          })
        ).status;
      assert.equal(await get(), 200);
      execFileSync('mkfifo', [path.join(dir, 'live.fifo')]);
      renameSync(path.join(dir, 'live.fifo'), file);
      for (let i = 0; i < 5; i++) assert.equal(await get(), 200);
      await protection.refresh();
      await protection.refresh();
      assert.equal(await get(), 200);
      assert.ok(
        logs.some(
          (line) => line.includes('web config not reloaded') && line.includes('not a regular file (a FIFO)'),
        ),
        logs.join('\n'),
      );
    } finally {
      await server.close();
    }
  });
});
