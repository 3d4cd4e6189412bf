import { DEFAULT_TRACE, DEFAULT_TRACE_PORTS } from './defaults';
import { formatDuration } from './duration';
import {
  MAX_PORT,
  MAX_TRACE_FLOWS,
  MAX_TRACE_HOP_ADDRESSES,
  MAX_TRACE_HOPS,
  MAX_TRACE_PROBES,
  MAX_TRACE_SILENT_HOPS,
  MIN_PORT,
} from './limits';
import { type Field, quote, type Reader } from './reader';
import { integerValue, readDuration, readString } from './scalars';
import {
  builtIn,
  type PartialSettings,
  readBlock,
  type ReadValue,
  reportConflict,
  type Settings,
  valuesOf,
} from './setting';
import { checkTiming } from './timing';
import { TRACE_PROTOCOLS, type TraceProbeConfig, type TraceProtocol } from './types';

type TraceKey =
  | 'protocol'
  | 'port'
  | 'interval'
  | 'timeout'
  | 'max_hops'
  | 'flows'
  | 'probes'
  | 'max_silent_hops'
  | 'max_hop_addresses';

/**
 * The keys as written in YAML. Settings hold numbers: `protocol` holds its index in TRACE_PROTOCOLS.
 * `port` has no built-in value: unset, it follows the protocol (DEFAULT_TRACE_PORTS).
 */
export type TraceSettings = Settings<Exclude<TraceKey, 'port'>> & PartialSettings<'port'>;

const count = (value: number): ReturnType<typeof builtIn> => builtIn(value, String(value));

export const BUILT_IN_TRACE: TraceSettings = {
  protocol: builtIn(TRACE_PROTOCOLS.indexOf(DEFAULT_TRACE.protocol), DEFAULT_TRACE.protocol),
  interval: builtIn(DEFAULT_TRACE.interval, formatDuration(DEFAULT_TRACE.interval)),
  timeout: builtIn(DEFAULT_TRACE.timeout, formatDuration(DEFAULT_TRACE.timeout)),
  max_hops: count(DEFAULT_TRACE.maxHops),
  flows: count(DEFAULT_TRACE.flows),
  probes: count(DEFAULT_TRACE.probes),
  max_silent_hops: count(DEFAULT_TRACE.maxSilentHops),
  max_hop_addresses: count(DEFAULT_TRACE.maxHopAddresses),
};

const READERS: { readonly [K in TraceKey]: (r: Reader, field: Field) => ReadValue | undefined } = {
  protocol: readProtocol,
  port: integerValue(MIN_PORT, MAX_PORT),
  interval: readDuration,
  timeout: readDuration,
  max_hops: integerValue(1, MAX_TRACE_HOPS),
  flows: integerValue(1, MAX_TRACE_FLOWS),
  probes: integerValue(1, MAX_TRACE_PROBES),
  max_silent_hops: integerValue(1, MAX_TRACE_SILENT_HOPS),
  max_hop_addresses: integerValue(1, MAX_TRACE_HOP_ADDRESSES),
};

/** Reads a `trace` block (`defaults.trace` or a target's) over `base` and checks the merged values. */
export function readTrace(
  r: Reader,
  field: Field | undefined,
  layer: number,
  base: TraceSettings,
): TraceSettings {
  const trace = checkPort(r, layer, portFollowsProtocol(readBlock(r, field, layer, base, READERS)));
  // A trace run is whole rounds of probes: runs do not overlap, so its timeout stays within its interval.
  return checkTiming(r, layer, trace, 1);
}

/**
 * A port inherited from a less specific layer than the protocol was chosen for another protocol
 * (`defaults.trace: {protocol: tcp, port: 8443}` under a target's `protocol: udp`): it is dropped, and
 * the port defaults to that of the protocol the target asked for.
 */
function portFollowsProtocol(trace: TraceSettings): TraceSettings {
  const { port, protocol, ...rest } = trace;
  if (!port || !protocol || port.layer >= protocol.layer) return trace;
  return { ...rest, protocol };
}

/** ICMP echo has no port: one set alongside (or more specifically than) `protocol: icmp` is an error. */
function checkPort(r: Reader, layer: number, trace: TraceSettings): TraceSettings {
  const { port, protocol } = trace;
  if (!port || !protocol || TRACE_PROTOCOLS[protocol.value] !== 'icmp') return trace;
  reportConflict(r, layer, ['port', port], 'is not used by', ['protocol', protocol]);
  return { ...trace, port: null };
}

export function traceConfig(settings: TraceSettings): TraceProbeConfig | undefined {
  const { port, ...rest } = settings;
  const values = port !== null && valuesOf(rest);
  const protocol = values && TRACE_PROTOCOLS[values.protocol];
  if (!values || !protocol) return undefined;
  return {
    protocol,
    port: port ? port.value : DEFAULT_TRACE_PORTS[protocol],
    interval: values.interval,
    timeout: values.timeout,
    maxHops: values.max_hops,
    flows: values.flows,
    probes: values.probes,
    maxSilentHops: values.max_silent_hops,
    maxHopAddresses: values.max_hop_addresses,
  };
}

function readProtocol(r: Reader, field: Field): ReadValue | undefined {
  const text = readString(r, field);
  if (text === undefined) return undefined;
  const index = TRACE_PROTOCOLS.indexOf(text as TraceProtocol);
  if (index >= 0) return { value: index, text };
  r.report(field, `unknown protocol ${quote(text)}; expected one of: ${TRACE_PROTOCOLS.join(', ')}`);
  return undefined;
}
