import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { hashSync } from 'bcryptjs';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { requireTools, useLab } from '../lab';
import { cliPath, repoRoot } from '../support/paths';
import type { TargetDetail } from '../../exporter/status/target-detail';
import type { SlotSummary } from '../../exporter/status/slot-ring';
import { buildTraceLab, type TraceLab } from './trace-lab';

const PORT = 9471;
const URL_BASE = `http://127.0.0.1:${PORT}`;
const USER = 'viewer';
const PASSWORD = 'status page password';
const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOTS = path.join(repoRoot, 'docs', 'status-page');
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// The exporter probes the trace lab (two equal-cost branches r2a / r2b behind r1) from its client
// namespace, behind basic auth; Debian's chromium, headless through puppeteer-core, runs in the
// same namespace (a wrapper script enters it) and reads the pages as a user would.
describe('the status page in a real browser (trace lab, basic auth)', { timeout: 300_000 }, () => {
  const lab = useLab();
  let t: TraceLab;
  let dir: string;
  let exporter: ChildProcess;
  let logs = '';
  let browser: Browser;
  const problems: string[] = [];

  /** The API as a script would call it: curl in the namespace, with the credentials. */
  async function api<T>(pathname: string): Promise<T> {
    const { stdout } = await t.client.exec([
      'curl',
      '-sf',
      '-u',
      `${USER}:${PASSWORD}`,
      `${URL_BASE}${pathname}`,
    ]);
    return JSON.parse(stdout) as T;
  }

  async function open(pathname: string): Promise<Page> {
    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 900 });
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warn')
        problems.push(`${pathname}: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`${pathname}: ${String(error)}`));
    page.on('requestfailed', (request) => problems.push(`${pathname}: failed ${request.url()}`));
    page.on('request', (request) => {
      if (!request.url().startsWith(URL_BASE))
        problems.push(`${pathname}: fetched elsewhere ${request.url()}`);
    });
    await page.authenticate({ username: USER, password: PASSWORD });
    const response = await page.goto(`${URL_BASE}${pathname}`, { waitUntil: 'networkidle0' });
    assert.equal(response?.status(), 200, pathname);
    return page;
  }

  before(async () => {
    requireTools('curl', 'python3');
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} missing: apt-get install -y chromium`);
    t = await buildTraceLab(lab(), 5);
    // An open port on the target (SYN-ACK); nothing listens on 81 (RST: closed).
    t.target.spawn(['python3', '-m', 'http.server', '--bind', '0.0.0.0', '8080']);
    // 20 % of the echo requests reaching the target are dropped: its ping is degraded, not down.
    await lab().setLoss(t.target, 20);
    dir = mkdtempSync(path.join(tmpdir(), 'netdiag-status-'));
    chmodSync(dir, 0o755);
    const config = path.join(dir, 'config.yaml');
    writeFileSync(
      config,
      `defaults:
  ping: { interval: 1s, timeout: 500ms }
  knock: { interval: 1s, timeout: 500ms }
  trace: { interval: 2s, timeout: 500ms, max_hops: 8, flows: 16, probes: 1 }
targets:
  - name: gateway
    host: ${t.links.clientR1.b.ipv4}
    labels: { site: lab, role: router }
    ping: {}
  - name: server
    host: ${t.links.r4Target.b.ipv4}
    labels: { site: lab, role: server }
    ping: {}
    knock: [{ port: 8080 }, { port: 81 }]
    trace: {}
  - name: void
    host: 10.0.250.1
    labels: { site: nowhere, role: server }
    ping: {}
`,
      { mode: 0o644 },
    );
    const webConfig = path.join(dir, 'web.yml');
    writeFileSync(webConfig, `basic_auth_users:\n  ${USER}: '${hashSync(PASSWORD, 4)}'\n`, { mode: 0o644 });
    exporter = t.client.spawn([
      'node',
      cliPath,
      `--config.file=${config}`,
      `--web.config.file=${webConfig}`,
      `--web.listen-address=127.0.0.1:${PORT}`,
    ]);
    exporter.stdout?.on('data', (chunk: Buffer) => (logs += chunk.toString()));
    exporter.stderr?.on('data', (chunk: Buffer) => (logs += chunk.toString()));
    for (let attempt = 0; ; attempt++) {
      const { stdout } = await t.client.exec(
        [
          'curl',
          '-s',
          '-o',
          '/dev/null',
          '-w',
          '%{http_code}',
          '-u',
          `${USER}:${PASSWORD}`,
          `${URL_BASE}/-/healthy`,
        ],
        { check: false },
      );
      if (stdout === '200') break;
      if (attempt > 100 || exporter.exitCode !== null)
        throw new Error(`the exporter did not start:\n${logs}`);
      await sleep(100);
    }
    const wrapper = path.join(dir, 'chromium-in-lab');
    writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec ${t.client.name} ${CHROMIUM} "$@"\n`, {
      mode: 0o755,
    });
    browser = await puppeteer.launch({
      executablePath: wrapper,
      pipe: true,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run'],
    });
  });

  after(async () => {
    await browser?.close();
    exporter?.kill('SIGTERM');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('asks for the credentials: 401 without them, on the pages and the API alike', async () => {
    for (const pathname of [
      '/',
      '/target?name=server',
      '/status/chart.js',
      '/api/v1/targets',
      '/api/v1/targets/server',
    ]) {
      const { stdout } = await t.client.exec([
        'curl',
        '-s',
        '-o',
        '/dev/null',
        '-w',
        '%{http_code}',
        `${URL_BASE}${pathname}`,
      ]);
      assert.equal(stdout, '401', pathname);
    }
    // Headless chromium has no one to ask for the password: it gives the navigation up.
    const page = await browser.newPage();
    try {
      await assert.rejects(page.goto(`${URL_BASE}/`), /ERR_INVALID_AUTH_CREDENTIALS/);
      assert.equal(await page.$('#targets'), null);
    } finally {
      await page.close();
    }
  });

  it('lists every target worst first, filters by name and label, sorts from the keyboard', async () => {
    // Enough results for every state: the unroutable target has lost several pings.
    for (let i = 0; ; i++) {
      const list = await api<{ targets: Array<{ name: string; state: string }> }>('/api/v1/targets');
      if (list.targets.every((row) => row.state !== 'unknown')) break;
      if (i > 50) throw new Error(`states still unknown: ${JSON.stringify(list)}\n${logs}`);
      await sleep(200);
    }
    const page = await open('/');
    const rows = async (): Promise<string[]> =>
      page.$$eval('#targets tbody tr', (trs) =>
        trs.map((tr) => `${tr.getAttribute('data-target')} ${tr.querySelector('.state')?.textContent}`),
      );
    const listed = await rows();
    assert.equal(listed.length, 3, listed.join('\n'));
    assert.equal(listed[0], 'void ▼ down', 'the worst first');
    assert.deepEqual(listed.map((r) => r.split(' ')[0]).sort(), ['gateway', 'server', 'void']);
    await page.screenshot({ path: await screenshot('index.png') });
    // Keyboard only: focus the name filter, type; the list follows.
    await page.focus('#name');
    await page.keyboard.type('serv');
    await page.waitForFunction("document.querySelectorAll('#targets tbody tr').length === 1");
    assert.match((await rows())[0]!, /^server /);
    await page.keyboard.down('Control');
    await page.keyboard.press('KeyA');
    await page.keyboard.up('Control');
    await page.keyboard.press('Backspace');
    await page.waitForFunction("document.querySelectorAll('#targets tbody tr').length === 3");
    await page.focus('#label');
    await page.keyboard.type('role=server');
    await page.waitForFunction("document.querySelectorAll('#targets tbody tr').length === 2");
    // Tab to the Target column's button and press Enter: sorted by name, A to Z.
    await page.focus('th[data-sort="name"] button');
    await page.keyboard.press('Enter');
    await page.waitForFunction(
      `document.querySelector('th[data-sort="name"]').getAttribute('aria-sort') === 'ascending'`,
    );
    assert.deepEqual(
      (await rows()).map((r) => r.split(' ')[0]),
      ['server', 'void'],
    );
    assert.match(page.url(), /label=role%3Dserver/);
    await page.close();
  });

  it('draws the RTT graph with the slots the API reports, knock states, and the hop table with both branches', async () => {
    // A closed minute slot with a loss in it: the open one still grows while we compare, and the
    // first closed one may hold a single probe (the exporter started late in its minute), with no
    // loss to show at 20 % (a CI run: count 1, lost 0).
    let detail: TargetDetail;
    for (let i = 0; ; i++) {
      detail = await api<TargetDetail>('/api/v1/targets/server');
      const slots = detail.history.ping?.hour.slots ?? [];
      if (slots.slice(0, -1).some((s) => s.lost > 0) && detail.traceDetail?.paths.length === 2) break;
      if (i > 600)
        throw new Error(`no closed minute slot with a loss: ${JSON.stringify(detail.history.ping)}\n${logs}`);
      await sleep(250);
    }
    const page = await open('/target?name=server');
    await page.waitForSelector('#ping-graph g.slot');
    // The slots and the median line read in one go (the page redraws itself every 10 s). A slot
    // without a median (every probe of it lost so far) has no data-median attribute: null here.
    const { drawn, points } = await page.$eval('#ping-graph', (graph) => ({
      drawn: [...graph.querySelectorAll('g.slot')].map((g) => ({
        time: Number(g.getAttribute('data-time')),
        count: Number(g.getAttribute('data-count')),
        lost: Number(g.getAttribute('data-lost')),
        median: g.getAttribute('data-median'),
      })),
      points: graph.querySelector('polyline.median-line')?.getAttribute('points')?.split(' ').length ?? 0,
    }));
    const reported = (await api<TargetDetail>('/api/v1/targets/server')).history.ping!.hour.slots;
    const pageNow = Number(await page.$eval('body', (b) => b.getAttribute('data-now')));
    const openSlot = Math.floor(pageNow / 60) * 60;
    const closed = <T extends Pick<SlotSummary, 'time'>>(slots: readonly T[]): T[] =>
      slots.filter((s) => s.time < openSlot);
    assert.ok(closed(drawn).length >= 1, 'a closed slot is drawn');
    assert.deepEqual(
      closed(drawn),
      closed(reported).map((s) => ({
        time: s.time,
        count: s.count,
        lost: s.lost,
        median: s.median === null ? null : String(s.median),
      })),
    );
    // The 20 % loss shows: in the data, and as hatched bars and triangle markers, not colour alone.
    assert.ok(
      closed(reported).some((s) => s.lost > 0),
      JSON.stringify(reported),
    );
    assert.ok((await page.$$('#ping-graph .loss-bar')).length >= 1);
    assert.equal(points, drawn.filter((s) => s.median !== null).length);
    // Knock: 8080 open, 81 closed, each with its own graph and state strip.
    assert.deepEqual(
      await page.$$eval('#knock-graphs .knock', (divs) =>
        divs.map(
          (d) =>
            `${d.getAttribute('data-port')} ${d.querySelector('.state-strip g:last-child')?.getAttribute('data-state')}`,
        ),
      ),
      ['81 closed', '8080 open'],
    );
    // The mtr-like table: hop 2 is answered by both branch routers; the drawing has both as branch nodes.
    const branchRouters = [t.links.r1R2a.b.ipv4, t.links.r1R2b.b.ipv4].sort();
    assert.deepEqual(
      (
        await page.$$eval('#trace tr[data-ttl="2"]', (trs) =>
          trs.map((tr) => tr.getAttribute('data-address')),
        )
      ).sort(),
      branchRouters,
    );
    assert.deepEqual(
      (
        await page.$$eval('.branches g.branch-node.branch[data-hop="2"]', (gs) =>
          gs.map((g) => g.getAttribute('data-address')),
        )
      ).sort(),
      branchRouters,
    );
    assert.deepEqual(
      await page.$$eval('#trace tr[data-ttl="5"]', (trs) => trs.map((tr) => tr.getAttribute('data-address'))),
      [t.links.r4Target.b.ipv4],
    );
    // Forwarding loss: one cell per hop, the metric's window figure or "unknown", as the API gives it.
    const forward = await page.$$eval('#trace tr.hop-first', (trs) =>
      trs.map((tr) => tr.querySelector('td.forward-loss')?.textContent ?? ''),
    );
    assert.ok(forward.length >= 5, forward.join(' | '));
    assert.ok(
      forward.every((text) => text === 'unknown' || text.includes('%')),
      forward.join(' | '),
    );
    const apiHops = (await api<TargetDetail>('/api/v1/targets/server')).traceDetail?.hops ?? [];
    assert.ok(
      apiHops.every((hop) => hop.forwardLoss === null || (hop.forwardLoss >= 0 && hop.forwardLoss <= 1)),
      JSON.stringify(apiHops.map((hop) => hop.forwardLoss)),
    );
    // The 24-hour view from the keyboard.
    await page.focus('button[data-range="day"]');
    await page.keyboard.press('Enter');
    await page.waitForFunction(
      `document.querySelector('button[data-range="day"]').getAttribute('aria-pressed') === 'true'`,
    );
    assert.equal((await page.$$('#ping-graph g.slot')).length, detail.history.ping!.day.slots.length);
    await page.focus('button[data-range="hour"]');
    await page.keyboard.press('Enter');
    await page.screenshot({ path: await screenshot('target.png'), fullPage: true });
    await page.close();
  });

  it('shows the unroutable target down, with its recent errors as the API lists them', async () => {
    const page = await open('/target?name=void');
    await page.waitForSelector('#summary .state');
    assert.equal(await page.$eval('#summary .state', (e) => e.textContent), '▼ down');
    const drawn = await page.$$eval('#errors tbody tr', (trs) =>
      trs.map((tr) =>
        [...tr.querySelectorAll('td')]
          .slice(1, 4)
          .map((td) => td.textContent)
          .join(' '),
      ),
    );
    const pageNow = Number(await page.$eval('body', (b) => b.getAttribute('data-now')));
    const reported = (await api<TargetDetail>('/api/v1/targets/void')).errors
      .filter((e) => e.time <= pageNow)
      .map((e) => `${e.probe} ${e.reason} ${e.address}`);
    assert.ok(reported.length >= 1, 'the routing loop sends ICMP errors back');
    // r3 and r4 send it back and forth until its TTL runs out at r4, which answers from its side of the r3-r4 link.
    const last = (await api<TargetDetail>('/api/v1/targets/void')).errors[0]!;
    assert.equal(last.message, `ICMP type 11 code 0 from ${t.links.r3R4.b.ipv4}`);
    assert.deepEqual(drawn.slice(0, reported.length), reported.slice(0, drawn.length));
    await page.close();
  });

  it('--web.disable-status-page: GET / is the page of links again, and /api/v1 is not served', async () => {
    const port = PORT + 1;
    const plain = t.client.spawn([
      'node',
      cliPath,
      `--config.file=${path.join(dir, 'config.yaml')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--web.disable-status-page',
    ]);
    const get = async (pathname: string): Promise<{ status: string; body: string }> => {
      const { stdout } = await t.client.exec(
        ['curl', '-s', '-w', '\n%{http_code}', `http://127.0.0.1:${port}${pathname}`],
        { check: false },
      );
      const cut = stdout.lastIndexOf('\n');
      return { status: stdout.slice(cut + 1), body: stdout.slice(0, cut) };
    };
    try {
      for (let attempt = 0; (await get('/-/healthy')).status !== '200'; attempt++) {
        if (attempt > 100) throw new Error('the exporter without status page did not start');
        await sleep(100);
      }
      const index = await get('/');
      assert.equal(index.status, '200');
      assert.match(index.body, /href="metrics"/);
      assert.doesNotMatch(index.body, /id="targets"|<script/);
      for (const pathname of [
        '/api/v1/targets',
        '/api/v1/targets/server',
        '/target?name=server',
        '/status/chart.js',
      ])
        assert.equal((await get(pathname)).status, '404', pathname);
    } finally {
      plain.kill('SIGTERM');
    }
  });

  it('logs no error in the browser console, and fetches nothing from elsewhere', () => {
    assert.deepEqual(problems, []);
  });
});

async function screenshot(name: string): Promise<`${string}.png`> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return path.join(SCREENSHOTS, name) as `${string}.png`;
}
