// Knock benchmark of issue 4 (run as root: `npm run bench:knock`). In the exporter benchmark's lab
// (client and target namespaces joined by a veth, a 10.200.0.0/16 AnyIP range on the target, a
// listener in the target bound to 0.0.0.0:PORT, which answers a SYN to every address of the range),
// the exporter pings N targets every second, first alone, then with every target also knocked on
// PORT every 5 s. Per phase: CPU, peak RSS, /metrics; with knock: SYNs on the wire, answers, open
// ports, and the mean knock RTT minus the mean ping RTT to the same addresses, from the exporter's
// own histograms. The tables go to the `## Knock` section of bench/results.md.
import { setTimeout as sleep } from 'node:timers/promises';
import { createLab, requireTools, type Netns } from '../test/lab';
import { select } from '../test/support/scrape';
import { codeState, loadBefore, machineFacts, toolVersion } from './fixtures/bench-env';
import { benchAddresses, knockConfig } from './fixtures/exporter-targets';
import { COST_COLUMNS, costRow } from './fixtures/window-table';
import { delta, fix, measureExporter, us, windowMean, type WindowFigures } from './fixtures/exporter-window';
import { publishResults, runBench } from './results-file';
import { addIputilsSource, buildDirectLab } from './fixtures/direct-lab';

const TARGETS = Number(process.env.BENCH_KNOCK_TARGETS ?? 1000);
const DURATION = Number(process.env.BENCH_DURATION ?? 60);
const WARMUP = 10;
const SCRAPES = 5;
const PORT = 8080;
const KNOCK_INTERVAL = 5;
if (!Number.isInteger(TARGETS) || TARGETS < 1 || TARGETS > 65536)
  throw new Error(`BENCH_KNOCK_TARGETS: ${process.env.BENCH_KNOCK_TARGETS}`);
if (!Number.isFinite(DURATION) || DURATION < KNOCK_INTERVAL)
  throw new Error(`BENCH_DURATION: at least ${KNOCK_INTERVAL} s, not ${DURATION}`);

/** An IPv4 listener on every address of the namespace (AnyIP ranges included) that never accepts. */
const LISTENER = [
  'import socket, sys, time',
  's = socket.socket(socket.AF_INET)',
  "s.bind(('0.0.0.0', int(sys.argv[1])))",
  's.listen(4096)',
  "print('ready', flush=True)",
  'time.sleep(86400)',
].join('\n');

async function startListener(ns: Netns): Promise<void> {
  const child = ns.spawn(['python3', '-c', LISTENER, String(PORT)]);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += String(chunk)));
  await new Promise<void>((resolve, reject) => {
    child.stdout?.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`listener exited (${code}): ${stderr}`)));
  });
}

/** Sockets of the target in a TCP state, and the listener's accept queue, from `ss`. */
async function targetSockets(
  ns: Netns,
): Promise<{ synRecv: number; established: number; acceptQueue: number }> {
  const count = async (state: string): Promise<number> =>
    (await ns.exec(['ss', '-tanH', 'state', state])).stdout.split('\n').filter(Boolean).length;
  const listening = (await ns.exec(['ss', '-ltnH', `sport = :${PORT}`])).stdout;
  return {
    synRecv: await count('syn-recv'),
    established: await count('established'),
    acceptQueue: Number(/^LISTEN\s+(\d+)/.exec(listening)?.[1] ?? NaN),
  };
}

interface Phase {
  name: string;
  knock: boolean;
  w: WindowFigures;
  sockets?: { synRecv: number; established: number; acceptQueue: number };
  portsOpen?: number;
}

function knockLines(p: Phase, reference: string): string[] {
  const w = p.w;
  const expected = (TARGETS * w.counterSeconds) / KNOCK_INTERVAL;
  const knockAll = windowMean(w, 'netdiag_knock_rtt_seconds');
  const pingAll = windowMean(w, 'netdiag_ping_rtt_seconds');
  const ref = { address: reference };
  const knockRef = windowMean(w, 'netdiag_knock_rtt_seconds', ref);
  const pingRef = windowMean(w, 'netdiag_ping_rtt_seconds', ref);
  const diff = (a: number | null, b: number | null): number | null =>
    a === null || b === null ? null : a - b;
  const iputils = w.iputils?.avg ?? null;
  const rows: Array<[string, string]> = [
    ['knock targets (port open at the end: netdiag_knock_port_open = 1)', `${TARGETS} (${p.portsOpen})`],
    [
      'SYNs on the wire (target, from the exporter) / expected (N × window / 5 s)',
      `${w.counters.syns} / ${expected.toFixed(0)}`,
    ],
    [
      'knock sent / received / failed (own counts)',
      `${delta(w, 'netdiag_knock_sent_total')} / ${delta(w, 'netdiag_knock_received_total')} / ${delta(w, 'netdiag_probe_errors_total', { probe: 'knock' })}`,
    ],
    [
      'SYN-ACKs sent by the target / RSTs from the client to the target',
      `${w.counters.synAcks} / ${w.counters.rsts}`,
    ],
    [
      'target after the window: SYN-RECV / established sockets / accept queue',
      `${p.sockets?.synRecv} / ${p.sockets?.established} / ${p.sockets?.acceptQueue}`,
    ],
    ['mean knock RTT, all targets (µs)', us(knockAll)],
    ['mean ping RTT, all targets (µs)', us(pingAll)],
    ['**knock − ping, all targets (µs)**', us(diff(knockAll, pingAll))],
    [
      `mean knock RTT, reference ${reference} (µs; ${delta(w, 'netdiag_knock_rtt_seconds_count', ref)} knocks)`,
      us(knockRef),
    ],
    [`mean ping RTT, reference (µs; ${delta(w, 'netdiag_ping_rtt_seconds_count', ref)} pings)`, us(pingRef)],
    ['knock − ping, reference (µs)', us(diff(knockRef, pingRef))],
    [`iputils mean to the reference (µs; ${w.iputils?.received ?? 0} replies)`, us(iputils)],
    ['ping − iputils, reference (µs)', us(diff(pingRef, iputils))],
  ];
  return ['| figure (ping + knock phase) | value |', '|---|---|', ...rows.map(([k, v]) => `| ${k} | ${v} |`)];
}

async function main(): Promise<void> {
  requireTools('ping', 'curl', 'nft', 'python3', 'ss');
  const started = new Date();
  const code = codeState();
  const facts = machineFacts([`iputils ${toolVersion(['ping', '-V'], /iputils ([\w.]+)/)}`]);
  const load = loadBefore();
  const addrs = benchAddresses(TARGETS);
  const reference = addrs[Math.floor(TARGETS / 2)]!;
  const phases: Phase[] = [];
  const lab = await createLab();
  try {
    const { client, target, link } = await buildDirectLab(lab);
    const iputilsSource = await addIputilsSource(lab, link);
    await startListener(target);
    const from = `ip saddr ${link.a.ipv4}`;
    const pings = await lab.counter(target, 'bench_pings', `${from} icmp type echo-request`);
    const syns = await lab.counter(
      target,
      'bench_syns',
      `${from} tcp dport ${PORT} tcp flags & (syn | ack) == syn`,
    );
    const rsts = await lab.counter(target, 'bench_rsts', `${from} tcp dport ${PORT} tcp flags & rst == rst`);
    const synAcks = await lab.counter(
      target,
      'bench_synacks',
      `tcp sport ${PORT} tcp flags & (syn | ack) == syn | ack`,
      {
        hook: 'output',
      },
    );
    const counters = async (): Promise<Record<string, number>> => ({
      pings: await pings(),
      syns: await syns(),
      rsts: await rsts(),
      synAcks: await synAcks(),
    });
    for (const knock of [false, true]) {
      const name = knock ? `ping + knock (${TARGETS} targets)` : `ping only (${TARGETS} targets)`;
      console.error(`${new Date().toISOString()} ${name}: starting`);
      const w = await measureExporter(client, knockConfig(addrs, PORT, knock), {
        warmupSeconds: WARMUP,
        seconds: DURATION,
        reference,
        iputilsSource,
        scrapes: SCRAPES,
        counters,
      });
      const phase: Phase = { name, knock, w };
      if (knock) {
        phase.portsOpen = select(w.after, 'netdiag_knock_port_open').filter((s) => s.value === 1).length;
        await sleep(2000); // a SYN-RECV entry lives until the client's RST arrives: give stragglers time
        phase.sockets = await targetSockets(target);
      }
      phases.push(phase);
      console.error(`  ${costRow(phase.name, phase.w)}`);
    }
  } finally {
    await lab.destroy();
  }

  const knockPhase = phases.find((p) => p.knock)!;
  const pingPhase = phases.find((p) => !p.knock)!;
  const cores = (p: Phase): number => p.w.cpuUser + p.w.cpuSystem;
  const warnings = phases.flatMap((p) =>
    p.w.warnings.slice(0, 3).map((l) => `- ${p.name}: \`${l.slice(0, 200)}\``),
  );
  const lines = [
    `Run ${started.toISOString()}: ${facts}. ${load.line}` +
      (load.disturbed ? ` **All rows ${load.disturbed}.**` : ''),
    `Code measured: ${code}.`,
    '',
    'How each figure is measured:',
    '',
    `- Setup: the exporter bench's lab (client and target namespaces, plain veth, no delay, no loss, the`,
    `  target answering every address of 10.200.0.0/16); ${TARGETS} targets, the first addresses of the`,
    '  range, each pinged every 1 s (timeout 1 s). Phase "ping + knock": the same targets also knocked on',
    `  port ${PORT} every ${KNOCK_INTERVAL} s (timeout 1 s). A python listener in the target namespace bound to`,
    `  0.0.0.0:${PORT} (backlog 4096, never accepts) answers SYNs to every AnyIP address with a SYN-ACK: the`,
    '  "port open" count checks it. Each phase is its own exporter process, started as in the exporter',
    `  bench (root, then nobody); ${WARMUP} s warm-up, then a ${DURATION} s window between two scrapes.`,
    '- CPU, rest of machine, peak RSS, /metrics: as in the Exporter section (/proc/<pid>/stat over the',
    `  window; VmHWM; ${SCRAPES} timed curl scrapes after the window). The knock cost is the difference of the`,
    '  two phases.',
    '- Wire: nft counters in the target namespace over the window: echo requests and SYNs from the',
    "  exporter's address, RSTs from it (the client kernel answers each SYN-ACK with one), SYN-ACKs leaving",
    '  the target (output hook).',
    '- Knock − ping: mean of netdiag_knock_rtt_seconds minus mean of netdiag_ping_rtt_seconds, both from',
    '  _sum/_count deltas over the window, over all targets and for the reference address (the middle',
    '  one; only window / 5 s knocks, so the all-target figure is the one to read). iputils: `ping -q -I',
    '  SECOND_CLIENT_ADDRESS -i 0.2 -w WINDOW` to the reference alongside (kernel timestamps).',
    '',
    `| ${COST_COLUMNS.join(' | ')} |`,
    `|${'---|'.repeat(COST_COLUMNS.length)}`,
    ...phases.map((p) => costRow(p.name, p.w)),
    '',
    `Knock's own cost at ${TARGETS} targets every ${KNOCK_INTERVAL} s (${(TARGETS / KNOCK_INTERVAL).toFixed(0)} SYNs/s):` +
      ` ${fix(cores(knockPhase) - cores(pingPhase), 3)} core, ` +
      `${fix(knockPhase.w.rssMb - pingPhase.w.rssMb, 0)} MB of peak RSS.`,
    '',
    ...knockLines(knockPhase, reference),
    '',
  ];
  if (warnings.length > 0)
    lines.push('Exporter warnings during the windows (first 3 per phase):', '', ...warnings, '');
  publishResults('Knock', lines);
}

runBench(main);
