import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { hashSync } from 'bcryptjs';
import { silentLogger } from '../../../exporter/logging';
import { ExporterServer, WebProtection } from '../../../exporter/server';
import { StatusRoutes, StatusStore } from '../../../exporter/status';
import type { TargetDetail } from '../../../exporter/status/target-detail';
import type { TargetSummary } from '../../../exporter/status/target-summary';
import { knock, ping, target, trace } from './fixtures';

interface ListBody {
  total: number;
  page: number;
  perPage: number;
  states: Record<string, number>;
  targets: TargetSummary[];
}

/** 30 targets: t00..t29; every third down (all lost), every third degraded (one in 4 lost), the rest up. */
function fill(store: StatusStore, clock: { now: number }): void {
  const targets = Array.from({ length: 30 }, (_, i) =>
    target(`t${String(i).padStart(2, '0')}`, { site: i < 10 ? 'par' : 'ams', tier: String(i % 2) }),
  );
  store.configure(targets);
  for (let second = 0; second < 120; second++) {
    clock.now = 6000 + second;
    targets.forEach((t, i) => {
      const kind = i % 3;
      const rtt =
        kind === 0 ? null : kind === 1 && second % 4 === 0 ? null : 0.001 * (1 + i) + (second % 5) * 1e-4;
      store.feed(t, `10.0.0.${i}`).ping(ping(rtt));
    });
  }
  store.feed(targets[1]!, '10.0.0.1').knock(443, knock(0.003, 'closed'));
  store.feed(targets[1]!, '10.0.0.1').trace(trace([['10.0.1.2', '10.0.0.1']]));
}

describe('the status routes', () => {
  const clock = { now: 0 };
  const store = new StatusStore({ now: () => clock.now });
  let server: ExporterServer;
  const get = (p: string, init?: RequestInit) => fetch(`${server.url}${p}`, init);
  const list = async (query: string): Promise<ListBody> => {
    const response = await get(`/api/v1/targets${query}`);
    assert.equal(response.status, 200, query);
    return (await response.json()) as ListBody;
  };

  before(async () => {
    fill(store, clock);
    server = await ExporterServer.listen({
      listen: { host: '127.0.0.1', port: 0 },
      logger: silentLogger,
      metrics: (_request, response) => response.end('netdiag_up 1\n'),
      status: new StatusRoutes({ store, reload: false }),
    });
  });
  after(() => server.close());

  it('lists every target worst first, with its state counts, paged', async () => {
    const first = await list('?per_page=12');
    assert.equal(first.total, 30);
    assert.deepEqual(first.states, { up: 10, degraded: 10, down: 10, unknown: 0 });
    assert.deepEqual(
      first.targets.map((t) => t.state),
      [...Array(10).fill('down'), 'degraded', 'degraded'],
    );
    // Degraded ones by loss then p90, worst first: all lose 1 in 4, so the slowest (t28) leads.
    assert.equal(first.targets[10]!.name, 't28');
    const third = await list('?per_page=12&page=3');
    assert.equal(third.targets.length, 6);
    assert.ok(third.targets.every((t) => t.state === 'up'));
    const all = [...first.targets, ...(await list('?per_page=12&page=2')).targets, ...third.targets];
    assert.equal(new Set(all.map((t) => t.name)).size, 30, 'pages neither overlap nor skip');
    const degraded = first.targets[10]!;
    assert.equal(degraded.ping!.sent, 120);
    assert.equal(degraded.ping!.lost, 30);
    assert.equal(degraded.ping!.loss, 0.25);
  });

  it('filters by name and label, sorts by any column, and refuses a bad query with 400', async () => {
    assert.deepEqual(
      (await list('?name=T1&sort=name')).targets.map((t) => t.name),
      ['t10', 't11', 't12', 't13', 't14', 't15', 't16', 't17', 't18', 't19'],
    );
    const paris = await list('?label=site%3Dpar&label=tier%3D1&sort=name&order=desc');
    assert.deepEqual(
      paris.targets.map((t) => t.name),
      ['t09', 't07', 't05', 't03', 't01'],
    );
    assert.equal((await list('?label=nosuch')).total, 0);
    assert.equal((await list('?state=down')).total, 10);
    const byMedian = (await list('?sort=median&order=asc&state=up')).targets.map((t) => t.ping!.median!);
    assert.deepEqual(
      byMedian,
      [...byMedian].sort((a, b) => a - b),
    );
    for (const bad of ['?page=0', '?per_page=5000', '?sort=colour', '?order=up', '?state=sad']) {
      const response = await get(`/api/v1/targets${bad}`);
      assert.equal(response.status, 400, bad);
      assert.match(((await response.json()) as { error: string }).error, /is not/);
    }
  });

  it('details one target: the summary, the hour and day slots, the knocked ports, the trace and errors', async () => {
    const response = await get('/api/v1/targets/t01');
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'application/json; charset=utf-8');
    const detail = (await response.json()) as TargetDetail;
    assert.equal(detail.state, 'degraded');
    const hour = detail.history.ping!.hour;
    assert.equal(hour.slotSeconds, 60);
    assert.deepEqual(
      hour.slots.map((s) => [s.time, s.count, s.lost]),
      [
        [6000, 60, 15],
        [6060, 60, 15],
      ],
    );
    // t01's RTTs: 2 ms + (second % 5) × 0.1 ms, printed to the nanosecond.
    assert.equal(hour.slots[0]!.min, 0.002);
    assert.equal(hour.slots[0]!.max, 0.0024);
    assert.equal(detail.history.ping!.day.slots[0]!.count, 120);
    assert.deepEqual(
      detail.history.knock.map((k) => k.port),
      [443],
    );
    assert.equal(detail.knock[0]!.state, 'closed');
    assert.deepEqual(
      detail.traceDetail!.paths.map((p) => p.hops),
      [['10.0.1.2', '10.0.0.1']],
    );
    assert.equal((await get('/api/v1/targets/nosuch')).status, 404);
    assert.equal((await get('/api/v1/targets/%E0%A4%A')).status, 400);
  });

  it('serves the pages and their assets under a content security policy of self', async () => {
    for (const p of ['/', '/target?name=t01', '/status/index.js', '/status/status.css', '/api/v1/targets']) {
      const response = await get(p);
      assert.equal(response.status, 200, p);
      assert.match(response.headers.get('content-security-policy') ?? '', /default-src 'self'/, p);
      assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
    }
    const index = await (await get('/')).text();
    // The old landing page's links stay, and nothing comes from elsewhere.
    for (const link of ['href="metrics"', 'href="-/healthy"', 'href="-/ready"'])
      assert.ok(index.includes(link), link);
    assert.doesNotMatch(index, /https?:|\/\/|<style|style=|<script>/i);
    const page = await (await get('/target?name=%3Cb%3E')).text();
    assert.ok(page.includes('&#60;b&#62;') && !page.includes('<b>'), 'the name is escaped');
    assert.equal((await get('/status/nosuch.js')).status, 404);
    assert.equal((await get('/metrics')).status, 200);
  });
});

describe('the target list over more targets than one slice', () => {
  it('lists each of 1,200 targets once, in order, across the slices it is summarised in', async () => {
    const store = new StatusStore({ now: () => 120 });
    const names = Array.from({ length: 1200 }, (_, i) => `n${String(i).padStart(4, '0')}`);
    store.configure(names.map((name) => target(name)));
    for (const name of names) store.feed(target(name), '10.0.0.1').ping(ping(0.001));
    const server = await ExporterServer.listen({
      listen: { host: '127.0.0.1', port: 0 },
      logger: silentLogger,
      metrics: (_request, response) => response.end(''),
      status: new StatusRoutes({ store, reload: false }),
    });
    try {
      const listed: string[] = [];
      for (const page of [1, 2]) {
        const body = (await (
          await fetch(`${server.url}/api/v1/targets?sort=name&per_page=1000&page=${page}`)
        ).json()) as ListBody;
        assert.equal(body.total, 1200);
        assert.equal(body.states.up, 1200);
        listed.push(...body.targets.map((t) => t.name));
      }
      assert.deepEqual(listed, names);
    } finally {
      await server.close();
    }
  });
});

describe('the status routes behind the web config', () => {
  it('answer 401 without the credentials, like every endpoint', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'status-'));
    const file = path.join(dir, 'web.yml');
    writeFileSync(file, `basic_auth_users:\n  viewer: '${hashSync('secret', 4)}'\n`);
    const store = new StatusStore({ now: () => 60 });
    store.feed(target('a'), '10.0.0.1').ping(ping(0.01));
    const server = await ExporterServer.listen({
      listen: { host: '127.0.0.1', port: 0 },
      logger: silentLogger,
      metrics: (_request, response) => response.end(''),
      protection: await WebProtection.load({ file, logger: silentLogger }),
      status: new StatusRoutes({ store, reload: false }),
    });
    try {
      const authorization = `Basic ${Buffer.from('viewer:secret').toString('base64')}`;
      for (const p of ['/', '/target?name=a', '/status/chart.js', '/api/v1/targets', '/api/v1/targets/a']) {
        const refused = await fetch(`${server.url}${p}`);
        assert.equal(refused.status, 401, p);
        assert.doesNotMatch(await refused.text(), /10\.0\.0\.1|netdiag/);
        assert.equal((await fetch(`${server.url}${p}`, { headers: { authorization } })).status, 200, p);
      }
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
