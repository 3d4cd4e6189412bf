// Knock RTTs at light load against the wire (issue 20): one open and one closed port per family, one
// veth hop away, knocked once a second under a nanosecond capture on the client's interface. Each
// knock's RTT (SYN sent to SYN-ACK or RST read, from the kernel's transmit and receive stamps) is
// compared with the time between the same SYN and its answer in the capture, matched by source port
// and sequence number.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';

import type { KnockResult } from '../../probes';
import { requireTools, useLab, type Netns } from '../lab';
import { wireKnockRtts } from '../support/pcap';
import { fixturePath } from '../support/paths';
import { startTcpListener } from '../support/tcp-listener';
import { startCapture } from '../support/capture';
import { judgeWireOffsets } from '../support/wire-offsets';

const COUNT = 20;
const INTERVAL_S = 1;
const OPEN_PORT = 8443;
const CLOSED_PORT = 8444;
/** The bound: each RTT within 50 µs of the wire's. */
const VS_WIRE_S = 50e-6;

interface LightLoadKnocks {
  runs: Array<{ family: '4' | '6'; port: number; results: KnockResult[] }>;
  timestampSource: Record<string, string>;
  stampsMissed: Record<string, { transmit: number; receive: number }>;
}

const mean = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0) / values.length;
const us = (seconds: number): string => `${(seconds * 1e6).toFixed(1)} µs`;

describe('kernel timestamps: light-load knock RTTs agree with the wire', () => {
  const lab = useLab();
  let client: Netns;
  let captureDir: string;
  let run: LightLoadKnocks;
  let wire: Map<string, number>;

  before(async () => {
    requireTools('tcpdump', 'python3');
    client = await lab().namespace('ktclient');
    const target = await lab().namespace('kttarget');
    const link = await lab().connect(client, target);
    await startTcpListener(target, OPEN_PORT);
    captureDir = mkdtempSync(path.join(tmpdir(), 'netdiag-kt-'));
    const file = path.join(captureDir, 'knock.pcap');
    const capture = await startCapture(
      client,
      link.a.ifname,
      file,
      `tcp port ${OPEN_PORT} or tcp port ${CLOSED_PORT}`,
    );
    const { stdout } = await client.exec(
      [
        'node',
        fixturePath('knock-light-load'),
        link.b.ipv4,
        link.b.ipv6,
        String(OPEN_PORT),
        String(CLOSED_PORT),
        String(COUNT),
        String(INTERVAL_S),
      ],
      { timeoutMs: 120_000 },
    );
    run = JSON.parse(stdout) as LightLoadKnocks;
    await capture.stop();
    wire = wireKnockRtts(readFileSync(file));
  });

  after(() => {
    if (captureDir) rmSync(captureDir, { recursive: true, force: true });
  });

  it('the TCP sockets say their times come from the kernel, and every knock had its stamps', () => {
    assert.deepEqual(run.timestampSource, { 4: 'kernel', 6: 'kernel' });
    // One-hop neighbours resolved by the warm-up: no packet waits, so every stamp asked for comes.
    const none = { transmit: 0, receive: 0 };
    assert.deepEqual(run.stampsMissed, { 4: none, 6: none });
  });

  for (const family of ['4', '6'] as const) {
    for (const [port, state] of [
      [OPEN_PORT, 'open'],
      [CLOSED_PORT, 'closed'],
    ] as const) {
      it(`knocks of a ${state} port sit within ${us(VS_WIRE_S)} of the wire's RTT, at most one beyond (IPv${family})`, (t) => {
        const results = run.runs.find((r) => r.family === family && r.port === port)!.results;
        assert.equal(results.length, COUNT);
        assert.ok(
          results.every((r) => r.state === state && r.rtt !== null),
          `every knock answered ${state}: ${JSON.stringify(results.map((r) => [r.state, r.rtt]))}`,
        );
        const offsets = results.map((r) => {
          const onWire = wire.get(`${family}/${r.sourcePort}/${r.sequence}`);
          assert.ok(
            onWire !== undefined,
            `the capture holds knock ${r.sourcePort}/${r.sequence} and its answer`,
          );
          return r.rtt! - onWire;
        });
        const worst = Math.max(...offsets.map(Math.abs));
        t.diagnostic(`offsets from the wire: mean ${us(mean(offsets))}, worst ${us(worst)}`);
        const verdict = judgeWireOffsets(offsets, VS_WIRE_S);
        assert.ok(verdict.ok, `${verdict.explanation}; stamps missed: ${JSON.stringify(run.stampsMissed)}`);
      });
    }
  }
});
