import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ExporterError } from '../../../exporter/errors';
import { loadErrorOf, loadFailureOf } from '../../../exporter/config/load-worker-protocol';
import { withErrorDetails } from '../../../exporter/logging';

/** What the main thread receives of `error` thrown in the worker: through the structured clone of postMessage. */
const acrossThreads = (error: unknown) => loadErrorOf(structuredClone(loadFailureOf(error)));

describe('config worker failures crossing the thread', () => {
  it("keep the worker error's code as the cause of ERR_CONFIG_LOAD (a plain clone keeps only message and stack)", () => {
    const thrown = Object.assign(new Error('Cannot allocate memory'), { code: 'ENOMEM' });
    const error = acrossThreads(thrown);
    assert.equal(error.code, 'ERR_CONFIG_LOAD');
    assert.equal(error.message, 'config worker: Cannot allocate memory');
    assert.equal((error.cause as NodeJS.ErrnoException).code, 'ENOMEM');
    assert.equal((error.cause as Error).stack, thrown.stack);
    assert.deepEqual(withErrorDetails({ err: error }), {
      err: error,
      err_code: 'ERR_CONFIG_LOAD',
      err_cause: 'ENOMEM Cannot allocate memory',
    });
  });

  it('an exporter code survives as well, and a thrown non-Error becomes a message without a code', () => {
    const coded = acrossThreads(new ExporterError('ERR_CAPACITY', 'too many targets'));
    assert.equal((coded.cause as { code?: string }).code, 'ERR_CAPACITY');
    const odd = acrossThreads('a string');
    assert.equal(odd.message, 'config worker: a string');
    assert.equal((odd.cause as { code?: string }).code, undefined);
  });
});
