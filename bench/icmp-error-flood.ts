// ICMP error flood benchmark (run as root: `node dist/bench/icmp-error-flood.js`). A lab with a
// client, a target behind a veth and a flooder sending random foreign ICMPv4 errors (quoting echo
// requests nobody sent) at the client as fast as one python process can; meanwhile one Pinger
// (test/e2e/fixtures/ping-many) pings the target 100 times a second. Prints, per run, the flood
// rate, the loss and RTTs of the pings, the packets the prober read and the CPU it used. Run it from
// two builds to compare them; it writes nothing: figures are copied into bench/results.md ("ICMP errors on the receive path").
import * as path from 'node:path';
import { createLab } from '../test/lab';
import { fixturePath, repoRoot } from '../test/support/paths';
import { runBench } from './results-file';

const FLOODER = path.join(repoRoot, 'bench', 'fixtures', 'icmp-error-flooder.py');
const RUNS = Number(process.env.BENCH_RUNS ?? 2);
const PINGS = 400;
const INTERVAL = 0.01;

interface PingMany {
  results: Record<string, Array<number | null>>;
  stats: Array<{ family: number; received: number; foreign: number }>;
}

async function main(): Promise<void> {
  const lab = await createLab();
  try {
    const client = await lab.namespace('client');
    const target = await lab.namespace('target');
    const flooder = await lab.namespace('flooder');
    const toTarget = await lab.connect(client, target);
    const toFlooder = await lab.connect(client, flooder);
    for (let run = 0; run < RUNS; run++) {
      const seconds = PINGS * INTERVAL + 2;
      const flood = flooder.spawn(['python3', FLOODER, toFlooder.b.ipv4, toFlooder.a.ipv4, String(seconds)]);
      let output = '';
      flood.stdout?.on('data', (chunk: Buffer) => (output += String(chunk)));
      const exited = new Promise((resolve) => flood.once('exit', resolve));
      while (!output.includes('ready')) await new Promise((resolve) => setTimeout(resolve, 20));
      const ping = await client.exec(['/usr/bin/time', '-f', 'cpu %U %S', 'node', fixturePath('ping-many')], {
        input: JSON.stringify({ addrs: [toTarget.b.ipv4], count: PINGS, interval: INTERVAL, timeout: 1 }),
        timeoutMs: 120_000,
      });
      await exited;
      const { results, stats } = JSON.parse(ping.stdout) as PingMany;
      const rtts = results[toTarget.b.ipv4]!;
      const answered = rtts.filter((rtt): rtt is number => rtt !== null).sort((a, b) => a - b);
      const ms = (s: number | undefined): string => ((s ?? NaN) * 1000).toFixed(2);
      const mean = answered.reduce((sum, rtt) => sum + rtt, 0) / answered.length;
      const cpu = /cpu ([\d.]+) ([\d.]+)/.exec(ping.stderr);
      const socket = stats.find((s) => s.family === 4)!;
      const sent = Number(/sent (\d+)/.exec(output)?.[1] ?? NaN);
      process.stdout.write(
        `flood ${Math.round(sent / seconds)}/s: loss ${(1 - answered.length / rtts.length).toFixed(3)}, ` +
          `RTT mean ${ms(mean)} ms, p50 ${ms(answered[answered.length >> 1])} ms, max ${ms(answered.at(-1))} ms; ` +
          `prober read ${socket.received} packets (${socket.foreign} foreign), ` +
          `CPU ${cpu ? (Number(cpu[1]) + Number(cpu[2])).toFixed(2) : '?'} s\n`,
      );
    }
  } finally {
    await lab.destroy();
  }
}

runBench(main);
