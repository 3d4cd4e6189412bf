import { isIPv4, isIPv6 } from 'node:net';
import { present, quote, type Field, type Reader } from './reader';
import { readString } from './scalars';
import type { BindConfig } from './types';

const BIND_KEYS = ['ipv4', 'ipv6', 'interface'] as const;

/** Linux: shorter than IFNAMSIZ (16), not `.` or `..`, no `/`, `:` or white space. */
function interfaceNameProblem(name: string): string | undefined {
  const invalid = `interface name ${quote(name)}`;
  if (name === '' || name.length > 15) return `${invalid} must be 1 to 15 characters long`;
  if (name === '.' || name === '..' || /[/:\s]/.test(name)) return `${invalid} is not valid on Linux`;
  return undefined;
}

/** Reads the `bind` block; unset keys are left out. */
export function readBind(r: Reader, field: Field | undefined): BindConfig {
  const entries = field && r.map(field, BIND_KEYS);
  const bind: { -readonly [K in keyof BindConfig]: BindConfig[K] } = {};
  const ipv4 = present(entries?.get('ipv4'));
  const ipv6 = present(entries?.get('ipv6'));
  const device = present(entries?.get('interface'));
  const ipv4Address = ipv4 && readAddress(r, ipv4, 4);
  const ipv6Address = ipv6 && readAddress(r, ipv6, 6);
  if (ipv4Address !== undefined) bind.ipv4 = ipv4Address;
  if (ipv6Address !== undefined) bind.ipv6 = ipv6Address;
  if (device) {
    const name = readString(r, device);
    const problem = name === undefined ? undefined : interfaceNameProblem(name);
    if (problem) r.report(device, problem);
    else if (name !== undefined) bind.interface = name;
  }
  return bind;
}

function readAddress(r: Reader, field: Field, family: 4 | 6): string | undefined {
  const address = readString(r, field);
  if (address === undefined) return undefined;
  const [wanted, other] = family === 4 ? [isIPv4, isIPv6] : [isIPv6, isIPv4];
  if (wanted(address)) return address;
  const otherFamily = family === 4 ? 6 : 4;
  r.report(
    field,
    other(address)
      ? `${address} is an IPv${otherFamily} address; it belongs in bind.ipv${otherFamily}`
      : `${quote(address)} is not an IPv${family} address`,
  );
  return undefined;
}
