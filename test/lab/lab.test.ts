import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { createLab, listNamespaces, requireTools, type Lab, type Link, type Netns } from './index';

requireTools('ip', 'ping', 'nft', 'python3');

interface PingSummary {
  transmitted: number;
  received: number;
  rtt?: { min: number; avg: number; max: number; mdev: number };
}

function parsePing(out: string): PingSummary {
  const counts = /(\d+) packets transmitted, (\d+) received/.exec(out);
  assert.ok(counts?.[1] && counts[2], `no ping summary in:\n${out}`);
  const summary: PingSummary = { transmitted: Number(counts[1]), received: Number(counts[2]) };
  const rtt = /rtt min\/avg\/max\/mdev = ([\d.]+)\/([\d.]+)\/([\d.]+)\/([\d.]+) ms/.exec(out);
  if (rtt) {
    summary.rtt = { min: Number(rtt[1]), avg: Number(rtt[2]), max: Number(rtt[3]), mdev: Number(rtt[4]) };
  }
  return summary;
}

async function ping(from: Netns, target: string, args: string[]): Promise<PingSummary> {
  const family = target.includes(':') ? ['-6'] : ['-4'];
  const res = await from.exec(['ping', ...family, ...args, target], { check: false, timeoutMs: 60_000 });
  return parsePing(res.stdout);
}

describe('network lab', () => {
  let lab: Lab;
  before(async () => {
    lab = await createLab();
  });
  after(() => lab.destroy());

  test('veth pair: IPv4 and IPv6 pings succeed', async () => {
    const a = await lab.namespace('vclient');
    const b = await lab.namespace('vtarget');
    const link = await lab.connect(a, b);
    assert.equal(link.kind, 'veth');
    assert.equal(link.delayMs, 0);
    for (const addr of [link.b.ipv4, link.b.ipv6]) {
      const r = await ping(a, addr, ['-c', '5', '-i', '0.2']);
      assert.equal(r.transmitted, 5);
      assert.equal(r.received, 5, `ping ${addr}`);
    }
  });

  test('delay link of 5 ms one way: mean RTT within [10, 11.5] ms on IPv4 and IPv6', async (t) => {
    const a = await lab.namespace('dclient');
    const b = await lab.namespace('dtarget');
    const link: Link = await lab.connect(a, b, { delayMs: 5 });
    assert.equal(link.kind, 'delay');
    // no queueing discipline on either end (README: kernel transmit stamps agree with captures)
    for (const end of [link.a, link.b]) {
      const { stdout } = await end.ns.exec(['tc', 'qdisc', 'show', 'dev', end.ifname]);
      assert.match(stdout, /^qdisc noqueue /, `${end.ifname}: ${stdout}`);
    }
    // the link is usable at once (no tentative addresses)
    for (const addr of [link.b.ipv4, link.b.ipv6]) {
      const r = await ping(a, addr, ['-c', '20', '-i', '0.05', '-q']);
      assert.equal(r.received, 20, `ping ${addr}`);
      assert.ok(r.rtt, 'rtt line');
      t.diagnostic(
        `${addr.includes(':') ? 'IPv6' : 'IPv4'} rtt min/avg/max/mdev = ` +
          `${r.rtt.min}/${r.rtt.avg}/${r.rtt.max}/${r.rtt.mdev} ms`,
      );
      assert.ok(r.rtt.avg >= 10 && r.rtt.avg <= 11.5, `mean RTT ${r.rtt.avg} ms to ${addr}`);
      assert.ok(r.rtt.min >= 10, `no packet may be early: min RTT ${r.rtt.min} ms`);
    }
  });

  test('setLoss(30) drops 30% of echo requests (binomial bound), clearLoss restores', async (t) => {
    const a = await lab.namespace('lclient');
    const b = await lab.namespace('ltarget');
    const link = await lab.connect(a, b);
    await lab.setLoss(b, 30);
    const n = 300;
    const p = 0.3;
    const sd = Math.sqrt(n * p * (1 - p)); // 7.9 packets
    // IPv4 and IPv6 at the same time (ping slows down when replies are missing: ~5 s each)
    const addrs = [link.b.ipv4, link.b.ipv6];
    const results = await Promise.all(
      addrs.map((addr) => ping(a, addr, ['-c', String(n), '-i', '0.01', '-q', '-W', '1'])),
    );
    results.forEach((r, i) => {
      const lost = n - r.received;
      t.diagnostic(`loss to ${addrs[i]}: ${lost}/${n} (expected ${n * p} +- ${(4.5 * sd).toFixed(1)})`);
      assert.equal(r.transmitted, n);
      assert.ok(Math.abs(lost - n * p) <= 4.5 * sd, `lost ${lost} of ${n} to ${addrs[i]}`);
    });
    await lab.clearLoss(b);
    const cleared = await Promise.all(
      addrs.map((addr) => ping(a, addr, ['-c', '100', '-i', '0.01', '-q', '-W', '1'])),
    );
    cleared.forEach((r, i) => assert.equal(r.received, 100, `no loss after clearLoss to ${addrs[i]}`));
  });

  test('setLoss with a custom match only drops matching packets; 100% drops all', async () => {
    const a = await lab.namespace('mclient');
    const b = await lab.namespace('mtarget');
    const link = await lab.connect(a, b);
    // 100% of IPv6 echo requests: IPv4 unaffected
    await lab.setLoss(b, 100, { match: 'icmpv6 type echo-request' });
    assert.equal((await ping(a, link.b.ipv4, ['-c', '5', '-i', '0.01', '-q', '-W', '1'])).received, 5);
    assert.equal((await ping(a, link.b.ipv6, ['-c', '5', '-i', '0.01', '-q', '-W', '1'])).received, 0);
    // replaced by a rule on the output hook of the client (echo requests leaving it)
    await lab.setLoss(a, 100, { match: 'icmp type echo-request', hook: 'output' });
    await lab.clearLoss(b);
    assert.equal((await ping(a, link.b.ipv6, ['-c', '5', '-i', '0.01', '-q', '-W', '1'])).received, 5);
    assert.equal((await ping(a, link.b.ipv4, ['-c', '5', '-i', '0.01', '-q', '-W', '1'])).received, 0);
    await lab.clearLoss(a);
  });

  test('AnyIP: the target answers every address of its IPv4 and IPv6 ranges', async () => {
    const client = await lab.namespace('aclient');
    const target = await lab.namespace('atarget');
    const link = await lab.connect(client, target);
    await lab.addAnyIp(target, '10.200.0.0/16');
    await lab.addAnyIp(target, 'fd00:200::/64');
    await lab.route(client, '10.200.0.0/16', link.b);
    await lab.route(client, 'fd00:200::/64', link.b.ipv6);
    for (const addr of ['10.200.3.7', '10.200.255.1', 'fd00:200::1', 'fd00:200::abcd:17']) {
      const r = await ping(client, addr, ['-c', '2', '-i', '0.05', '-W', '1']);
      assert.equal(r.received, 2, `AnyIP ${addr}`);
    }
    // outside the range: no answer
    await lab.route(client, '10.201.0.0/16', link.b);
    assert.equal((await ping(client, '10.201.0.1', ['-c', '1', '-W', '0.5'])).received, 0);
  });

  test('router: TTL 1 gets "time exceeded" from the router; plain pings get through', async () => {
    const client = await lab.namespace('rclient');
    const router = await lab.namespace('router', { router: true });
    const target = await lab.namespace('rtarget');
    const l1 = await lab.connect(client, router);
    const l2 = await lab.connect(router, target);
    await lab.defaultRoute(client, l1.b);
    await lab.route(target, l1.prefix4, l2.a);
    await lab.route(target, l1.prefix6, l2.a);
    for (const [addr, routerAddr] of [
      [l2.b.ipv4, l1.b.ipv4],
      [l2.b.ipv6, l1.b.ipv6],
    ] as const) {
      const family = addr.includes(':') ? '-6' : '-4';
      const res = await client.exec(['ping', family, '-c', '1', '-t', '1', '-W', '1', addr], {
        check: false,
      });
      assert.match(
        res.stdout,
        new RegExp(`From ${routerAddr.replace(/\./g, '\\.')}.*Time (to live )?exceeded`),
      );
      const r = await ping(client, addr, ['-c', '3', '-i', '0.05', '-W', '1']);
      assert.equal(r.received, 3, `through the router to ${addr}`);
    }
  });

  test('counter: counts matching packets arriving on input', async () => {
    const a = await lab.namespace('cclient');
    const b = await lab.namespace('ctarget');
    const link = await lab.connect(a, b);
    const requests = await lab.counter(b, 'echo_v4', `ip saddr ${link.a.ipv4} icmp type echo-request`);
    const other = await lab.counter(b, 'from_elsewhere', 'ip saddr 10.99.99.99');
    assert.equal(await requests(), 0);
    await ping(a, link.b.ipv4, ['-c', '7', '-i', '0.01', '-q']);
    await ping(a, link.b.ipv6, ['-c', '3', '-i', '0.01', '-q']);
    assert.equal(await requests(), 7);
    assert.equal(await other(), 0);
    await assert.rejects(lab.counter(b, 'echo_v4', 'ip protocol icmp'), /already exists/);
  });

  test('ECMP: a multipath route spreads UDP flows over both routers', async () => {
    const client = await lab.namespace('eclient');
    const r1 = await lab.namespace('er1', { router: true });
    const r2 = await lab.namespace('er2', { router: true });
    const target = await lab.namespace('etarget');
    const c1 = await lab.connect(client, r1);
    const c2 = await lab.connect(client, r2);
    const t1 = await lab.connect(r1, target);
    const t2 = await lab.connect(r2, target);
    await lab.addAnyIp(target, '10.201.0.0/16');
    await lab.routeMultipath(client, '10.201.0.0/16', [c1.b, c2.b]);
    await lab.route(r1, '10.201.0.0/16', t1.b);
    await lab.route(r2, '10.201.0.0/16', t2.b);
    await lab.defaultRoute(target, t1.a);
    const m = 'ip daddr 10.201.0.1 udp dport 33434';
    const via1 = await lab.counter(r1, 'ecmp', m, { hook: 'forward' });
    const via2 = await lab.counter(r2, 'ecmp', m, { hook: 'forward' });
    const flows = 64;
    const script =
      'import socket\n' +
      `for i in range(${flows}):\n` +
      '    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n' +
      "    s.sendto(b'x', ('10.201.0.1', 33434))\n" +
      '    s.close()\n';
    await client.exec(['python3', '-c', script]);
    await new Promise((r) => setTimeout(r, 200));
    const [n1, n2] = [await via1(), await via2()];
    assert.equal(n1 + n2, flows, `all flows forwarded (r1 ${n1}, r2 ${n2})`);
    assert.ok(n1 > 0 && n2 > 0, `both paths used (r1 ${n1}, r2 ${n2})`);
  });
});

describe('lab lifecycle', () => {
  test('destroy() removes every namespace, kills processes and delay links; second destroy is a no-op', async () => {
    const lab = await createLab();
    const a = await lab.namespace('x');
    const b = await lab.namespace('y', { router: true });
    const link = await lab.connect(a, b, { delayMs: 1 });
    await lab.connect(a, b);
    const sleeper = a.spawn(['sleep', '1000']);
    const sleeperExit = new Promise((r) => sleeper.once('exit', r));
    assert.equal((await ping(a, link.b.ipv4, ['-c', '1', '-W', '1'])).received, 1);
    const names = lab.namespaces.map((n) => n.name);
    assert.equal(names.length, 2);
    for (const n of names) assert.match(n, new RegExp(`^nd${process.pid}-\\d+-[xy]$`));
    const before = await listNamespaces();
    for (const n of names) assert.ok(before.includes(n), `${n} exists`);

    await lab.destroy();
    const afterList = await listNamespaces();
    for (const n of names) assert.ok(!afterList.includes(n), `${n} deleted`);
    await sleeperExit;
    assert.ok(sleeper.exitCode !== null || sleeper.signalCode !== null, 'spawned process killed');
    const dl = spawnSync('pgrep', ['-f', `delay_link.py --dev-a ndt${process.pid.toString(36)}-`], {
      encoding: 'utf8',
    });
    assert.equal(dl.stdout.trim(), '', 'no delay link process left');

    await lab.destroy(); // no-op
    await assert.rejects(lab.namespace('z'), /destroyed/);
  });

  test('createLab() sweeps namespaces of dead creators and keeps those of live ones', async () => {
    const dead = spawnSync('true');
    assert.ok(dead.pid);
    const stale = `nd${dead.pid}-1-stale`;
    const mine = `nd${process.pid}-999999-keep`;
    spawnSync('ip', ['netns', 'add', stale]);
    spawnSync('ip', ['netns', 'add', mine]);
    try {
      const lab = await createLab();
      await lab.destroy();
      const list = await listNamespaces();
      assert.ok(!list.includes(stale), `${stale} swept`);
      assert.ok(list.includes(mine), `${mine} kept`);
    } finally {
      spawnSync('ip', ['netns', 'del', stale]);
      spawnSync('ip', ['netns', 'del', mine]);
    }
  });

  for (const how of ['exit', 'SIGTERM'] as const) {
    test(`a process that ends by ${how} without destroy() leaves no namespace behind`, async () => {
      const script =
        `const { createLab } = require(${JSON.stringify(require.resolve('./index'))});\n` +
        'createLab().then(async (lab) => {\n' +
        "  const a = await lab.namespace('orphan');\n" +
        "  const b = await lab.namespace('orphan2');\n" +
        '  await lab.connect(a, b, { delayMs: 1 });\n' +
        "  a.spawn(['sleep', '1000']);\n" +
        "  console.log(lab.namespaces.map((n) => n.name).join(' '));\n" +
        `  ${how === 'exit' ? 'process.exit(0);' : 'setInterval(() => undefined, 1000);'}\n` +
        '});\n';
      const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      const exited = new Promise<[number | null, NodeJS.Signals | null]>((r) =>
        child.once('exit', (code, signal) => r([code, signal])),
      );
      const names = await new Promise<string[]>((resolve, reject) => {
        let out = '';
        child.stdout.setEncoding('utf8');
        child.stdout.on('data', (s: string) => {
          out += s;
          if (out.includes('\n')) resolve(out.trim().split(' '));
        });
        child.once('exit', (code) => reject(new Error(`child exited early (${code}): ${out}`)));
      });
      assert.equal(names.length, 2);
      if (how === 'SIGTERM') child.kill('SIGTERM');
      const [code, signal] = await exited;
      if (how === 'exit') assert.equal(code, 0);
      else assert.equal(signal, 'SIGTERM');
      const list = await listNamespaces();
      for (const n of names) assert.ok(!list.includes(n), `${n} deleted by the exit fallback`);
    });
  }
});
