/**
 * nftables scripts of the lab. One table per namespace, `table inet ndlab`, with base chains
 *   count_<hook> (priority -20): named counters, see what arrives before any loss is applied;
 *   loss_<hook>  (priority -10): the (single) loss rule of the namespace.
 */
export const NFT_TABLE = 'ndlab';
export type Hook = 'input' | 'output' | 'forward';
export const HOOKS: readonly Hook[] = ['input', 'output', 'forward'];

/** Default loss match: ICMP and ICMPv6 echo requests (so loss on the target = loss of pings). */
export const DEFAULT_LOSS_MATCH: readonly string[] = ['icmp type echo-request', 'icmpv6 type echo-request'];

/** Idempotent: creates the table and its chains if missing. */
export function baseScript(): string {
  const lines = [`add table inet ${NFT_TABLE}`];
  for (const hook of HOOKS) {
    lines.push(
      `add chain inet ${NFT_TABLE} count_${hook} { type filter hook ${hook} priority -20; policy accept; }`,
      `add chain inet ${NFT_TABLE} loss_${hook} { type filter hook ${hook} priority -10; policy accept; }`,
    );
  }
  return lines.join('\n') + '\n';
}

function checkHook(hook: string): Hook {
  if (!(HOOKS as readonly string[]).includes(hook)) throw new Error(`invalid nft hook: ${hook}`);
  return hook as Hook;
}

function checkMatch(match: string): string {
  if (/[\n\r;#]/.test(match))
    throw new Error(`nft match must be a single expression: ${JSON.stringify(match)}`);
  return match.trim();
}

/**
 * Replaces the loss rule(s) of the namespace. percent may be fractional (0.01 % resolution):
 * `numgen random mod 10000 < percent*100 drop`.
 */
export function lossScript(percent: number, matches: readonly string[], hook: string): string {
  if (!Number.isFinite(percent) || percent < 0 || percent > 100) {
    throw new Error(`loss percent must be within [0, 100]: ${percent}`);
  }
  const h = checkHook(hook);
  const lines = HOOKS.map((x) => `flush chain inet ${NFT_TABLE} loss_${x}`);
  const threshold = Math.round(percent * 100);
  // numgen values are 0..9999: "< 10000" would not parse, 100 % is a plain drop
  const random = threshold >= 10000 ? '' : ` numgen random mod 10000 < ${threshold}`;
  if (threshold > 0) {
    for (const m of matches) {
      lines.push(`add rule inet ${NFT_TABLE} loss_${h} ${checkMatch(m)}${random} counter drop`);
    }
  }
  return lines.join('\n') + '\n';
}

export function clearLossScript(): string {
  return HOOKS.map((x) => `flush chain inet ${NFT_TABLE} loss_${x}`).join('\n') + '\n';
}

export function checkCounterName(name: string): string {
  if (!/^[A-Za-z][A-Za-z0-9_]{0,62}$/.test(name)) {
    throw new Error(`counter name must match [A-Za-z][A-Za-z0-9_]*: ${JSON.stringify(name)}`);
  }
  return name;
}

export function counterScript(name: string, match: string, hook: string): string {
  const n = checkCounterName(name);
  return (
    `add counter inet ${NFT_TABLE} ${n}\n` +
    `add rule inet ${NFT_TABLE} count_${checkHook(hook)} ${checkMatch(match)} counter name "${n}"\n`
  );
}

/** Packets and bytes of a named counter from `nft -j list counter inet ndlab NAME`. */
export function parseCounter(json: string, name: string): { packets: number; bytes: number } {
  const doc = JSON.parse(json) as { nftables?: Array<Record<string, unknown>> };
  for (const item of doc.nftables ?? []) {
    const c = item.counter as { name?: string; packets?: number; bytes?: number } | undefined;
    if (c && c.name === name && typeof c.packets === 'number') {
      return { packets: c.packets, bytes: typeof c.bytes === 'number' ? c.bytes : 0 };
    }
  }
  throw new Error(`nft counter ${name} not found in: ${json.slice(0, 500)}`);
}
