import { isIP } from 'node:net';
import { hostMistake } from './host-mistake';
import { quote } from './reader';

const MAX_NAME_LENGTH = 253;
const MAX_LABEL_LENGTH = 63;
const LABEL_CHARACTER = /^[A-Za-z0-9_-]$/;

/** Why `host` is neither an IP literal nor a DNS name; undefined when it is one of them. */
export function hostProblem(host: string): string | undefined {
  if (isIP(host) !== 0) return undefined;
  const mistake = hostMistake(host);
  if (mistake) return `host ${quote(host)} ${mistake}`;
  // Nothing else has a colon, and a real DNS name never ends in an all-numeric label.
  if (host.includes(':')) return `host ${quote(host)} is not a valid IPv6 address`;
  if (/^[0-9.]+$/.test(host)) return `host ${quote(host)} is not a valid IPv4 address`;
  const name = host.endsWith('.') ? host.slice(0, -1) : host;
  const invalid = `host ${quote(host)} is not an IP address or DNS name`;
  if (name === '') return `${invalid}: it is empty`;
  if (name.length > MAX_NAME_LENGTH) return `${invalid}: it is longer than ${MAX_NAME_LENGTH} characters`;
  for (const label of name.split('.')) {
    if (label === '') return `${invalid}: it has an empty label`;
    if (label.length > MAX_LABEL_LENGTH) {
      return `${invalid}: it has a label of ${label.length} characters, more than ${MAX_LABEL_LENGTH}`;
    }
    const bad = [...label].find((character) => !LABEL_CHARACTER.test(character));
    if (bad !== undefined) return `${invalid}: it contains ${quote(bad)}`;
  }
  return undefined;
}
