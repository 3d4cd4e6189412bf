import { isIP } from 'node:net';
import { Pinger, summarizeRtts, type BindOptions, type PingResult, type RttSummary } from '../../probes';
import { usageError } from '../errors';
import { bindFlagFamily } from './bind-flag';
import { icmpErrorText } from './icmp-error-text';
import { resolveHost } from './resolve-host';
import { PROBE_OPTIONS, REPEAT_OPTIONS } from './probe-options';
import { parseFlags } from './parse-flags';

export const PING_USAGE = `usage: netdiag-exporter ping HOST [-c COUNT] [-i INTERVAL] [-W TIMEOUT] [-s SIZE] [-4|-6] [-q]
                             [--bind ADDR] [--interface IF] [--json]
  -c COUNT      requests to send (default: until interrupted)
  -i INTERVAL   seconds between requests (default 1)
  -W TIMEOUT    seconds to wait for each reply (default 1)
  -s SIZE       ICMP payload bytes (default 56)
  -4, -6        resolve HOST to IPv4 / IPv6 only
  --bind ADDR   source address of the requests
  --interface IF  send through this interface
  -q            print the summary only
  --json        one JSON object per probe, then a summary object (times in seconds)`;

export interface Output {
  write(line: string): void;
}

/** `netdiag-exporter ping`: iputils-like output, or JSON lines. Returns the exit code. */
export async function pingCommand(argv: string[], out: Output, signal?: AbortSignal): Promise<number> {
  const { values, positionals } = parseFlags(
    {
      args: argv,
      allowPositionals: true,
      options: {
        ...REPEAT_OPTIONS,
        size: { type: 'string', short: 's' },
        ...PROBE_OPTIONS,
        quiet: { type: 'boolean', short: 'q' },
      },
    },
    'netdiag-exporter ping --help',
  );
  const [host, ...extra] = positionals;
  if (host === undefined || extra.length > 0) throw usageError(`ping takes one HOST\n${PING_USAGE}`);
  if (values.ipv4 && values.ipv6) throw usageError('-4 and -6 exclude each other');
  const count = values.count === undefined ? Infinity : number('-c', values.count, { integer: true, min: 1 });
  const interval = values.interval === undefined ? 1 : number('-i', values.interval, { min: 0 });
  const timeout = values.timeout === undefined ? 1 : number('-W', values.timeout, { min: Number.MIN_VALUE });
  const size = values.size === undefined ? 56 : number('-s', values.size, { integer: true, min: 8 });
  const bindFamily = await bindFlagFamily(values.bind);
  const family = values.ipv4 ? 4 : values.ipv6 ? 6 : bindFamily;

  const addr = await resolveHost(host, family);
  const bind: BindOptions = {};
  if (values.bind !== undefined) bind[bindFamily === 6 ? 'ipv6' : 'ipv4'] = values.bind;
  if (values.interface !== undefined) bind.interface = values.interface;

  const pinger = await Pinger.create({ bind });
  const rtts: Array<number | null> = [];
  let errors = 0;
  const started = performance.now();
  const ipHeader = isIP(addr) === 6 ? 40 : 20;
  if (!values.json) out.write(`PING ${host} (${addr}) ${size}(${size + 8 + ipHeader}) bytes of data.`);
  try {
    const request = { addr, count, interval, timeout, size, ...(signal && { signal }) };
    for await (const result of pinger.pingDetailed(request)) {
      rtts.push(result.rtt);
      if (result.failure?.reason === 'unreachable') errors++;
      if (values.quiet) continue;
      out.write(
        values.json ? JSON.stringify({ seq: result.seq + 1, rtt: result.rtt }) : probeLine(addr, result),
      );
    }
  } finally {
    await pinger.close();
  }
  const summary = summarizeRtts(rtts);
  if (values.json) out.write(JSON.stringify(summary));
  else for (const line of summaryLines(host, summary, errors, performance.now() - started)) out.write(line);
  return summary.received > 0 ? 0 : 1;
}

function probeLine(addr: string, result: PingResult): string {
  const seq = result.seq + 1;
  if (result.rtt !== null) {
    const ttl = result.ttl === undefined ? '' : ` ttl=${result.ttl}`;
    return `${result.bytes} bytes from ${addr}: icmp_seq=${seq}${ttl} time=${ms(result.rtt)} ms`;
  }
  const failure = result.failure;
  if (failure?.reason === 'unreachable') {
    const family = isIP(failure.from) === 6 ? 6 : 4;
    return `From ${failure.from} icmp_seq=${seq} ${icmpErrorText(family, failure.type, failure.code)}`;
  }
  if (failure?.reason === 'send') return `icmp_seq=${seq}: send failed: ${failure.message}`;
  return `no answer from ${addr}: icmp_seq=${seq}`;
}

/** As iputils prints them, `+N errors` counting the requests answered by an ICMP error. */
function summaryLines(host: string, s: RttSummary, errors: number, elapsedMs: number): string[] {
  const lines = [
    '',
    `--- ${host} ping statistics ---`,
    `${s.sent} packets transmitted, ${s.received} received${errors > 0 ? `, +${errors} errors` : ''}, ` +
      `${round(s.loss * 100)}% packet loss, time ${Math.round(elapsedMs)}ms`,
  ];
  if (s.min !== null && s.avg !== null && s.max !== null && s.stddev !== null) {
    lines.push(`rtt min/avg/max/mdev = ${ms(s.min)}/${ms(s.avg)}/${ms(s.max)}/${ms(s.stddev)} ms`);
  }
  return lines;
}

const ms = (seconds: number): string => (seconds * 1000).toFixed(3);
const round = (value: number): string => String(Math.round(value * 1000) / 1000);

function number(flag: string, text: string, rule: { integer?: boolean; min: number }): number {
  const value = Number(text);
  if (
    text.trim() === '' ||
    !Number.isFinite(value) ||
    value < rule.min ||
    (rule.integer && !Number.isInteger(value))
  ) {
    throw usageError(
      `${flag}: "${text}" is not ${rule.integer ? 'an integer' : 'a number'} >= ${rule.min === Number.MIN_VALUE ? '0 (exclusive)' : rule.min}`,
    );
  }
  return value;
}
