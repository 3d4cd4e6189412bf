// RTTs at light load from kernel timestamps (issue 20): one target per family one veth hop away,
// pinged once a second, side by side with iputils ping (its default: kernel receive stamps) and
// under a capture. The process sleeps between requests, so a reply wakes it from idle: with times
// read in JavaScript after that wake-up, RTTs read several times the truth (see the issue); with
// the kernel's stamps the wake-up is outside the measurement, whatever the machine's load.
//
// The truth is the wire: the times tcpdump saw on the client's interface, each RTT within 50 µs.
// iputils is a reference, not the truth: it stamps its requests in user space before sendmsg(2), so
// its RTTs carry the whole send path, which on a loaded VM is tens of µs (bench/results.md). Ours
// must not read above its mean; reading below it is what the kernel's transmit stamp is for.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { requireTools, useLab, type Link, type Netns } from '../lab';
import { readEchoes, wireRtts } from '../support/pcap';
import { fixturePath } from '../support/paths';
import { startCapture } from '../support/capture';

const COUNT = 20;

const INTERVAL_S = 1;
/** Our payload size: iputils sends 56, so a capture tells the two apart. */
const OUR_PAYLOAD = 100;
/** The issue's bounds: the mean no more than 20 µs over iputils', each RTT within 50 µs of the wire's. */
const VS_IPUTILS_S = 20e-6;
const VS_WIRE_S = 50e-6;

interface LightLoadRun {
  warmup: number;
  ours: Record<'4' | '6', Array<number | null>>;
  iputils: Record<'4' | '6', number[]>;
  timestampSource: Record<string, string>;
}

const mean = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0) / values.length;
const us = (seconds: number): string => `${(seconds * 1e6).toFixed(1)} µs`;

describe('kernel timestamps: light-load RTTs agree with iputils and with the wire', () => {
  const lab = useLab();
  let client: Netns;
  let link: Link;
  let captureDir: string;
  let run: LightLoadRun;
  let wire: Record<'4' | '6', Array<number | null>>;

  before(async () => {
    requireTools('ping', 'tcpdump');
    client = await lab().namespace('tsclient');
    const target = await lab().namespace('tstarget');
    link = await lab().connect(client, target);
    captureDir = mkdtempSync(path.join(tmpdir(), 'netdiag-ts-'));
    const file = path.join(captureDir, 'echo.pcap');
    const capture = await startCapture(client, link.a.ifname, file, 'icmp or icmp6');
    const { stdout } = await client.exec(
      [
        'node',
        fixturePath('ping-light-load'),
        link.b.ipv4,
        link.b.ipv6,
        String(COUNT),
        String(INTERVAL_S),
        String(OUR_PAYLOAD),
      ],
      { timeoutMs: 120_000 },
    );
    run = JSON.parse(stdout) as LightLoadRun;
    await capture.stop();
    const echoes = readEchoes(readFileSync(file));
    // The fixture's warm-up requests come first in the capture.
    wire = {
      4: wireRtts(echoes, 4, OUR_PAYLOAD).slice(run.warmup),
      6: wireRtts(echoes, 6, OUR_PAYLOAD).slice(run.warmup),
    };
  });

  after(() => {
    if (captureDir) rmSync(captureDir, { recursive: true, force: true });
  });

  it('the ICMP sockets say their times come from the kernel', () => {
    assert.deepEqual(run.timestampSource, { 4: 'kernel', 6: 'kernel' });
  });

  for (const family of ['4', '6'] as const) {
    it(`the mean RTT is at most ${us(VS_IPUTILS_S)} over iputils' in the same seconds (IPv${family})`, (t) => {
      const ours = run.ours[family];
      assert.equal(ours.length, COUNT);
      assert.ok(
        ours.every((rtt) => rtt !== null),
        `every request answered: ${JSON.stringify(ours)}`,
      );
      assert.equal(run.iputils[family].length, COUNT, 'iputils got every reply');
      const ourMean = mean(ours as number[]);
      const theirMean = mean(run.iputils[family]);
      const figures = `netdiag mean ${us(ourMean)}, iputils ${us(theirMean)}, wire ${us(mean(wire[family] as number[]))}`;
      t.diagnostic(figures);
      assert.ok(ourMean - theirMean < VS_IPUTILS_S, figures);
    });

    it(`every RTT is within ${us(VS_WIRE_S)} of the wire's (IPv${family}, tcpdump on the client's veth)`, (t) => {
      const ours = run.ours[family];
      const onWire = wire[family];
      assert.equal(onWire.length, COUNT, 'the capture holds each of our requests');
      const offsets = ours.map((rtt, i) => (rtt ?? NaN) - (onWire[i] ?? NaN));
      const worst = Math.max(...offsets.map(Math.abs));
      t.diagnostic(`offsets from the wire: mean ${us(mean(offsets))}, worst ${us(worst)}`);
      assert.ok(
        worst < VS_WIRE_S,
        `offsets from the wire: ${offsets.map(us).join(', ')} (wire mean ${us(mean(onWire as number[]))})`,
      );
    });
  }
});
