import { isIP } from 'node:net';
import { DEFAULT_FAMILY, DEFAULT_MAX_ADDRESSES } from './defaults';
import { type Environment, readEnvString } from './env-string';
import { readLabels } from './labels';
import { MAX_TARGET_ADDRESSES } from './limits';
import { readKnock } from './knock';
import { pingConfig, readPing } from './ping';
import type { ProbeDefaults } from './probe-defaults';
import { type Entry, type Field, present, quote, type Reader } from './reader';
import { readInteger, readString } from './scalars';
import { TARGET_BLOCK } from './setting';
import { readTrace, traceConfig } from './trace';
import { TARGET_FAMILIES, type AllAddressesConfig, type TargetFamily, type TargetSettings } from './types';

/** The keys a target and a target group share. */
export const SETTING_KEYS = [
  'family',
  'labels',
  'addresses',
  'max_addresses',
  'exclude_addresses',
  'selection_key',
  'ping',
  'knock',
  'trace',
] as const;

const ADDRESS_MODES = ['first', 'all'] as const;

/** What every target's settings are read against. */
export interface SettingsContext {
  readonly defaults: ProbeDefaults;
  /** The top-level `labels`, under every target's own. */
  readonly labels: Readonly<Record<string, string>>;
  readonly env: Environment;
}

/**
 * The settings of a target or group from its entries; `host` checks the family against an IP
 * literal (a group's hosts are checked as their files are read). Undefined after reporting.
 */
export function readTargetSettings(
  r: Reader,
  field: Field,
  entries: ReadonlyMap<string, Entry>,
  context: SettingsContext,
  host: string | undefined,
): TargetSettings | undefined {
  const familyField = present(entries.get('family'));
  const family = familyField ? readFamily(r, familyField, host) : DEFAULT_FAMILY;
  const labelsField = present(entries.get('labels'));
  const own = labelsField ? readLabels(r, labelsField) : {};
  const allAddresses = readAddresses(r, field, entries, context.env);

  // A probe key enables that probe even when its value is empty.
  const pingEntry = entries.get('ping');
  const knockEntry = entries.get('knock');
  const traceEntry = entries.get('trace');
  if (!pingEntry && !knockEntry && !traceEntry) {
    r.report(field, 'target enables no probe: add `ping: {}`, `knock: { port: N }` or `trace: {}`');
    return undefined;
  }
  const { defaults } = context;
  const ping = pingEntry && pingConfig(readPing(r, pingEntry.value, TARGET_BLOCK, defaults.ping));
  const knock = knockEntry && readKnock(r, knockEntry.value, defaults.knock);
  const trace = traceEntry && traceConfig(readTrace(r, traceEntry.value, TARGET_BLOCK, defaults.trace));

  const probesValid = (!pingEntry || ping) && (!knockEntry || knock) && (!traceEntry || trace);
  if (family === undefined || !own || allAddresses === null || !probesValid) return undefined;
  return {
    family,
    labels: { ...context.labels, ...own },
    ...(allAddresses && { allAddresses }),
    ...(ping && { ping }),
    ...(knock && { knock }),
    ...(trace && { trace }),
  };
}

/** `addresses` and its companions: undefined for `first`, null after reporting a problem. */
function readAddresses(
  r: Reader,
  field: Field,
  entries: ReadonlyMap<string, Entry>,
  env: Environment,
): AllAddressesConfig | undefined | null {
  const modeField = present(entries.get('addresses'));
  const mode = modeField ? readString(r, modeField) : 'first';
  if (mode === undefined) return null;
  if (!ADDRESS_MODES.some((known) => known === mode)) {
    r.report(
      modeField ?? field,
      `unknown addresses ${quote(mode)}; expected one of: ${ADDRESS_MODES.join(', ')}`,
    );
    return null;
  }
  const maxField = present(entries.get('max_addresses'));
  const excludeField = present(entries.get('exclude_addresses'));
  const keyField = present(entries.get('selection_key'));
  if (mode === 'first') {
    const stray = [
      ['max_addresses', maxField],
      ['exclude_addresses', excludeField],
      ['selection_key', keyField],
    ] as const;
    let problem = false;
    for (const [key, value] of stray) {
      if (!value) continue;
      r.report(value, `${key} applies to \`addresses: all\` only: add that, or remove ${key}`);
      problem = true;
    }
    return problem ? null : undefined;
  }
  const max = maxField ? readInteger(r, maxField, 1, MAX_TARGET_ADDRESSES) : DEFAULT_MAX_ADDRESSES;
  const exclude = excludeField ? readExcluded(r, excludeField, env) : [];
  const keyText = keyField && readEnvString(r, keyField, env);
  // An address as key is written as the resolver writes addresses: it is compared with them.
  const selectionKey = keyText === undefined ? undefined : (canonicalAddress(keyText) ?? keyText);
  if (max === undefined || !exclude || (keyField && selectionKey === undefined)) return null;
  return { max, exclude, ...(selectionKey !== undefined && { selectionKey }) };
}

function readExcluded(r: Reader, field: Field, env: Environment): string[] | undefined {
  const items = r.seq(field);
  if (!items) return undefined;
  const addresses: string[] = [];
  let failed = false;
  for (const item of items) {
    const text = readEnvString(r, item, env);
    const address = text === undefined ? undefined : canonicalAddress(text);
    if (text !== undefined && address === undefined)
      r.report(item, `exclude_addresses takes IP addresses, got ${quote(text)}`);
    if (address === undefined) failed = true;
    else addresses.push(address);
  }
  return failed ? undefined : addresses;
}

/** An IP address as the resolver writes it (IPv6 compressed, lower case), or undefined. */
function canonicalAddress(text: string): string | undefined {
  const family = isIP(text);
  if (family === 4) return text;
  if (family === 6) return new URL(`http://[${text}]/`).hostname.slice(1, -1);
  return undefined;
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
  const problem = host === undefined ? undefined : familyProblem(family, host);
  if (problem) r.report(field, problem);
  return problem ? undefined : family;
}

/** Why `family` cannot probe `host`, an IP literal of the other family; undefined when it can. */
export function familyProblem(family: TargetFamily, host: string): string | undefined {
  const literal = isIP(host);
  if (literal === 0 || family === 'auto' || family === `ipv${literal}`) return undefined;
  const needs =
    family === 'dual' ? 'a DNS name with both A and AAAA records' : `an ${family.replace('ip', 'IP')} host`;
  return `family ${family} needs ${needs}, but host ${host} is an IPv${literal} address`;
}
