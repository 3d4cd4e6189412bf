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
    // USERS are hashed at cost 4: so is the decoy.
    assert.match(calls[0]?.[1] ?? '', /^\$2b\$04\$[./A-Za-z0-9]{53}$/);
  });

  it("gives the decoy the users' cost (the most common, the higher on a tie), per users map", async () => {
    const hashed = (cost: string): string => `$2y$${cost}$${'a'.repeat(53)}`;
    const decoyCostFor = async (costs: string[]): Promise<string | undefined> => {
      const used: string[] = [];
      const auth = new BasicAuthenticator({
        verify: (_password, hash) => {
          used.push(hash);
          return Promise.resolve(false);
        },
      });
      const users = new Map(costs.map((cost, i) => [`u${i}`, hashed(cost)]));
      assert.equal(await auth.check(basic('mallory:guess'), users), 'denied');
      assert.equal(used.length, 1);
      assert.ok(!costs.some((_, i) => users.get(`u${i}`) === used[0]), 'the decoy is none of the users');
      return /^\$2b\$(\d\d)\$/.exec(used[0] ?? '')?.[1];
    };
    // The reported case: users at cost 12, the decoy was fixed at 10 (296 vs 71 ms).
    assert.equal(await decoyCostFor(['12']), '12');
    assert.equal(await decoyCostFor(['12', '12', '10']), '12');
    assert.equal(await decoyCostFor(['10', '14', '10']), '10');
    assert.equal(await decoyCostFor(['11', '13']), '13');
    assert.equal(await decoyCostFor([]), '10');

    // A reloaded web config (a new map) gets a decoy of its own cost.
    const used: string[] = [];
    const auth = new BasicAuthenticator({ verify: (_p, hash) => (used.push(hash), Promise.resolve(false)) });
    await auth.check(basic('mallory:x'), new Map([['a', hashed('08')]]));
    await auth.check(basic('mallory:x'), new Map([['a', hashed('13')]]));
    assert.deepEqual(
      used.map((hash) => hash.slice(0, 7)),
      ['$2b$08$', '$2b$13$'],
    );
  });

  it('makes a decoy that bcrypt verifies at its cost and that no password matches', async () => {
    const { verify, calls } = countingVerifier();
    const users = new Map([['prometheus', hashSync('scrape-me', 6)]]);
    const auth = new BasicAuthenticator({ verify });
    for (const password of ['', 'scrape-me', 'x'.repeat(100)])
      assert.equal(await auth.check(basic(`mallory:${password}`), users), 'denied');
    const decoy = calls[0]?.[1] ?? '';
    assert.match(decoy, /^\$2b\$06\$/);
    // bcryptjs reads it (a malformed hash would throw, and the verifier failure would also deny).
    assert.equal(await compare('anything', decoy), false);
    assert.equal(new Set(calls.map(([, hash]) => hash)).size, 1);
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
    const auth = new BasicAuthenticator({ verify, maxQueued: 4, maxQueuedPerClient: 10 });
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

  /** A verifier whose wrong guesses wait for `open()`, and that counts the guesses it verified. */
  function gatedVerifier(): { verify: PasswordVerifier; open: () => void; guesses: () => number } {
    let open = (): void => {};
    const gate = new Promise<void>((resolve) => (open = resolve));
    let guesses = 0;
    return {
      open,
      guesses: () => guesses,
      verify: async (password, hash) => {
        if (await compare(password, hash)) return true;
        await gate;
        guesses++;
        return false;
      },
    };
  }

  it("lets a user's first login through while a client has 1000 bad attempts queued", async () => {
    const { verify, open, guesses } = gatedVerifier();
    const auth = new BasicAuthenticator({ verify });
    // The attacker knows a valid name, and also tries unknown ones, all from one address.
    const attack = Array.from({ length: 1000 }, (_, i) =>
      auth.check(basic(i % 2 === 0 ? `prometheus:guess${i}` : `user${i}:guess`), USERS, '203.0.113.9'),
    );
    const login = auth.check(basic('grafana:p:a:ss wörd'), USERS, '192.0.2.10');
    open();
    assert.equal(await login, 'allowed');
    // Served after at most the attacker's running verification and one more (its turn).
    assert.ok(guesses() <= 2, `${guesses()} guesses verified before the login`);
    const outcomes = await Promise.all(attack);
    assert.equal(outcomes.filter((outcome) => outcome === 'denied').length, 2);
    assert.equal(outcomes.filter((outcome) => outcome === 'busy').length, 998);
    // And stays cached: no verification at all from now on, whatever the attacker does.
    const again = auth.check(basic('grafana:p:a:ss wörd'), USERS, '192.0.2.10');
    assert.equal(await again, 'allowed');
  });

  it('without a client address, keeps a brute force on one name from holding up another user', async () => {
    const { verify, open, guesses } = gatedVerifier();
    const auth = new BasicAuthenticator({ verify });
    const attack = Array.from({ length: 1000 }, (_, i) => auth.check(basic(`prometheus:guess${i}`), USERS));
    const login = auth.check(basic('grafana:p:a:ss wörd'), USERS);
    open();
    assert.equal(await login, 'allowed');
    assert.ok(guesses() <= 2, `${guesses()} guesses verified before the login`);
    const outcomes = await Promise.all(attack);
    assert.equal(outcomes.filter((outcome) => outcome === 'busy').length, 998);
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
