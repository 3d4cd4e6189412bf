import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { StalledResponses } from '../../../exporter/metrics/stalled-responses';

describe('StalledResponses', () => {
  it('cuts the response stalled longest, only once it has been for the bound', () => {
    let now = 0;
    const stalled = new StalledResponses(() => now);
    const cut: string[] = [];
    const first = {};
    const second = {};
    stalled.add(first, () => cut.push('first'));
    now = 100;
    stalled.add(second, () => cut.push('second'));
    now = 400;
    assert.equal(stalled.cutOldest(500), false, 'stalled 400 ms, not 500');
    now = 500;
    assert.equal(stalled.cutOldest(500), true);
    assert.equal(stalled.cutOldest(500), false, 'the second stalled 400 ms');
    now = 600;
    stalled.remove(second); // it drained
    assert.equal(stalled.cutOldest(0), false);
    assert.deepEqual(cut, ['first']);
  });
});
