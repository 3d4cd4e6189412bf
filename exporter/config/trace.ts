import { DEFAULT_TRACE, DEFAULT_TRACE_PORTS } from './defaults';
import { formatDuration } from './duration';
import {
  MAX_PORT,
  MAX_TRACE_CONFIDENCE,
  MAX_TRACE_FLOWS,
  MAX_TRACE_HOP_ADDRESSES,
  MAX_TRACE_MAX_FLOWS,
  MAX_TRACE_HOPS,
  MAX_TRACE_PROBES,
  MAX_TRACE_SILENT_HOPS,
  MIN_PORT,
  MIN_TRACE_CONFIDENCE,
  MAX_TRACE_PACING,
} from './limits';
import { type Field, quote, type Reader } from './reader';
import { integerValue, readDuration, readNumber, readString } from './scalars';
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
  | 'confidence'
  | 'max_flows'
  | 'probes'
  | 'max_silent_hops'
  | 'max_hop_addresses'
  | 'pacing';

/**
 * The keys as written in YAML. Settings hold numbers: `protocol` holds its index in TRACE_PROTOCOLS.
 * `port` has no built-in value: unset, it follows the protocol (DEFAULT_TRACE_PORTS). Nor has
 * `flows`: set, it asks for fixed flows; unset, the MDA (`confidence`, `max_flows`) picks them.
 */
export type TraceSettings = Settings<Exclude<TraceKey, 'port' | 'flows'>> & PartialSettings<'port' | 'flows'>;

/**
 * A confidence is held in its setting as an integer of basis points (0.95: 9500): settings' values
 * stay small integers, as V8 keeps them, so a target's serialized form (the key of an unchanged target
 * between two loads, config-transfer.ts) does not depend on a double having been seen in the field.
 */
const BASIS_POINTS = 10_000;

function toBasisPoints(confidence: number): number {
  return Math.round(confidence * BASIS_POINTS);
}

const count = (value: number): ReturnType<typeof builtIn> => builtIn(value, String(value));

export const BUILT_IN_TRACE: TraceSettings = {
  protocol: builtIn(TRACE_PROTOCOLS.indexOf(DEFAULT_TRACE.protocol), DEFAULT_TRACE.protocol),
  interval: builtIn(DEFAULT_TRACE.interval, formatDuration(DEFAULT_TRACE.interval)),
  timeout: builtIn(DEFAULT_TRACE.timeout, formatDuration(DEFAULT_TRACE.timeout)),
  max_hops: count(DEFAULT_TRACE.maxHops),
  confidence: builtIn(toBasisPoints(DEFAULT_TRACE.confidence), String(DEFAULT_TRACE.confidence)),
  max_flows: count(DEFAULT_TRACE.maxFlows),
  probes: count(DEFAULT_TRACE.probes),
  max_silent_hops: count(DEFAULT_TRACE.maxSilentHops),
  max_hop_addresses: count(DEFAULT_TRACE.maxHopAddresses),
  pacing: builtIn(toBasisPoints(DEFAULT_TRACE.pacing), String(DEFAULT_TRACE.pacing)),
};

const READERS: { readonly [K in TraceKey]: (r: Reader, field: Field) => ReadValue | undefined } = {
  protocol: readProtocol,
  port: integerValue(MIN_PORT, MAX_PORT),
  interval: readDuration,
  timeout: readDuration,
  max_hops: integerValue(1, MAX_TRACE_HOPS),
  flows: integerValue(1, MAX_TRACE_FLOWS),
  confidence: readConfidence,
  max_flows: integerValue(1, MAX_TRACE_MAX_FLOWS),
  probes: integerValue(1, MAX_TRACE_PROBES),
  max_silent_hops: integerValue(1, MAX_TRACE_SILENT_HOPS),
  max_hop_addresses: integerValue(1, MAX_TRACE_HOP_ADDRESSES),
  pacing: readPacing,
};

/** Reads a `trace` block (`defaults.trace` or a target's) over `base` and checks the merged values. */
export function readTrace(
  r: Reader,
  field: Field | undefined,
  layer: number,
  base: TraceSettings,
): TraceSettings {
  const read = readBlock(r, field, layer, base, READERS);
  const trace = checkMaxFlows(r, layer, flowsOrMda(r, layer, checkPort(r, layer, portFollowsProtocol(read))));
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

/**
 * Fixed flows or the MDA, whichever was asked for more specifically: `flows` in `defaults.trace`
 * under a target's `confidence`, `max_flows` or `pacing` gives that target the MDA, and the other way round.
 * Both in one block is an error: the MDA keys are not used with fixed flows.
 */
function flowsOrMda(r: Reader, layer: number, trace: TraceSettings): TraceSettings {
  const { flows, ...mda } = trace;
  if (!flows) return trace;
  let fixed = true;
  for (const key of ['confidence', 'max_flows', 'pacing'] as const) {
    const setting = mda[key];
    if (!setting || setting.layer < flows.layer || setting.field === undefined) continue;
    if (setting.layer > flows.layer) fixed = false;
    else reportConflict(r, layer, [key, setting], 'is not used with', ['flows', flows]);
  }
  return fixed ? trace : mda;
}

/**
 * n_2 of the MDA's stopping rule, ⌈ln(α/2) / ln(1/2)⌉: the flows a hop of one router needs (6 at 95 %).
 * The library's stoppingPoint(2, confidence) (probes/trace/mda/stopping-points.ts); computed here, as
 * the config is read on worker threads that must not load the probes' native sockets (a test checks
 * the two agree).
 */
export function flowsForOneRouter(confidence: number): number {
  return Math.ceil(Math.log((1 - confidence) / 2) / Math.log(1 / 2) - 1e-9);
}

/** The MDA needs n_2 flows at a hop of one router: a smaller max_flows could not trace one. */
function checkMaxFlows(r: Reader, layer: number, trace: TraceSettings): TraceSettings {
  const { flows, confidence, max_flows: maxFlows } = trace;
  if (flows || !confidence || !maxFlows) return trace;
  const needed = flowsForOneRouter(confidence.value / BASIS_POINTS);
  if (maxFlows.value >= needed) return trace;
  reportConflict(r, layer, ['max_flows', maxFlows], `is below the ${needed} flows a hop needs at`, [
    'confidence',
    confidence,
  ]);
  return { ...trace, max_flows: null };
}

export function traceConfig(settings: TraceSettings): TraceProbeConfig | undefined {
  const { port, flows, ...rest } = settings;
  const values = port !== null && flows !== null && valuesOf(rest);
  const protocol = values && TRACE_PROTOCOLS[values.protocol];
  if (!values || !protocol) return undefined;
  return {
    protocol,
    port: port ? port.value : DEFAULT_TRACE_PORTS[protocol],
    interval: values.interval,
    timeout: values.timeout,
    maxHops: values.max_hops,
    ...(flows && { flows: flows.value }),
    confidence: values.confidence / BASIS_POINTS,
    maxFlows: values.max_flows,
    probes: values.probes,
    maxSilentHops: values.max_silent_hops,
    maxHopAddresses: values.max_hop_addresses,
    pacing: values.pacing / BASIS_POINTS,
  };
}

function readConfidence(r: Reader, field: Field): ReadValue | undefined {
  const value = readNumber(r, field);
  if (value === undefined) return undefined;
  if (
    value >= MIN_TRACE_CONFIDENCE &&
    value <= MAX_TRACE_CONFIDENCE &&
    toBasisPoints(value) / BASIS_POINTS === value
  )
    return { value: toBasisPoints(value), text: String(value) };
  if (value >= MIN_TRACE_CONFIDENCE && value <= MAX_TRACE_CONFIDENCE) {
    r.report(field, `must have at most 4 decimals, got ${value}`);
    return undefined;
  }
  r.report(field, `must be a number from ${MIN_TRACE_CONFIDENCE} to ${MAX_TRACE_CONFIDENCE}, got ${value}`);
  return undefined;
}

function readPacing(r: Reader, field: Field): ReadValue | undefined {
  const value = readNumber(r, field);
  if (value === undefined) return undefined;
  if (value >= 0 && value <= MAX_TRACE_PACING && toBasisPoints(value) / BASIS_POINTS === value)
    return { value: toBasisPoints(value), text: String(value) };
  r.report(
    field,
    value >= 0 && value <= MAX_TRACE_PACING
      ? `must have at most 4 decimals, got ${value}`
      : `must be a share of the interval from 0 (off) to ${MAX_TRACE_PACING}, got ${value}`,
  );
  return undefined;
}

function readProtocol(r: Reader, field: Field): ReadValue | undefined {
  const text = readString(r, field);
  if (text === undefined) return undefined;
  const index = TRACE_PROTOCOLS.indexOf(text as TraceProtocol);
  if (index >= 0) return { value: index, text };
  r.report(field, `unknown protocol ${quote(text)}; expected one of: ${TRACE_PROTOCOLS.join(', ')}`);
  return undefined;
}
