// Pacing and the routers' budget (issue 14, item 3) on the MDA lab with Linux's own ICMP limits put
// back on every router and the target: a burst of about 6 errors per source, then 1 a second.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { requireTools, useLab } from '../lab';
import { startExporter, type ExporterProcess } from '../support/exporter-process';
import { select, type Sample } from '../support/scrape';
import { buildMdaLab, mdaLabHops, restoreLinuxIcmpLimits, type LabFamily, type MdaLab } from './mda-lab';

const PORT = 9570;
/** A second address of the target namespace, behind the same routers: a second target sharing every hop. */
const SECOND = { ipv4: '10.0.250.1', ipv6: 'fd00:0:0:fa::1' } as const;

interface RoundSeen {
  round: number;
  /** hop → loss ratio */
  losses: Map<number, number>;
  /** hop → addresses */
  addresses: Map<number, string[]>;
  duration: number;
  probes: number;
  skipped: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Scrapes until every target completed `rounds` rounds, keeping what each round showed. */
async function watchRounds(
  exporter: ExporterProcess,
  targets: readonly string[],
  rounds: number,
  deadlineMs: number,
): Promise<Map<string, RoundSeen[]>> {
  const seen = new Map<string, RoundSeen[]>(targets.map((target) => [target, []]));
  const lastProbes = new Map<string, number>();
  const lastSkipped = new Map<string, number>();
  const end = Date.now() + deadlineMs;
  while (Date.now() < end) {
    const samples = await exporter.scrape();
    for (const target of targets) {
      const list = seen.get(target)!;
      const one = (name: string): number => select(samples, name, { target })[0]?.value ?? 0;
      const round = one('netdiag_trace_rounds_total');
      if (round === 0 || list.at(-1)?.round === round) continue;
      const probes = one('netdiag_trace_probes_total');
      const skipped = one('netdiag_trace_probes_skipped_total');
      list.push({
        round,
        losses: new Map(
          select(samples, 'netdiag_trace_hop_loss_ratio', { target }).map((s) => [
            Number(s.labels.hop),
            s.value,
          ]),
        ),
        addresses: hopAddresses(samples, target),
        duration: one('netdiag_trace_duration_seconds'),
        probes: probes - (lastProbes.get(target) ?? 0),
        skipped: skipped - (lastSkipped.get(target) ?? 0),
      });
      lastProbes.set(target, probes);
      lastSkipped.set(target, skipped);
    }
    if (targets.every((target) => seen.get(target)!.length >= rounds)) return seen;
    await sleep(250);
  }
  throw new Error(`fewer than ${rounds} rounds seen:\n${exporter.logs().slice(-3000)}`);
}

function hopAddresses(samples: Sample[], target: string): Map<number, string[]> {
  const hops = new Map<number, string[]>();
  for (const s of select(samples, 'netdiag_trace_hop_rtt_seconds', { target })) {
    const hop = Number(s.labels.hop);
    hops.set(hop, [...(hops.get(hop) ?? []), s.labels.hop_address!].sort());
  }
  return hops;
}

const config = (m: MdaLab, pacing: number, interval: string): string => {
  const target = (name: string, host: string, protocol: string): string =>
    `  - { name: ${name}, host: "${host}", trace: { protocol: ${protocol}${protocol === 'tcp' ? ', port: 443' : ''} } }\n`;
  let text = `defaults:\n  trace: { interval: ${interval}, timeout: 500ms, pacing: ${pacing} }\ntargets:\n`;
  for (const family of ['ipv4', 'ipv6'] as const) {
    const v = family === 'ipv4' ? 4 : 6;
    for (const protocol of ['udp', 'tcp', 'icmp'])
      text += target(`${protocol}${v}`, m.links.r4Target.b[family], protocol);
    text += target(`second${v}`, SECOND[family], 'udp');
  }
  return text;
};

const TARGETS = ['udp4', 'tcp4', 'icmp4', 'second4', 'udp6', 'tcp6', 'icmp6', 'second6'];

describe('trace pacing and the routers budget under Linux ICMP limits (MDA lab)', () => {
  const lab = useLab();
  let m: MdaLab;

  before(async () => {
    requireTools('nft', 'curl');
    m = await buildMdaLab(lab(), 'pac');
    await restoreLinuxIcmpLimits(m);
    await lab().addAnyIp(m.target, `${SECOND.ipv4}/32`);
    await lab().addAnyIp(m.target, `${SECOND.ipv6}/128`);
  });

  it('paced', async () => {
    const ttl1 = {
      ipv4: await lab().counter(m.client, 'pac_ttl1_v4', 'ip ttl 1', { hook: 'output' }),
      ipv6: await lab().counter(m.client, 'pac_ttl1_v6', 'ip6 hoplimit 1', { hook: 'output' }),
    };
    const started = Date.now();
    const exporter = await startExporter(m.client, config(m, 0.5, '20s'), PORT);
    try {
      const seen = await watchRounds(exporter, TARGETS, 5, 200_000);
      const seconds = (Date.now() - started) / 1000;
      for (const [target, rounds] of seen) {
        console.log(target);
        for (const r of rounds)
          console.log(
            `  round ${r.round} probes ${r.probes} skipped ${r.skipped} duration ${r.duration.toFixed(2)} loss ${[...r.losses].map(([h, l]) => `${h}:${l.toFixed(2)}`).join(' ')} addrs ${[...r.addresses].map(([h, a]) => `${h}:${a.length}`).join(' ')}`,
          );
      }
      console.log(`ttl1 v4 ${await ttl1.ipv4()} v6 ${await ttl1.ipv6()} over ${seconds} s`);
    } finally {
      assert.equal(await exporter.stop(), 0);
    }
  });
});
