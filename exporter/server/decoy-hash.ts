import { randomInt } from 'node:crypto';

/** bcrypt's base64 alphabet. */
const ALPHABET = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** bcryptjs' default cost, for a decoy when no configured hash says otherwise. */
const DEFAULT_COST = 10;

/** `$2a$`, `$2b$` or `$2y$`, then the two-digit cost. */
const COST = /^\$2[aby]\$(\d\d)\$/;

/**
 * The cost a decoy must have to take as long as the configured users: the most common cost among
 * their hashes, the higher on a tie. With one cost for every user (htpasswd's default) an unknown
 * user costs exactly as much as a known one; with mixed costs, the users whose cost differs from the
 * decoy's stay distinguishable by timing, whatever the choice.
 */
export function decoyCost(hashes: Iterable<string>): number {
  const counts = new Map<number, number>();
  for (const hash of hashes) {
    const match = COST.exec(hash);
    if (match) counts.set(Number(match[1]), (counts.get(Number(match[1])) ?? 0) + 1);
  }
  let best = DEFAULT_COST;
  let most = 0;
  for (const [cost, count] of counts) {
    if (count > most || (count === most && cost > best)) {
      best = cost;
      most = count;
    }
  }
  return best;
}

/**
 * A well-formed bcrypt hash of the given cost made of random characters: verifying any password
 * against it runs the full key schedule of that cost (bcrypt reads the cost and the salt, hashes, then
 * compares), yet creating it costs nothing, and no password matches it short of a 2^-184 chance.
 */
export function decoyHash(cost: number): string {
  let text = '';
  for (let i = 0; i < 53; i++) text += ALPHABET[randomInt(ALPHABET.length)];
  return `$2b$${String(cost).padStart(2, '0')}$${text}`;
}
