// A stalled exporter (SIGSTOP, then SIGCONT): the replies that arrived in time while it was stopped
// are answers with their network RTT (the kernel stamped them on arrival, issue 20), not losses nor
// RTTs of the stall's length, and the ticks the scheduler skipped are counted. Then a flood of
// ICMP while the exporter is stopped overflows its raw socket's receive buffer: the kernel's
// drops show in netdiag_socket_kernel_drops_total, equal to /proc/net/raw's count.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { useLab, requireTools, type Link, type Netns } from '../lab';
import { startExporter, type ExporterProcess } from '../support/exporter-process';
import { select, type Sample } from '../support/scrape';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const total = (samples: Sample[], name: string, labels: Record<string, string> = {}): number =>
  select(samples, name, labels).reduce((sum, s) => sum + s.value, 0);

const INTERVAL_S = 0.2;
const TIMEOUT_S = 0.2;
/** One way: an RTT of 160 ms, so each target has a request in flight 80 % of the time. */
const DELAY_MS = 80;
const STALL_MS = 5000;
/**
 * Five targets whose spread offsets (75, 153, 76, 86, 78 ms of the 200 ms interval) leave no
 * instant without a request in flight: whenever the process stops, some reply is read late.
 */
const TARGETS = [1, 2, 3, 4, 5].map((i) => ({ name: `stall-${i}`, address: `10.210.0.${i}` }));

/** Sends COUNT ICMP echo replies (type 0, which the exporter's ICMP filter lets through) to DEST. */
const FLOOD = [
  'import socket, struct, sys',
  'dest, count = sys.argv[1], int(sys.argv[2])',
  's = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)',
  'def checksum(data):',
  '    total = sum(struct.unpack(f"!{len(data) // 2}H", data))',
  '    while total >> 16: total = (total & 0xFFFF) + (total >> 16)',
  '    return ~total & 0xFFFF',
  'sent = 0',
  'for i in range(count):',
  '    m = struct.pack("!BBHHH", 0, 0, 0, 0xBEEF, i & 0xFFFF) + bytes(16)',
  '    m = m[:2] + struct.pack("!H", checksum(m)) + m[4:]',
  '    try:',
  '        s.sendto(m, (dest, 0)); sent += 1',
  '    except OSError:',
  '        pass',
  'print(sent, flush=True)',
].join('\n');

/** Drops of the raw sockets of `protocol` in /proc/net/raw as read inside `ns`. */
async function procRawDrops(ns: Netns, protocol: number): Promise<number> {
  const { stdout } = await ns.exec(['cat', '/proc/net/raw']);
  let drops = 0;
  for (const line of stdout.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 13) continue;
    if (parseInt(fields[1]!.split(':')[1]!, 16) === protocol) drops += Number(fields[12]);
  }
  return drops;
}

describe('a stalled exporter (lab namespaces)', () => {
  const lab = useLab();
  let client: Netns;
  let flooder: Netns;
  let floodLink: Link;
  let exporter: ExporterProcess;

  before(async () => {
    requireTools('curl', 'python3');
    client = await lab().namespace('stclient');
    const target = await lab().namespace('sttarget');
    flooder = await lab().namespace('stflood');
    const slow = await lab().connect(client, target, { delayMs: DELAY_MS });
    floodLink = await lab().connect(client, flooder);
    await lab().addAnyIp(target, '10.210.0.0/24');
    await lab().route(client, '10.210.0.0/24', slow.b);
    exporter = await startExporter(
      client,
      `histogram_buckets: [0.1, 0.15, ${TIMEOUT_S}, 0.5, 1, 5, 10]
defaults:
  ping: { interval: ${INTERVAL_S * 1000}ms, timeout: ${TIMEOUT_S * 1000}ms }
targets:
${TARGETS.map((t) => `  - { name: ${t.name}, host: ${t.address}, ping: {} }`).join('\n')}
`,
    );
    assert.equal(
      readFileSync(`/proc/${exporter.pid}/comm`, 'utf8').trim(),
      'node',
      'the pid is the exporter',
    );
    for (;;) {
      const samples = await exporter.scrape();
      if (TARGETS.every((t) => total(samples, 'netdiag_ping_received_total', { target: t.name }) >= 3)) break;
      await sleep(100);
    }
  });

  after(async () => {
    assert.equal(await exporter?.stop(), 0);
  });

  it('after 5 s stopped: no RTT above the timeout, no reply that came in time lost, the skipped ticks counted', async (t) => {
    const before = await exporter.scrape();
    const skippedBefore = total(before, 'netdiag_probe_ticks_skipped_total', { probe: 'ping' });
    const lateBefore = total(before, 'netdiag_probe_late_replies_total', { probe: 'ping' });
    const timeouts = (samples: Sample[]): number =>
      total(samples, 'netdiag_probe_errors_total', { probe: 'ping', reason: 'timeout' });
    const timeoutsBefore = timeouts(before);

    const stoppedAt = performance.now();
    process.kill(exporter.pid, 'SIGSTOP');
    await sleep(STALL_MS);
    process.kill(exporter.pid, 'SIGCONT');
    const continuedAt = performance.now();
    const after = await exporter.scrape();
    const scrapedAt = performance.now();

    for (const { name } of TARGETS) {
      const count = total(after, 'netdiag_ping_rtt_seconds_count', { target: name });
      const inTime = total(after, 'netdiag_ping_rtt_seconds_bucket', { target: name, le: String(TIMEOUT_S) });
      const sum = total(after, 'netdiag_ping_rtt_seconds_sum', { target: name });
      assert.ok(count > 0, `${name} has RTTs`);
      assert.equal(inTime, count, `${name}: every RTT observed is within the ${TIMEOUT_S} s timeout`);
      assert.ok(sum <= count * TIMEOUT_S, `${name}: RTT sum ${sum} for ${count} observations`);
    }
    // Present from the start for the probe that runs.
    assert.equal(select(before, 'netdiag_probe_ticks_skipped_total', { probe: 'ping' }).length, 1);
    assert.equal(select(before, 'netdiag_probe_late_replies_total', { probe: 'ping' }).length, 1);
    const late = total(after, 'netdiag_probe_late_replies_total', { probe: 'ping' }) - lateBefore;
    const skipped = total(after, 'netdiag_probe_ticks_skipped_total', { probe: 'ping' }) - skippedBefore;
    const lost = timeouts(after) - timeoutsBefore;
    t.diagnostic(
      `stopped ${Math.round(continuedAt - stoppedAt)} ms (scrape answered at ${Math.round(scrapedAt - stoppedAt)} ms): ` +
        `${late} late replies, ${lost} timeouts, ${skipped} ticks skipped over ${TARGETS.length} jobs`,
    );
    // The requests in flight when the process stopped (there always is one) were answered within
    // the timeout by the network: their replies, read after the stall, are RTTs (checked above to
    // be within the timeout), not late replies nor timeouts.
    assert.equal(late + lost, 0, `late replies ${late}, timeouts ${lost}`);

    // Each job had floor(D / I) or one more ticks due while stopped; it runs the latest on
    // resumption and skips the others. D lies between the stop and the scrape's answer; a tick
    // more or less for the queue's early batching and the job's own phase.
    const low = TARGETS.length * (Math.floor((continuedAt - stoppedAt) / (INTERVAL_S * 1000)) - 2);
    const high = TARGETS.length * (Math.ceil((scrapedAt - stoppedAt) / (INTERVAL_S * 1000)) + 1);
    assert.ok(
      skipped >= low && skipped <= high,
      `skipped ${skipped} ticks for ${TARGETS.length} jobs stopped ${Math.round(continuedAt - stoppedAt)} ms: expected ${low}..${high}`,
    );
  });

  it("counts the kernel's drops of a flood that overflows the stopped exporter's ICMP socket, as /proc/net/raw does", async (t) => {
    const dropsBefore = await procRawDrops(client, 1);
    process.kill(exporter.pid, 'SIGSTOP');
    // More echo replies than the socket's receive buffer (4 MiB asked, 8 MiB given) can queue.
    const { stdout } = await flooder.exec(['python3', '-c', FLOOD, floodLink.a.ipv4, '60000'], {
      timeoutMs: 60_000,
    });
    await sleep(200);
    process.kill(exporter.pid, 'SIGCONT');
    const sent = Number(stdout.trim());
    const kernelDrops = (await procRawDrops(client, 1)) - dropsBefore;
    assert.ok(sent > 50_000, `flood sent ${sent}`);
    assert.ok(kernelDrops > 0, `the kernel dropped ${kernelDrops} of ${sent}`);

    t.diagnostic(`flood: ${sent} echo replies sent, ${kernelDrops} dropped by the kernel`);
    const samples = await exporter.scrape();
    const exported = total(samples, 'netdiag_socket_kernel_drops_total', {
      family: 'ipv4',
      protocol: 'icmp',
    });
    assert.equal(
      exported,
      await procRawDrops(client, 1),
      'the metric equals /proc/net/raw drops of the ICMP socket',
    );
    assert.ok(exported - dropsBefore === kernelDrops, `exported ${exported}, kernel ${kernelDrops}`);
  });
});
