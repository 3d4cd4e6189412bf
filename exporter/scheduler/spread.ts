import { createHash } from 'node:crypto';

/** A stable offset in [0, intervalMs) for a key, so jobs spread evenly over their interval across restarts. */
export function spreadOffset(key: string, intervalMs: number): number {
  const hash = createHash('sha1').update(key).digest().readUInt32BE(0);
  return (hash / 0x1_0000_0000) * intervalMs;
}
