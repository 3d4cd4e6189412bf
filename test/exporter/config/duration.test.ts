import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { formatDuration, parseDuration } from '../../../exporter/config';

describe('parseDuration', () => {
  const valid: Array<[string, number]> = [
    ['250ms', 0.25],
    ['200ms', 0.2],
    ['1ms', 0.001],
    ['0.1ms', 0.0001],
    ['1s', 1],
    ['1.5s', 1.5],
    ['0s', 0],
    ['1m', 60],
    ['1h', 3600],
    ['1m30s', 90],
    ['1h30m', 5400],
    ['2h0m5s', 7205],
    ['1m0.5s', 60.5],
    ['1s500ms', 1.5],
    ['90s', 90],
    ['007s', 7],
  ];
  for (const [text, seconds] of valid) {
    it(`reads ${text} as ${seconds} s`, () => assert.equal(parseDuration(text), seconds));
  }

  const invalid = [
    '',
    '1',
    '1.5',
    's',
    '1S',
    '1 s',
    ' 1s',
    '1s ',
    '-1s',
    '+1s',
    '.5s',
    '1.s',
    '1e3s',
    '1us',
    '1d',
    '1s1m',
    '1m1h',
    '1s1s',
    '1msms',
    'Infinitys',
    '1_000ms',
  ];
  for (const text of invalid) {
    it(`refuses ${JSON.stringify(text)}`, () => assert.equal(parseDuration(text), undefined));
  }

  it('refuses what overflows to Infinity', () =>
    assert.equal(parseDuration(`${'9'.repeat(400)}h`), undefined));
});

describe('formatDuration', () => {
  const cases: Array<[number, string]> = [
    [0, '0s'],
    [0.0001, '0.1ms'],
    [0.001, '1ms'],
    [0.25, '250ms'],
    [1, '1s'],
    [1.5, '1.5s'],
    [59.999, '59.999s'],
    [60, '1m'],
    [90, '1m30s'],
    [90.5, '1m30.5s'],
    [3600, '1h'],
    [5400, '1h30m'],
    [86400, '24h'],
    [-2, '-2s'],
  ];
  for (const [seconds, text] of cases) {
    it(`writes ${seconds} s as ${text}`, () => assert.equal(formatDuration(seconds), text));
  }

  it('round-trips through parseDuration', () => {
    for (const seconds of [0.001, 0.2, 0.25, 1, 1.25, 59, 61, 3599.5, 3601, 7200, 86400]) {
      assert.equal(parseDuration(formatDuration(seconds)), seconds, String(seconds));
    }
  });
});
