import { isIP } from 'node:net';
import { isSeq } from 'yaml';
import { DEFAULT_FAMILY } from './defaults';
import { hostProblem } from './host';
import { readLabels } from './labels';
import { MAX_TARGET_NAME_LENGTH, MAX_TARGETS } from './limits';
import { readKnock } from './knock';
import { pingConfig, readPing } from './ping';
import type { ProbeDefaults } from './probe-defaults';
import { type Field, present, quote, type Reader } from './reader';
import { readString } from './scalars';
import { TARGET_BLOCK } from './setting';
import { readTrace, traceConfig } from './trace';
import { TARGET_FAMILIES, type TargetConfig, type TargetFamily } from './types';

const TARGET_KEYS = ['name', 'host', 'family', 'labels', 'ping', 'knock', 'trace'] as const;
const REQUIRED_KEYS = ['name', 'host'] as const;

/** Reads `targets`; a missing or null list is an empty one. */
export function readTargets(
  r: Reader,
  field: Field | undefined,
  defaults: ProbeDefaults,
): TargetConfig[] | undefined {
  const count = field && isSeq(field.node) ? field.node.items.length : 0;
  if (field && count > MAX_TARGETS) {
    // Refused whole, before any target is read: one error rather than one (or more) per target.
    r.report(
      field,
      `${count} targets: the limit is ${MAX_TARGETS} per file: split the list across several exporters, each with its own file`,
    );
    return undefined;
  }
  const items = field ? r.seq(field) : [];
  if (!items) return undefined;
  const names = new Map<string, Field>();
  const targets = items.map((item) => readTarget(r, item, defaults, names));
  return targets.every((target) => target !== undefined) ? (targets as TargetConfig[]) : undefined;
}

function readTarget(
  r: Reader,
  field: Field,
  defaults: ProbeDefaults,
  names: Map<string, Field>,
): TargetConfig | undefined {
  const entries = r.map(field, TARGET_KEYS);
  if (!entries) return undefined;
  for (const key of REQUIRED_KEYS) {
    if (!entries.has(key)) r.report(field, `missing required key "${key}"`);
  }
  const nameField = entries.get('name')?.value;
  const name = nameField && readName(r, nameField, names);
  const hostField = entries.get('host')?.value;
  const host = hostField && readHost(r, hostField);
  const familyField = present(entries.get('family'));
  const family = familyField ? readFamily(r, familyField, host) : DEFAULT_FAMILY;
  const labelsField = present(entries.get('labels'));
  const labels = labelsField ? readLabels(r, labelsField) : {};

  // A probe key enables that probe even when its value is empty.
  const pingEntry = entries.get('ping');
  const knockEntry = entries.get('knock');
  const traceEntry = entries.get('trace');
  if (!pingEntry && !knockEntry && !traceEntry) {
    r.report(field, 'target enables no probe: add `ping: {}`, `knock: { port: N }` or `trace: {}`');
    return undefined;
  }
  const ping = pingEntry && pingConfig(readPing(r, pingEntry.value, TARGET_BLOCK, defaults.ping));
  const knock = knockEntry && readKnock(r, knockEntry.value, defaults.knock);
  const trace = traceEntry && traceConfig(readTrace(r, traceEntry.value, TARGET_BLOCK, defaults.trace));

  const probesValid = (!pingEntry || ping) && (!knockEntry || knock) && (!traceEntry || trace);
  if (name === undefined || host === undefined || family === undefined || !labels || !probesValid)
    return undefined;
  return {
    name,
    host,
    family,
    labels,
    ...(ping && { ping }),
    ...(knock && { knock }),
    ...(trace && { trace }),
  };
}

function readName(r: Reader, field: Field, names: Map<string, Field>): string | undefined {
  const name = readString(r, field);
  if (name === undefined) return undefined;
  const length = [...name].length;
  if (length === 0 || length > MAX_TARGET_NAME_LENGTH) {
    r.report(field, `target name must be 1 to ${MAX_TARGET_NAME_LENGTH} characters long, got ${length}`);
    return undefined;
  }
  const first = names.get(name);
  if (first) {
    r.report(field, `duplicate target name ${quote(name)} (first at line ${r.line(first.offset)})`);
    return undefined;
  }
  names.set(name, field);
  return name;
}

function readHost(r: Reader, field: Field): string | undefined {
  const host = readString(r, field);
  const problem = host === undefined ? undefined : hostProblem(host);
  if (problem) r.report(field, problem);
  return problem ? undefined : host;
}

/** The family; an IP literal host can only be probed in its own family. */
function readFamily(r: Reader, field: Field, host: string | undefined): TargetFamily | undefined {
  const text = readString(r, field);
  if (text === undefined) return undefined;
  const family = TARGET_FAMILIES.find((known) => known === text);
  if (!family) {
    r.report(field, `unknown family ${quote(text)}; expected one of: ${TARGET_FAMILIES.join(', ')}`);
    return undefined;
  }
  const literal = host === undefined ? 0 : isIP(host);
  if (literal === 0 || family === 'auto' || family === `ipv${literal}`) return family;
  const needs =
    family === 'dual' ? 'a DNS name with both A and AAAA records' : `an ${family.replace('ip', 'IP')} host`;
  r.report(field, `family ${family} needs ${needs}, but host ${host} is an IPv${literal} address`);
  return undefined;
}
