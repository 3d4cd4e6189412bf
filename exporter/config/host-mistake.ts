import { isIP } from 'node:net';

/**
 * A common mistake in a host field, named: a URL, a port after the host, or an IPv6 address in
 * brackets, each of which would otherwise read as a malformed IPv6 address (they contain a colon).
 * Returns the rest of a sentence whose subject is the host ("has a port where a host is expected:
 * write "10.0.0.1" alone"), with the host to write instead in double quotes so that public
 * messages can hide it; undefined when `host` is none of these. Imports nothing of the config
 * reader, so that the one-shot CLI commands can use it without loading YAML.
 */
export function hostMistake(host: string): string | undefined {
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(host)) {
    const inner = urlHost(host);
    return `is a URL where a host is expected${inner ? `: write ${JSON.stringify(inner)} alone` : ''}`;
  }
  const bracketed = /^\[([^\]]*)\](?::(\d*))?$/.exec(host);
  if (bracketed) {
    const [, inner = '', port] = bracketed;
    const write = isIP(inner) === 6 ? `: write ${JSON.stringify(inner)} alone` : '';
    return port === undefined
      ? `is in brackets, which belong only in a URL or an address with a port${write}`
      : `has a port where a host is expected${write}`;
  }
  // One colon followed by a port number: an IPv4 address or a name with a port (IPv6 has two or more).
  const withPort = /^([^:]+):(\d*)$/.exec(host);
  if (withPort) return `has a port where a host is expected: write ${JSON.stringify(withPort[1])} alone`;
  return undefined;
}

function urlHost(text: string): string | undefined {
  try {
    const { hostname } = new URL(text);
    const inner = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
    return inner === '' ? undefined : inner;
  } catch {
    return undefined;
  }
}
