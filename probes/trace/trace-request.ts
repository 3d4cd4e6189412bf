import { ProbeError, invalidOption } from '../errors';
import { canonicalAddress, ipFamily, type IpFamily } from '../packet';

export type TraceProtocol = 'udp' | 'tcp' | 'icmp';

export interface TraceRequest {
  /** IPv4 or IPv6 literal (resolve names first). */
  addr: string;
  /** Default 'udp'. */
  protocol?: TraceProtocol;
  /**
   * Destination port: default 33434 for UDP (fixed for every probe, not incremented: a flow keeps
   * its 5-tuple), 443 for TCP (as the exporter's config); ignored by ICMP.
   */
  port?: number;
  /** Flows, each with its own 5-tuple (source port, or ICMP identifier); default 8, at most 256. */
  flows?: number;
  /** Last TTL / hop limit probed; default 30, at most 255. */
  maxHops?: number;
  /** First TTL probed; default 1. */
  firstHop?: number;
  /** Probes per flow per hop: a hop gets flows × probes; default 3, at most 10. */
  probes?: number;
  /** Seconds to wait for each probe's answer, counted from its send; default 1. */
  timeout?: number;
  /** Stop after this many consecutive hops without any answer; default 5. */
  maxSilentHops?: number;
  /** Hops (TTLs) probed at the same time; default 6. */
  parallelHops?: number;
  /**
   * UDP and TCP: the source port to try first for each flow, typically a previous result's
   * `sourcePorts`, so that flows keep their 5-tuples, hence their paths, from one trace to the next
   * (a load balancer then shows the same branches every round). A port that cannot be reserved
   * now is replaced by one the kernel picks. Default: all picked by the kernel.
   */
  sourcePorts?: readonly number[];
  signal?: AbortSignal;
}

/** A validated request. */
export interface TraceSpec {
  family: IpFamily;
  /** Canonical address. */
  destination: string;
  protocol: TraceProtocol;
  port: number;
  flows: number;
  maxHops: number;
  firstHop: number;
  probes: number;
  timeoutMs: number;
  maxSilentHops: number;
  parallelHops: number;
  /** Preferred source port per flow (0: the kernel's choice). */
  sourcePorts: number[];
}

export const DEFAULT_UDP_PORT = 33434;
export const DEFAULT_TCP_PORT = 443;

export function validateTraceRequest(request: TraceRequest): TraceSpec {
  const family = ipFamily(request.addr);
  if (family === 0) {
    throw new ProbeError(
      'ERR_INVALID_ADDRESS',
      `addr: "${request.addr}" is not an IP address (resolve names first)`,
    );
  }
  const protocol = request.protocol ?? 'udp';
  if (protocol !== 'udp' && protocol !== 'tcp' && protocol !== 'icmp') {
    throw invalidOption('protocol', protocol, '"udp", "tcp" or "icmp"');
  }
  const integer = (name: string, value: number, min: number, max: number): number => {
    if (!Number.isInteger(value) || value < min || value > max) {
      throw invalidOption(name, value, `an integer from ${min} to ${max}`);
    }
    return value;
  };
  const port = integer(
    'port',
    request.port ?? (protocol === 'tcp' ? DEFAULT_TCP_PORT : DEFAULT_UDP_PORT),
    1,
    0xffff,
  );
  const maxHops = integer('maxHops', request.maxHops ?? 30, 1, 255);
  const firstHop = integer('firstHop', request.firstHop ?? 1, 1, maxHops);
  const timeout = request.timeout ?? 1;
  if (!(timeout > 0) || !Number.isFinite(timeout)) throw invalidOption('timeout', timeout, 'seconds > 0');
  return {
    family,
    destination: canonicalAddress(request.addr),
    protocol,
    port,
    flows: integer('flows', request.flows ?? 8, 1, 256),
    maxHops,
    firstHop,
    probes: integer('probes', request.probes ?? 3, 1, 10),
    timeoutMs: timeout * 1000,
    maxSilentHops: integer('maxSilentHops', request.maxSilentHops ?? 5, 1, 255),
    parallelHops: integer('parallelHops', request.parallelHops ?? 6, 1, 255),
    sourcePorts: (request.sourcePorts ?? []).map((port, i) => integer(`sourcePorts[${i}]`, port, 0, 0xffff)),
  };
}
