import { CodedError } from './coded-error';

/**
 * Stable codes of every error the probes library throws. Codes never change once released: users
 * and their log searches depend on them, and the exporter maps each to a metric label explicitly.
 * Every code is documented in docs/errors.md (a test fails when one is missing there).
 */
export const PROBE_ERROR_CODES = [
  'ERR_RAW_SOCKET_PERMISSION',
  'ERR_RAW_SOCKET_OPEN',
  'ERR_BIND_INTERFACE',
  'ERR_BIND_ADDRESS',
  'ERR_INVALID_ADDRESS',
  'ERR_INVALID_OPTION',
  'ERR_IDENTIFIERS_EXHAUSTED',
  'ERR_PORT_RESERVATION',
  'ERR_SOURCE_ADDRESS',
  'ERR_PROC_READ',
  'ERR_CLOSED',
] as const;

export type ProbeErrorCode = (typeof PROBE_ERROR_CODES)[number];

export class ProbeError extends CodedError<ProbeErrorCode> {
  override readonly name = 'ProbeError';
}

const GRANT_HINT =
  'run as root, or grant the capability to node: `setcap cap_net_raw+ep "$(readlink -f "$(command -v node)")"`; ' +
  'in Kubernetes add NET_RAW to securityContext.capabilities.add';

export function rawSocketPermissionError(what: string, cause: unknown): ProbeError {
  return new ProbeError(
    'ERR_RAW_SOCKET_PERMISSION',
    `opening a raw ${what} socket needs root or CAP_NET_RAW: ${GRANT_HINT}`,
    { cause },
  );
}

export function invalidOption(name: string, value: unknown, expected: string): ProbeError {
  return new ProbeError('ERR_INVALID_OPTION', `${name}: got ${JSON.stringify(value)}, expected ${expected}`);
}
