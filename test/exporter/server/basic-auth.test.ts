import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compare, hashSync } from 'bcryptjs';
import { BasicAuthenticator, parseBasicAuthorization, type PasswordVerifier } from '../../../exporter/server';

const basic = (credentials: string): string => `Basic ${Buffer.from(credentials).toString('base64')}`;

// Cost 4: real bcrypt, fast enough for unit tests.
const USERS = new Map([
  ['prometheus', hashSync('scrape-me', 4)],
  ['grafana', hashSync('p:a:ss wörd', 4)],
]);

/** bcryptjs behind a counter. */
function countingVerifier(): { verify: PasswordVerifier; calls: Array<[string, string]> } {
  const calls: Array<[string, string]> = [];
  return {
    calls,
    verify: (password, hash) => {
      calls.push([password, hash]);
      return compare(password, hash);
    },
  };
}

describe('parseBasicAuthorization', () => {
  it('reads user and password as Go does: any scheme case, password after the first colon', () => {
    assert.deepEqual(parseBasicAuthorization(basic('prometheus:scrape-me')), {
      user: 'prometheus',
      password: 'scrape-me',
    });
    assert.deepEqual(parseBasicAuthorization(`bAsIc ${Buffer.from('a:b:c').toString('base64')}`), {
      user: 'a',
      password: 'b:c',
    });
    assert.deepEqual(parseBasicAuthorization(basic(':')), { user: '', password: '' });
    assert.deepEqual(parseBasicAuthorization(basic('ü:ß')), { user: 'ü', password: 'ß' });
  });

  it('rejects malformed headers', () => {
    for (const header of [
      undefined,
      '',
      'Basic',
      'Basic ',
      'Bearer abc',
      basic('no-colon'),
      'Basic cHJvbWV0aGV1czpzY3JhcGUtbWU', // padding missing
      'Basic cHJvbWV0aGV1czpzY3JhcGUtbWU=!',
      'Basic  cHJvbWV0aGV1czpzY3JhcGUtbWU=', // two spaces
      'Basicx cHJvbWV0aGV1czpzY3JhcGUtbWU=',
    ]) {
      assert.equal(parseBasicAuthorization(header), undefined, String(header));
    }
  });
});

describe('BasicAuthenticator', () => {
  it('allows the right password; denies a wrong user, a wrong password and malformed headers', async () => {
    const auth = new BasicAuthenticator();
    assert.equal(await auth.check(basic('prometheus:scrape-me'), USERS), 'allowed');
    assert.equal(await auth.check(basic('grafana:p:a:ss wörd'), USERS), 'allowed');
    assert.equal(await auth.check(basic('prometheus:scrape-me!'), USERS), 'denied');
    assert.equal(await auth.check(basic('grafana:scrape-me'), USERS), 'denied');
    assert.equal(await auth.check(basic('nobody:scrape-me'), USERS), 'denied');
    assert.equal(await auth.check(basic('Prometheus:scrape-me'), USERS), 'denied');
    assert.equal(await auth.check(undefined, USERS), 'denied');
    assert.equal(await auth.check('Basic !!!', USERS), 'denied');
  });

  it('runs bcrypt once for repeated good credentials, every time for bad ones', async () => {
    const { verify, calls } = countingVerifier();
    const auth = new BasicAuthenticator({ verify });
    for (let i = 0; i < 20; i++)
      assert.equal(await auth.check(basic('prometheus:scrape-me'), USERS), 'allowed');
    assert.equal(calls.length, 1);
    // A wrong password for a cached user is verified (bcrypt accepts only one password per hash but
    // for the bytes past 72) and denied; the cached good one still works without bcrypt.
    assert.equal(await auth.check(basic('prometheus:wrong'), USERS), 'denied');
    assert.equal(await auth.check(basic('prometheus:wrong'), USERS), 'denied');
    assert.equal(calls.length, 3);
    assert.equal(await auth.check(basic('prometheus:scrape-me'), USERS), 'allowed');
    assert.equal(calls.length, 3);
  });

  it('verifies unknown users against a decoy hash, so they cost as much as known ones', async () => {
    const { verify, calls } = countingVerifier();
    const auth = new BasicAuthenticator({ verify });
    assert.equal(await auth.check(basic('mallory:scrape-me'), USERS), 'denied');
    assert.equal(calls.length, 1);
    assert.equal(calls[0]?.[0], 'scrape-me');
    assert.match(calls[0]?.[1] ?? '', /^\$2b\$10\$/);
  });

  it('forgets a cached password when the hash of the user changes', async () => {
    const { verify, calls } = countingVerifier();
    const auth = new BasicAuthenticator({ verify });
    assert.equal(await auth.check(basic('prometheus:scrape-me'), USERS), 'allowed');
    const changed = new Map([['prometheus', hashSync('new-password', 4)]]);
    assert.equal(await auth.check(basic('prometheus:scrape-me'), changed), 'denied');
    assert.equal(await auth.check(basic('prometheus:new-password'), changed), 'allowed');
    assert.equal(await auth.check(basic('prometheus:new-password'), changed), 'allowed');
    assert.equal(calls.length, 3);
    assert.equal(await auth.check(basic('prometheus:scrape-me'), new Map()), 'denied');
  });

  it('runs verifications one at a time and answers busy past the queue bound, without bcrypt', async () => {
    let running = 0;
    let most = 0;
    let started = 0;
    const verify: PasswordVerifier = async () => {
      started++;
      running++;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, 5));
      running--;
      return false;
    };
    const auth = new BasicAuthenticator({ verify, maxQueued: 4 });
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, () => auth.check(basic('prometheus:guess'), USERS)),
    );
    assert.deepEqual(outcomes, [...Array(4).fill('denied'), ...Array(6).fill('busy')]);
    assert.equal(most, 1);
    assert.equal(started, 4);
    // The queue drains: the next attempt is verified again.
    assert.equal(await auth.check(basic('prometheus:guess'), USERS), 'denied');
    assert.equal(started, 5);
  });

  it('keeps the cache bounded', async () => {
    const users = new Map(Array.from({ length: 5 }, (_, i) => [`u${i}`, hashSync(`p${i}`, 4)] as const));
    const { verify, calls } = countingVerifier();
    const auth = new BasicAuthenticator({ verify, maxCached: 3 });
    for (let i = 0; i < 5; i++) await auth.check(basic(`u${i}:p${i}`), users);
    assert.equal(calls.length, 5);
    await auth.check(basic('u4:p4'), users); // still cached
    await auth.check(basic('u0:p0'), users); // evicted first
    assert.equal(calls.length, 6);
  });

  it('treats a verifier failure (a hash bcryptjs cannot read) as a wrong password', async () => {
    const auth = new BasicAuthenticator({ verify: () => Promise.reject(new Error('Invalid salt version')) });
    assert.equal(await auth.check(basic('prometheus:scrape-me'), USERS), 'denied');
    assert.equal(await auth.check(basic('prometheus:scrape-me'), USERS), 'denied');
  });

  it('costs a real bcrypt verification once: the cached check is far faster', async () => {
    const users = new Map([['prometheus', hashSync('scrape-me', 10)]]);
    const auth = new BasicAuthenticator();
    let start = process.hrtime.bigint();
    assert.equal(await auth.check(basic('prometheus:scrape-me'), users), 'allowed');
    const first = Number(process.hrtime.bigint() - start) / 1e6;
    start = process.hrtime.bigint();
    for (let i = 0; i < 100; i++) await auth.check(basic('prometheus:scrape-me'), users);
    const cached = Number(process.hrtime.bigint() - start) / 1e6 / 100;
    assert.ok(first > 20, `bcrypt at cost 10 took ${first.toFixed(1)} ms`);
    assert.ok(cached < first / 50, `cached ${cached.toFixed(3)} ms vs first ${first.toFixed(1)} ms`);
  });
});
