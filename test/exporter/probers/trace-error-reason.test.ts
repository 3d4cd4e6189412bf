import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TRACE_ERROR_REASONS, traceErrorReason } from '../../../exporter/probers/trace-error-reason';
import { PROBE_ERROR_CODES, ProbeError } from '../../../probes/errors';
import { PacketDecodeError } from '../../../probes/packet/errors';

/**
 * The labels users alert on today, written out by hand: changing one here is a breaking change of
 * netdiag_probe_errors_total{probe="trace"} and needs a release note, not a quiet edit.
 */
const PINNED: Record<string, string> = {
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

describe('the reason label of a trace round that could not run', () => {
  it('is pinned for every library code', () => {
    assert.deepEqual([...PROBE_ERROR_CODES].sort(), Object.keys(PINNED).sort());
    for (const code of PROBE_ERROR_CODES) {
      assert.equal(traceErrorReason(new ProbeError(code, 'x')), PINNED[code], code);
      assert.equal(TRACE_ERROR_REASONS[code], PINNED[code], code);
    }
  });

  it('is "error" for anything that is not a ProbeError', () => {
    assert.equal(traceErrorReason(new Error('boom')), 'error');
    assert.equal(
      traceErrorReason(new PacketDecodeError('ERR_PACKET_TRUNCATED', 'ipv4', 0, 'short')),
      'error',
    );
    assert.equal(traceErrorReason(Object.assign(new Error('x'), { code: 'ERR_CLOSED' })), 'error');
    assert.equal(traceErrorReason(undefined), 'error');
  });
});
