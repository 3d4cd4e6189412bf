import {
  Tracer,
  validateTraceRequest,
  type BindOptions,
  type HopResponder,
  type TraceHop,
  type TraceProtocol,
  type TraceResult,
} from '../../probes';
import { usageError } from '../errors';
import { bindFlagFamily } from './bind-flag';
import { resolveHost } from './resolve-host';
import { PROBE_OPTIONS } from './probe-options';
import { parseFlags } from './parse-flags';

export const TRACE_USAGE = `usage: netdiag-exporter trace HOST [--protocol udp|tcp|icmp] [--port N] [--confidence C] [--max-flows N]
                              [--flows N [-q PROBES]] [--max-hops N] [-w TIMEOUT] [-4|-6] [--json]
                              [--bind ADDR] [--interface IF]
  --protocol P    udp (default), tcp (SYN) or icmp (echo)
  --port N        destination port: UDP 33434, TCP 443 by default (fixed for every probe)
  --confidence C  multipath detection (MDA): confidence that each hop's next hops were all found,
                  0.5 to 0.99 (default 0.95)
  --max-flows N   MDA: flows (source ports / ICMP identifiers) the trace may use in all (default 128)
  --flows N       fixed flows instead of the MDA: every flow probed at every hop
  --max-hops N    last TTL probed (default 30)
  -q PROBES       with --flows: probes per flow per hop (default 3)
  -w TIMEOUT      seconds to wait for each probe's answer (default 1)
  -4, -6          resolve HOST to IPv4 / IPv6 only
  --bind ADDR     source address of the probes
  --interface IF  send through this interface
  --json          print the whole result as one JSON object (times in seconds)
Each line: TTL, every address that answered at that hop with its mean RTT and number of answers,
then the hop's loss ("(N not sent)": probes the kernel refused, counted as lost), and with the MDA the
probes the hop took ("short": max-flows stopped it before the confidence was reached). !H !N !P !X !U
mark ICMP unreachables from a node other than the destination. The last line: distinct paths, probes
sent, and the confidence. --json prints the result with the same (probes, mda.confidence, mda.complete).`;

export interface Output {
  write(line: string): void;
}

/** `netdiag-exporter trace`: traceroute -n like lines, or JSON. Returns 0 if the destination answered, else 1. */
export async function traceCommand(argv: string[], out: Output, signal?: AbortSignal): Promise<number> {
  const { values, positionals } = parseFlags(
    {
      args: argv,
      allowPositionals: true,
      options: {
        protocol: { type: 'string' },
        port: { type: 'string' },
        flows: { type: 'string' },
        confidence: { type: 'string' },
        'max-flows': { type: 'string' },
        'max-hops': { type: 'string' },
        probes: { type: 'string', short: 'q' },
        timeout: { type: 'string', short: 'w' },
        ...PROBE_OPTIONS,
      },
    },
    'netdiag-exporter trace --help',
  );
  const [host, ...extra] = positionals;
  if (host === undefined || extra.length > 0) throw usageError(`trace takes one HOST\n${TRACE_USAGE}`);
  if (values.ipv4 && values.ipv6) throw usageError('-4 and -6 exclude each other');
  const protocol = (values.protocol ?? 'udp') as TraceProtocol;
  if (!['udp', 'tcp', 'icmp'].includes(protocol)) {
    throw usageError(`--protocol: "${protocol}" is not udp, tcp or icmp`);
  }
  const optional = (flag: string, text: string | undefined, min: number, max: number): number | undefined =>
    text === undefined ? undefined : integer(flag, text, min, max);
  const port = optional('--port', values.port, 1, 65535);
  const flows = optional('--flows', values.flows, 1, 256);
  const maxFlows = optional('--max-flows', values['max-flows'], 1, 1024);
  const confidence = values.confidence === undefined ? undefined : Number(values.confidence);
  if (confidence !== undefined && !(confidence >= 0.5 && confidence <= 0.99)) {
    throw usageError(`--confidence: "${values.confidence}" is not a number from 0.5 to 0.99`);
  }
  if (flows !== undefined && (confidence !== undefined || maxFlows !== undefined)) {
    throw usageError('--flows (fixed flows) excludes --confidence and --max-flows (the MDA)');
  }
  if (flows === undefined && values.probes !== undefined) {
    throw usageError('-q applies to fixed flows: add --flows N (the MDA sends one probe per flow and hop)');
  }
  const maxHops = optional('--max-hops', values['max-hops'], 1, 255);
  const probes = optional('-q', values.probes, 1, 10);
  const timeout = values.timeout === undefined ? 1 : Number(values.timeout);
  if (values.timeout !== undefined && !(timeout > 0 && Number.isFinite(timeout))) {
    throw usageError(`-w: "${values.timeout}" is not a number of seconds > 0`);
  }
  const bindFamily = await bindFlagFamily(values.bind);
  const family = values.ipv4 ? 4 : values.ipv6 ? 6 : bindFamily;

  const addr = await resolveHost(host, family);
  const bind: BindOptions = {};
  if (values.bind !== undefined) bind[bindFamily === 6 ? 'ipv6' : 'ipv4'] = values.bind;
  if (values.interface !== undefined) bind.interface = values.interface;
  const request = {
    addr,
    protocol,
    timeout,
    ...(port !== undefined && { port }),
    ...(flows !== undefined && { flows }),
    ...(confidence !== undefined && { confidence }),
    ...(maxFlows !== undefined && { maxFlows }),
    ...(maxHops !== undefined && { maxHops }),
    ...(probes !== undefined && { probes }),
    ...(signal && { signal }),
  };
  const spec = validateTraceRequest(request);

  const tracer = await Tracer.create({ bind });
  if (!values.json) {
    const what = protocol === 'icmp' ? 'icmp echo' : `${protocol} port ${spec.port}`;
    const how = spec.mda
      ? `MDA at ${percent(spec.mda.confidence)} confidence, up to ${spec.flows} flows`
      : `${spec.flows} flows x ${spec.probes} probes`;
    out.write(`traceroute to ${host} (${addr}), ${spec.maxHops} hops max, ${what}, ${how}`);
  }
  let result: TraceResult;
  try {
    result = await tracer.trace(request, (hop) => {
      if (!values.json) out.write(hopLine(hop));
    });
  } finally {
    await tracer.close();
  }
  if (values.json) out.write(JSON.stringify(result));
  else if (result.mda) {
    const complete = result.mda.complete ? '' : `; max-flows ${spec.flows} reached before it at some hop`;
    out.write(
      `${result.paths.length} distinct path${result.paths.length === 1 ? '' : 's'}, ${result.probes} probes, ` +
        `${percent(result.mda.confidence)} confidence${complete} (path set ${result.pathSetHash})`,
    );
  } else if (result.paths.length > 1) {
    out.write(
      `${result.paths.length} distinct paths over ${spec.flows} flows (path set ${result.pathSetHash})`,
    );
  }
  return result.reached ? 0 : 1;
}

function percent(ratio: number): string {
  return `${Math.round(ratio * 10000) / 100}%`;
}

/** ` 3  10.0.3.2  0.412 ms (12)  10.0.4.2  0.398 ms (12)  loss 0%` */
export function hopLine(hop: TraceHop): string {
  const ttl = String(hop.ttl).padStart(2);
  const responders = hop.responders.map(responderText);
  const answers = responders.length === 0 ? '*' : responders.join('  ');
  const refused = hop.sendFailures > 0 ? ` (${hop.sendFailures} not sent)` : '';
  const late = hop.late > 0 ? ` (${hop.late} answered after the timeout)` : '';
  const probes = hop.complete === undefined ? '' : `  ${hop.sent} probes${hop.complete ? '' : ' short'}`;
  return `${ttl}  ${answers}  loss ${Math.round(hop.loss * 1000) / 10}%${refused}${late}${probes}`;
}

function responderText(responder: HopResponder): string {
  const mean = responder.rtts.reduce((sum, rtt) => sum + rtt, 0) / responder.rtts.length;
  const mark = responder.kind === 'unreachable' ? ` ${unreachableMark(responder.icmp)}` : '';
  return `${responder.address}  ${(mean * 1000).toFixed(3)} ms (${responder.rtts.length})${mark}`;
}

/** traceroute's marks: !H host, !N network, !P protocol, !X administratively prohibited. */
function unreachableMark(icmp: { type: number; code: number } | undefined): string {
  if (icmp === undefined) return '!';
  const v4 = icmp.type === 3;
  if (v4)
    return (
      ({ 0: '!N', 1: '!H', 2: '!P', 9: '!X', 10: '!X', 13: '!X' } as Record<number, string>)[icmp.code] ??
      `!<${icmp.code}>`
    );
  if (icmp.type === 1)
    return (
      ({ 0: '!N', 1: '!X', 3: '!H', 5: '!X', 6: '!X' } as Record<number, string>)[icmp.code] ??
      `!<${icmp.code}>`
    );
  return `!<${icmp.type}/${icmp.code}>`;
}

function integer(flag: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isInteger(value) || value < min || value > max) {
    throw usageError(`${flag}: "${text}" is not an integer from ${min} to ${max}`);
  }
  return value;
}
