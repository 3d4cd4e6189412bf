import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ExporterError } from '../../../exporter/errors';
import { createLogger, redactedErrorFields } from '../../../exporter/logging';
import { ProbeError } from '../../../probes/errors';

function capture(format: 'logfmt' | 'json'): { lines: string[]; log: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  const log = createLogger({
    format,
    rateLimit: false,
    now: () => new Date(0),
    write: (line) => lines.push(line),
  });
  return { lines, log };
}

const eacces = (): Error => Object.assign(new Error('Operation not permitted'), { code: 'EPERM' });

describe('log lines of errors', () => {
  it('carry the code and the cause chain next to the message (logfmt)', () => {
    const { lines, log } = capture('logfmt');
    const inner = new ProbeError('ERR_RAW_SOCKET_OPEN', 'cannot open a raw icmp socket', { cause: eacces() });
    log.error('reload failed', {
      err: new ExporterError('ERR_RELOAD_NEEDS_RESTART', 'restart it', { cause: inner }),
    });
    assert.deepEqual(lines, [
      'ts=1970-01-01T00:00:00.000Z level=error msg="reload failed" err="restart it" ' +
        'err_code=ERR_RELOAD_NEEDS_RESTART ' +
        'err_cause="ERR_RAW_SOCKET_OPEN cannot open a raw icmp socket: EPERM Operation not permitted"',
    ]);
  });

  it('carry them as fields of their own in JSON, the message unchanged', () => {
    const { lines, log } = capture('json');
    log.warn('cannot resolve target', {
      err: Object.assign(new Error('getaddrinfo ENOTFOUND x'), { code: 'ENOTFOUND' }),
    });
    assert.deepEqual(JSON.parse(lines[0]!), {
      ts: '1970-01-01T00:00:00.000Z',
      level: 'warn',
      msg: 'cannot resolve target',
      err: 'getaddrinfo ENOTFOUND x',
      err_code: 'ENOTFOUND',
    });
  });

  it('stay as they were for an error with neither code nor cause, and for fields that are not errors', () => {
    const { lines, log } = capture('logfmt');
    log.error('failed', { err: new Error('boom'), code: 'ERR_SHUTDOWN_STEP', step: 'http' });
    assert.deepEqual(lines, [
      'ts=1970-01-01T00:00:00.000Z level=error msg=failed err=boom code=ERR_SHUTDOWN_STEP step=http',
    ]);
  });

  it('end a cyclic or non-Error cause chain', () => {
    const { lines, log } = capture('logfmt');
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    a.cause = b;
    log.error('x', { err: a, other: new Error('o', { cause: 'a string' }) });
    assert.deepEqual(lines, [
      'ts=1970-01-01T00:00:00.000Z level=error msg=x err=a err_cause=b other=o other_cause="a string"',
    ]);
  });

  it('can be redacted by a call site, the causes too (credentials in a URL)', () => {
    const hide = (text: string): string => text.replaceAll('secret', '***');
    const cause = Object.assign(new Error('connect to http://u:secret@h'), { code: 'ECONNREFUSED' });
    assert.deepEqual(redactedErrorFields(new Error('push to http://u:secret@h failed', { cause }), hide), {
      err: 'push to http://u:***@h failed',
      err_cause: 'ECONNREFUSED connect to http://u:***@h',
    });
    assert.deepEqual(redactedErrorFields(Object.assign(new Error('x'), { code: 'E1' }), hide), {
      err: 'x',
      err_code: 'E1',
    });
    assert.deepEqual(redactedErrorFields('secret thrown as a string', hide), {
      err: '*** thrown as a string',
    });
  });
});
