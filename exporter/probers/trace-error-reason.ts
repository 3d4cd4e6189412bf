import type { ProbeErrorCode } from '../../probes';
import { ProbeError } from '../../probes';

/**
 * The `reason` label of `netdiag_probe_errors_total{probe="trace"}` for a round that could not run,
 * one entry per library code. Written out rather than derived from the code, so that a code renamed
 * or added in the library cannot rename or add a label silently: the Record type makes a new code a
 * compile error here, and a test pins every label. The values are those users already alert on.
 */
export const TRACE_ERROR_REASONS: Readonly<Record<ProbeErrorCode, string>> = {
  ERR_RAW_SOCKET_PERMISSION: 'raw_socket_permission',
  ERR_RAW_SOCKET_OPEN: 'raw_socket_open',
  ERR_BIND_INTERFACE: 'bind_interface',
  ERR_BIND_ADDRESS: 'bind_address',
  ERR_INVALID_ADDRESS: 'invalid_address',
  ERR_INVALID_OPTION: 'invalid_option',
  ERR_IDENTIFIERS_EXHAUSTED: 'identifiers_exhausted',
  ERR_PORT_RESERVATION: 'port_reservation',
  ERR_SOURCE_ADDRESS: 'source_address',
  ERR_PROC_READ: 'proc_read',
  ERR_CLOSED: 'closed',
};

/** The label of any other error (a packet codec's, a bug): one value, not one per message. */
const OTHER_TRACE_ERROR_REASON = 'error';

/** The `reason` label of an error that stopped a trace round. */
export function traceErrorReason(error: unknown): string {
  return error instanceof ProbeError ? TRACE_ERROR_REASONS[error.code] : OTHER_TRACE_ERROR_REASON;
}
