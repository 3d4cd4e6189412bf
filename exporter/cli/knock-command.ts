import { isIP } from 'node:net';
import {
  Knocker,
  summarizeRtts,
  tcpFlagLetters,
  type BindOptions,
  type KnockResult,
  type RttSummary,
} from '../../probes';
import { usageError } from '../errors';
import type { Output } from './ping-command';
import { bindFlagFamily } from './bind-flag';
import { icmpErrorText } from './icmp-error-text';
import { resolveHost } from './resolve-host';
import { PROBE_OPTIONS, REPEAT_OPTIONS } from './probe-options';
import { parseFlags } from './parse-flags';

export const KNOCK_USAGE = `usage: netdiag-exporter knock HOST PORT [-c COUNT] [-i INTERVAL] [-W TIMEOUT] [-4|-6]
                              [--bind ADDR] [--interface IF] [--json]
  -c COUNT      SYNs to send (default: until interrupted)
  -i INTERVAL   seconds between SYNs (default 1)
  -W TIMEOUT    seconds to wait for each answer (default 1)
  -4, -6        resolve HOST to IPv4 / IPv6 only
  --bind ADDR   source address of the SYNs
  --interface IF  send through this interface
  --json        one JSON object per knock, then a summary object (times in seconds)
A SYN-ACK means the port is open (flags=SA), an RST that it is closed (flags=RA); no connection is
ever established: the local kernel resets every SYN-ACK. Exit code 0 if any answer came, 1 if none.`;

/** Bytes of our SYN: IP header, then the TCP header with a 4-byte MSS option. */
const SYN_TCP_BYTES = 24;

/** `netdiag-exporter knock`: hping3 -S-like output, or JSON lines. Returns the exit code. */
export async function knockCommand(argv: string[], out: Output, signal?: AbortSignal): Promise<number> {
  const { values, positionals } = parseFlags(
    {
      args: argv,
      allowPositionals: true,
      options: {
        ...REPEAT_OPTIONS,
        ...PROBE_OPTIONS,
      },
    },
    'netdiag-exporter knock --help',
  );
  const [host, portText, ...extra] = positionals;
  if (host === undefined || portText === undefined || extra.length > 0) {
    throw usageError(`knock takes a HOST and a PORT\n${KNOCK_USAGE}`);
  }
  const port = number('PORT', portText, { integer: true, min: 1, max: 65535 });
  if (values.ipv4 && values.ipv6) throw usageError('-4 and -6 exclude each other');
  const count = values.count === undefined ? Infinity : number('-c', values.count, { integer: true, min: 1 });
  const interval = values.interval === undefined ? 1 : number('-i', values.interval, { min: 0 });
  const timeout = values.timeout === undefined ? 1 : number('-W', values.timeout, { min: Number.MIN_VALUE });
  const bindFamily = await bindFlagFamily(values.bind);
  const family = values.ipv4 ? 4 : values.ipv6 ? 6 : bindFamily;

  const addr = await resolveHost(host, family);
  const bind: BindOptions = {};
  if (values.bind !== undefined) bind[bindFamily === 6 ? 'ipv6' : 'ipv4'] = values.bind;
  if (values.interface !== undefined) bind.interface = values.interface;

  const knocker = await Knocker.create({ bind });
  const ipHeader = isIP(addr) === 6 ? 40 : 20;
  const rtts: Array<number | null> = [];
  const states = { open: 0, closed: 0 };
  if (!values.json) {
    out.write(
      `KNOCK ${host} (${addr}) port ${port}: S set, ${ipHeader + SYN_TCP_BYTES} headers + 0 data bytes`,
    );
  }
  try {
    const request = { addr, port, count, interval, timeout, ...(signal && { signal }) };
    for await (const result of knocker.knockDetailed(request)) {
      rtts.push(result.rtt);
      if (result.state !== undefined) states[result.state]++;
      out.write(values.json ? jsonLine(result) : knockLine(addr, port, ipHeader, result));
    }
  } finally {
    await knocker.close();
  }
  const summary = summarizeRtts(rtts);
  if (values.json) out.write(JSON.stringify({ ...summary, ...states }));
  else for (const line of summaryLines(host, summary, states)) out.write(line);
  return summary.received > 0 ? 0 : 1;
}

function jsonLine(result: KnockResult): string {
  return JSON.stringify({
    seq: result.seq,
    rtt: result.rtt,
    state: result.state ?? null,
    sport: result.sourcePort,
    ...(result.ttl !== undefined && { ttl: result.ttl }),
    ...(result.failure !== undefined && result.failure.reason !== 'timeout' && { failure: result.failure }),
  });
}

/** As hping3 -S prints an answer: `sport` is the port that answered. */
function knockLine(addr: string, port: number, ipHeader: number, result: KnockResult): string {
  if (result.rtt !== null && result.flags !== undefined) {
    const len = result.bytes === undefined ? '' : `len=${ipHeader + result.bytes} `;
    const ttl = result.ttl === undefined ? '' : ` ttl=${result.ttl}`;
    return (
      `${len}ip=${addr}${ttl} sport=${port} flags=${tcpFlagLetters(result.flags)} seq=${result.seq}` +
      ` win=${result.window ?? 0} rtt=${(result.rtt * 1000).toFixed(1)} ms`
    );
  }
  const failure = result.failure;
  if (failure?.reason === 'unreachable') {
    const family = isIP(failure.from) === 6 ? 6 : 4;
    return `${icmpErrorText(family, failure.type, failure.code)} from ip=${failure.from} seq=${result.seq}`;
  }
  if (failure?.reason === 'send') return `seq=${result.seq}: send failed: ${failure.message}`;
  return `no answer from ${addr}: seq=${result.seq}`;
}

function summaryLines(host: string, s: RttSummary, states: { open: number; closed: number }): string[] {
  const lines = [
    '',
    `--- ${host} knock statistic ---`,
    `${s.sent} packets transmitted, ${s.received} packets received, ${round(s.loss * 100)}% packet loss` +
      ` (${states.open} open, ${states.closed} closed)`,
  ];
  if (s.min !== null && s.avg !== null && s.max !== null) {
    lines.push(`round-trip min/avg/max = ${ms(s.min)}/${ms(s.avg)}/${ms(s.max)} ms`);
  }
  return lines;
}

const ms = (seconds: number): string => (seconds * 1000).toFixed(1);
const round = (value: number): string => String(Math.round(value * 1000) / 1000);

function number(flag: string, text: string, rule: { integer?: boolean; min: number; max?: number }): number {
  const value = Number(text);
  const max = rule.max ?? Infinity;
  if (
    text.trim() === '' ||
    !Number.isFinite(value) ||
    value < rule.min ||
    value > max ||
    (rule.integer && !Number.isInteger(value))
  ) {
    const range =
      rule.min === Number.MIN_VALUE ? '> 0' : max === Infinity ? `>= ${rule.min}` : `in ${rule.min}..${max}`;
    throw usageError(`${flag}: "${text}" is not ${rule.integer ? 'an integer' : 'a number'} ${range}`);
  }
  return value;
}
