import type { Netns } from '../lab';
import { cliPath } from './paths';

export interface CliPingRun {
  rtts: Array<number | null>;
  summary: { sent: number; received: number; loss: number; avg: number | null; stddev: number | null };
}

/** Runs `netdiag-exporter ping --json` inside a namespace and parses its lines. */
export async function cliPing(ns: Netns, addr: string, args: string[] = []): Promise<CliPingRun> {
  const { stdout } = await ns.exec(['node', cliPath, 'ping', addr, '--json', ...args], {
    timeoutMs: 120_000,
    check: false,
  });
  const lines = stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  const summary = lines.pop() as CliPingRun['summary'] | undefined;
  if (!summary || typeof summary.sent !== 'number') throw new Error(`no summary line in:\n${stdout}`);
  return { rtts: lines.map((line) => line.rtt as number | null), summary };
}
