import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { hashSync } from 'bcryptjs';
import { silentLogger } from '../../../exporter/logging';
import { ExporterServer, WebProtection } from '../../../exporter/server';

describe('GET /', () => {
  it('answers a self-contained page linking the endpoints and the version, HTML-escaped', async () => {
    const server = await ExporterServer.listen({
      listen: { host: '127.0.0.1', port: 0 },
      logger: silentLogger,
      metrics: (_request, response) => response.end('netdiag_up 1\n'),
      reload: async () => ({ ok: true, message: 'reloaded' }),
      version: '1.2.3<b>',
    });
    try {
      const page = await fetch(`${server.url}/`);
      assert.equal(page.status, 200);
      assert.equal(page.headers.get('content-type'), 'text/html; charset=utf-8');
      const html = await page.text();
      const links = [...html.matchAll(/href="([^"]*)"/g)].map((m) => m[1]);
      assert.deepEqual(links, ['metrics', '-/healthy', '-/ready']);
      assert.ok(html.includes('Version 1.2.3&#60;b&#62;'), html);
      assert.ok(html.includes('POST /-/reload'));
      // Nothing fetched from elsewhere: no script, style sheet, image or absolute URL.
      assert.doesNotMatch(html, /<script|<link|<img|<style|src=|https?:|\/\//i);
      for (const link of links)
        assert.equal((await fetch(new URL(link!, `${server.url}/`))).status, 200, link);
      assert.equal((await fetch(`${server.url}/?x=1`)).status, 200);
      const head = await fetch(`${server.url}/`, { method: 'HEAD' });
      assert.equal(head.status, 200);
      assert.equal(await head.text(), '');
      assert.equal((await fetch(`${server.url}/index.html`)).status, 404);
    } finally {
      await server.close();
    }
  });

  it('leaves out the version when unknown and the reload line when reload is not served', async () => {
    const server = await ExporterServer.listen({
      listen: { host: '127.0.0.1', port: 0 },
      logger: silentLogger,
      metrics: (_request, response) => response.end(''),
    });
    try {
      const html = await (await fetch(`${server.url}/`)).text();
      assert.doesNotMatch(html, /Version|reload/);
    } finally {
      await server.close();
    }
  });

  it('is behind the web config: 401 without the credentials, 200 with them', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'landing-'));
    const file = path.join(dir, 'web.yml');
    writeFileSync(file, `basic_auth_users:\n  prometheus: '${hashSync('secret', 4)}'\n`);
    const protection = await WebProtection.load({ file, logger: silentLogger });
    const server = await ExporterServer.listen({
      listen: { host: '127.0.0.1', port: 0 },
      logger: silentLogger,
      metrics: (_request, response) => response.end(''),
      protection,
      version: '1.0.0',
    });
    try {
      const refused = await fetch(`${server.url}/`);
      assert.equal(refused.status, 401);
      assert.doesNotMatch(await refused.text(), /metrics|1\.0\.0/);
      const authorization = `Basic ${Buffer.from('prometheus:secret').toString('base64')}`;
      const page = await fetch(`${server.url}/`, { headers: { authorization } });
      assert.equal(page.status, 200);
      assert.match(await page.text(), /Version 1\.0\.0/);
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
