import { compare } from 'bcryptjs';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Checks a password against a bcrypt hash. */
export type PasswordVerifier = (password: string, hash: string) => Promise<boolean>;

export interface BasicAuthOptions {
  /** Default: bcryptjs' compare, which yields to the event loop between rounds. */
  verify?: PasswordVerifier;
  /** bcrypt verifications allowed to wait for their turn; beyond, requests are answered 'busy'. Default 16. */
  maxQueued?: number;
  /** Users whose last good password is remembered; default 1024. */
  maxCached?: number;
}

/** 'busy': too many verifications queued (the caller answers 429 without checking anything). */
export type AuthOutcome = 'allowed' | 'denied' | 'busy';

export interface Credentials {
  user: string;
  password: string;
}

/** A hash of a random password, verified for unknown users so that they take as long as known ones. */
const DECOY_HASH = '$2b$10$VraLoLv4dIMOuO9azbEhk.9A/dGsJmVcxR855ShSrkX/oOTRbncMK';

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
 * Basic auth against bcrypt hashes (exporter-toolkit's `basic_auth_users`). bcrypt costs ~70 ms of
 * CPU at cost 10, so the last password that verified for each user is remembered (as an HMAC under a
 * per-process key, compared in constant time): a scraper sending the same credentials every 15 s
 * costs one bcrypt per process. Failures are not remembered; their verifications run one at a time
 * (one core at most, and bcryptjs yields between rounds so probes and cached scrapes go on), and
 * beyond `maxQueued` waiting ones requests are refused as 'busy' without any bcrypt work.
 */
export class BasicAuthenticator {
  private readonly verify: PasswordVerifier;
  private readonly maxQueued: number;
  private readonly maxCached: number;
  private readonly key = randomBytes(32);
  /** user → the hash it was verified against and the HMAC of the password that matched it. */
  private readonly verified = new Map<string, { hash: string; digest: Buffer }>();
  private queued = 0;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(options: BasicAuthOptions = {}) {
    this.verify = options.verify ?? ((password, hash) => compare(password, hash));
    this.maxQueued = options.maxQueued ?? 16;
    this.maxCached = options.maxCached ?? 1024;
  }

  /** Checks an Authorization header against `users` (user → bcrypt hash). */
  async check(header: string | undefined, users: ReadonlyMap<string, string>): Promise<AuthOutcome> {
    const credentials = parseBasicAuthorization(header);
    if (!credentials) return 'denied';
    const { user, password } = credentials;
    const hash = users.get(user);
    const digest = createHmac('sha256', this.key).update(password).digest();
    const known = hash === undefined ? undefined : this.verified.get(user);
    if (known && known.hash === hash && timingSafeEqual(known.digest, digest)) return 'allowed';

    if (this.queued >= this.maxQueued) return 'busy';
    const matches = await this.serialized(() => this.verify(password, hash ?? DECOY_HASH));
    if (!matches || hash === undefined) return 'denied';
    this.remember(user, hash, digest);
    return 'allowed';
  }

  private serialized(task: () => Promise<boolean>): Promise<boolean> {
    this.queued++;
    const run = this.tail.then(task).then(
      (matches) => matches,
      () => false,
    );
    this.tail = run.finally(() => this.queued--);
    return run;
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
