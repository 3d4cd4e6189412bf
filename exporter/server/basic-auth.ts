import { compare } from 'bcryptjs';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { decoyCost, decoyHash } from './decoy-hash';
import { FairQueue } from './fair-queue';

/** Checks a password against a bcrypt hash. */
export type PasswordVerifier = (password: string, hash: string) => Promise<boolean>;

export interface BasicAuthOptions {
  /** Default: bcryptjs' compare, which yields to the event loop between rounds. */
  verify?: PasswordVerifier;
  /** bcrypt verifications allowed to wait for their turn; beyond, requests are answered 'busy'. Default 16. */
  maxQueued?: number;
  /**
   * Verifications one client (or, when the caller names none, one user name) may have waiting;
   * beyond, its requests are answered 'busy'. Default 2 (a pair of HA Prometheus servers).
   */
  maxQueuedPerClient?: number;
  /** Users whose last good password is remembered; default 1024. */
  maxCached?: number;
}

/** 'busy': too many verifications queued (the caller answers 429 without checking anything). */
export type AuthOutcome = 'allowed' | 'denied' | 'busy';

export interface Credentials {
  user: string;
  password: string;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** `Basic base64(user:password)` as Go's Request.BasicAuth() reads it (scheme case-insensitive). */
export function parseBasicAuthorization(header: string | undefined): Credentials | undefined {
  if (header === undefined || header.length < 6 || header.slice(0, 6).toLowerCase() !== 'basic ')
    return undefined;
  const encoded = header.slice(6);
  if (!BASE64.test(encoded)) return undefined;
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * Basic auth against bcrypt hashes (exporter-toolkit's `basic_auth_users`). bcrypt is slow by
 * design (2^cost rounds), so the last password that verified for each user is remembered (as an HMAC under a
 * per-process key, compared in constant time): a scraper sending the same credentials every 15 s
 * costs one bcrypt per process, and stays admitted without any queue whatever else is going on
 * (only a good password enters the cache, so an attacker cannot push users out of it).
 *
 * Unknown users are verified against a decoy hash of the users' cost (see decoyCost), so that
 * their answer takes as long as a known user's wrong password.
 *
 * Other verifications run one at a time (one core at most; bcryptjs yields between rounds so probes
 * and cached scrapes go on), taking clients in turn: a client guessing passwords holds at most
 * `maxQueuedPerClient` places and gets one verification per turn, so another client's first login
 * waits for at most one verification of each other client, and is refused ('busy', no bcrypt work)
 * only when `maxQueued` verifications of other clients are already waiting. Known and unknown users queue alike:
 * a queue that treated them differently would tell an attacker which names exist.
 */
export class BasicAuthenticator {
  private readonly verify: PasswordVerifier;
  private readonly maxCached: number;
  private readonly key = randomBytes(32);
  /** user → the hash it was verified against and the HMAC of the password that matched it. */
  private readonly verified = new Map<string, { hash: string; digest: Buffer }>();
  private readonly queue: FairQueue;
  /** The decoy for each users map seen (a reloaded web config brings a new map). */
  private readonly decoys = new WeakMap<ReadonlyMap<string, string>, string>();

  constructor(options: BasicAuthOptions = {}) {
    this.verify = options.verify ?? ((password, hash) => compare(password, hash));
    this.maxCached = options.maxCached ?? 1024;
    this.queue = new FairQueue({
      maxQueued: options.maxQueued ?? 16,
      maxPerLane: options.maxQueuedPerClient ?? 2,
    });
  }

  /**
   * Checks an Authorization header against `users` (user → bcrypt hash). `client` names who asks
   * (its address): verifications are served in turn per client. Without it, turns go per user name,
   * which keeps a brute force against one name from holding up other users' first logins, but not
   * a run of many names.
   */
  async check(
    header: string | undefined,
    users: ReadonlyMap<string, string>,
    client?: string,
  ): Promise<AuthOutcome> {
    const credentials = parseBasicAuthorization(header);
    if (!credentials) return 'denied';
    const { user, password } = credentials;
    const hash = users.get(user);
    const digest = createHmac('sha256', this.key).update(password).digest();
    const known = hash === undefined ? undefined : this.verified.get(user);
    if (known && known.hash === hash && timingSafeEqual(known.digest, digest)) return 'allowed';

    const against = hash ?? this.decoyFor(users);
    const verification = this.queue.run(client === undefined ? `user ${user}` : `client ${client}`, () =>
      this.verify(password, against),
    );
    if (!verification) return 'busy';
    const matches = await verification;
    if (!matches || hash === undefined) return 'denied';
    this.remember(user, hash, digest);
    return 'allowed';
  }

  private decoyFor(users: ReadonlyMap<string, string>): string {
    let decoy = this.decoys.get(users);
    if (decoy === undefined) {
      decoy = decoyHash(decoyCost(users.values()));
      this.decoys.set(users, decoy);
    }
    return decoy;
  }

  private remember(user: string, hash: string, digest: Buffer): void {
    this.verified.delete(user);
    if (this.verified.size >= this.maxCached) {
      const oldest = this.verified.keys().next();
      if (!oldest.done) this.verified.delete(oldest.value);
    }
    this.verified.set(user, { hash, digest });
  }
}
