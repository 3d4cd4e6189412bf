import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger, LogRateLimiter, type LogRateLimitOptions } from '../../../exporter/logging';
import { createPrometheusPipeline, observeLogSuppression } from '../../../exporter/metrics';
import { FakeClock } from '../../support/fake-clock';
import { parseSamples, scrapeText, select } from '../../support/scrape';

const limiterOn = (clock: FakeClock, options: LogRateLimitOptions = {}): LogRateLimiter =>
  new LogRateLimiter({ now: () => clock.now(), ...options });
/** take() n times: what each returned. */
const takeTimes = (limiter: LogRateLimiter, n: number, key = 'k'): Array<number | undefined> =>
  Array.from({ length: n }, () => limiter.take('warn', key));

describe('LogRateLimiter', () => {
  it('lets a burst of 10 through, then 1 line per 10 s, the first one after a gap counting the dropped', async () => {
    const clock = new FakeClock();
    const limiter = limiterOn(clock);
    assert.deepEqual(takeTimes(limiter, 15), [
      ...Array<number>(10).fill(0),
      ...Array<undefined>(5).fill(undefined),
    ]);
    assert.equal(limiter.suppressed('warn'), 5);
    await clock.advance(9_999);
    assert.equal(limiter.take('warn', 'k'), undefined);
    await clock.advance(1);
    assert.equal(limiter.take('warn', 'k'), 6);
    assert.equal(limiter.take('warn', 'k'), undefined);
    await clock.advance(10_000);
    assert.equal(limiter.take('warn', 'k'), 1);
    await clock.advance(10_000);
    assert.equal(limiter.take('warn', 'k'), 0);
    assert.equal(limiter.suppressed('warn'), 7);
    assert.equal(limiter.suppressed('error'), 0);
  });

  it('earns lines back in proportion to the time, never more than the burst', async () => {
    const clock = new FakeClock();
    const limiter = limiterOn(clock);
    takeTimes(limiter, 10);
    await clock.advance(25_000);
    assert.deepEqual(takeTimes(limiter, 3), [0, 0, undefined]);
    // The half token left over counts: 5 s more make a whole one.
    await clock.advance(5_000);
    assert.deepEqual(takeTimes(limiter, 2), [1, undefined]);
    await clock.advance(3_600_000);
    assert.deepEqual(takeTimes(limiter, 11), [1, ...Array<number>(9).fill(0), undefined]);
  });

  it('keeps a bucket per key and counts the dropped lines per level', () => {
    const clock = new FakeClock();
    const limiter = limiterOn(clock, { burst: 2 });
    assert.deepEqual(takeTimes(limiter, 3, 'a'), [0, 0, undefined]);
    assert.deepEqual(takeTimes(limiter, 3, 'b'), [0, 0, undefined]);
    assert.equal(limiter.take('error', 'c'), 0);
    assert.equal(limiter.take('error', 'c'), 0);
    assert.equal(limiter.take('error', 'c'), undefined);
    assert.deepEqual(
      (['debug', 'info', 'warn', 'error'] as const).map((level) => limiter.suppressed(level)),
      [0, 0, 2, 1],
    );
  });

  it('remembers at most maxKeys keys, forgetting the least recently used', () => {
    const clock = new FakeClock();
    const limiter = limiterOn(clock, { burst: 1, maxKeys: 3 });
    assert.deepEqual(takeTimes(limiter, 3, 'a'), [0, undefined, undefined]);
    assert.deepEqual(takeTimes(limiter, 2, 'b'), [0, undefined]);
    limiter.take('warn', 'c');
    assert.equal(limiter.take('warn', 'a'), undefined, 'a is the most recently used now');
    limiter.take('warn', 'd');
    assert.equal(limiter.keys, 3);
    // b was forgotten with its dropped line: it starts over with a full bucket.
    assert.equal(limiter.take('warn', 'b'), 0);
    // That pushed out c; a kept its state.
    assert.equal(limiter.take('warn', 'a'), undefined);
    assert.equal(limiter.keys, 3);
    for (let i = 0; i < 10_000; i++) limiter.take('warn', `flood-${i}`);
    assert.equal(limiter.keys, 3);
    assert.equal(limiter.suppressed('warn'), 5);
  });

  it('refuses limits that would let nothing through', () => {
    for (const options of [{ burst: 0 }, { burst: Number.NaN }, { refillSeconds: 0 }, { maxKeys: 0 }]) {
      assert.throws(
        () => new LogRateLimiter(options),
        { code: 'ERR_INVALID_OPTION' },
        JSON.stringify(options),
      );
    }
  });
});

describe('createLogger with a rate limit', () => {
  const setup = (format: 'logfmt' | 'json' = 'logfmt') => {
    const clock = new FakeClock();
    const lines: string[] = [];
    const limiter = limiterOn(clock);
    const logger = createLogger({
      format,
      write: (line) => lines.push(line),
      now: () => new Date(Date.UTC(2026, 0, 1) + clock.now()),
      rateLimit: limiter,
    });
    return { clock, lines, limiter, logger };
  };

  it('limits per level, message and target context, and marks the next line with suppressed=N', async () => {
    const { clock, lines, limiter, logger } = setup();
    const a = logger.child({ target: 'a', address: '10.0.0.1' });
    const b = logger.child({ target: 'b', address: '10.0.0.2' });
    // Per-call fields (here the error) are not part of the key.
    for (let i = 0; i < 12; i++) a.warn('cannot resolve target', { err: `try ${i}` });
    b.warn('cannot resolve target', { err: 'try 0' });
    a.error('cannot resolve target');
    a.warn('target resolved');
    assert.equal(lines.length, 13);
    assert.equal(
      lines[9],
      'ts=2026-01-01T00:00:00.000Z level=warn msg="cannot resolve target" target=a address=10.0.0.1 err="try 9"',
    );
    assert.deepEqual(lines.slice(10), [
      'ts=2026-01-01T00:00:00.000Z level=warn msg="cannot resolve target" target=b address=10.0.0.2 err="try 0"',
      'ts=2026-01-01T00:00:00.000Z level=error msg="cannot resolve target" target=a address=10.0.0.1',
      'ts=2026-01-01T00:00:00.000Z level=warn msg="target resolved" target=a address=10.0.0.1',
    ]);
    await clock.advance(10_000);
    a.warn('cannot resolve target', { err: 'try 12' });
    a.warn('cannot resolve target', { err: 'try 13' });
    assert.deepEqual(lines.slice(13), [
      'ts=2026-01-01T00:00:10.000Z level=warn msg="cannot resolve target" target=a address=10.0.0.1 err="try 12" suppressed=2',
    ]);
    assert.equal(limiter.suppressed('warn'), 3);
  });

  it('says suppressed in JSON too, and lines below the level neither pass nor count', async () => {
    const { clock, lines, limiter, logger } = setup('json');
    for (let i = 0; i < 11; i++) logger.debug('packet dropped');
    for (let i = 0; i < 11; i++) logger.info('TLS handshake failed');
    await clock.advance(10_000);
    logger.info('TLS handshake failed');
    assert.equal(lines.length, 11);
    assert.deepEqual(JSON.parse(lines[10]!), {
      ts: '2026-01-01T00:00:10.000Z',
      level: 'info',
      msg: 'TLS handshake failed',
      suppressed: 1,
    });
    assert.equal(limiter.suppressed('debug'), 0);
    assert.equal(limiter.suppressed('info'), 1);
  });

  it('writes every line with rateLimit: false', () => {
    const lines: string[] = [];
    const logger = createLogger({ write: (line) => lines.push(line), rateLimit: false });
    for (let i = 0; i < 100; i++) logger.error('again');
    assert.equal(lines.length, 100);
  });

  it('is on by default, with the documented burst of 10', () => {
    const lines: string[] = [];
    const logger = createLogger({ write: (line) => lines.push(line) });
    for (let i = 0; i < 100; i++) logger.error('again');
    assert.equal(lines.length, 10);
  });
});

describe('netdiag_log_lines_suppressed_total', () => {
  it('reports the dropped lines per level, every level from 0', async () => {
    const clock = new FakeClock();
    const limiter = limiterOn(clock, { burst: 1 });
    for (const store of [false, true]) {
      const pipeline = createPrometheusPipeline({ cardinalityLimit: 100 });
      const binding = observeLogSuppression(
        pipeline.meterProvider.getMeter('test'),
        store ? pipeline.store : undefined,
        (level) => limiter.suppressed(level),
      );
      if (!store) takeTimes(limiter, 4);
      const samples = select(parseSamples(await scrapeText(pipeline)), 'netdiag_log_lines_suppressed_total');
      assert.deepEqual(
        samples.map((s) => [s.labels.level, s.value]),
        [
          ['debug', 0],
          ['info', 0],
          ['warn', 3],
          ['error', 0],
        ],
      );
      binding.detach();
      await pipeline.shutdown();
    }
  });
});
