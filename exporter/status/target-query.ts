import type { TargetState, TargetSummary } from './target-summary';

export type SortKey = 'state' | 'name' | 'loss' | 'median' | 'p90' | 'jitter';
const SORT_KEYS: readonly SortKey[] = ['state', 'name', 'loss', 'median', 'p90', 'jitter'];
const STATES: readonly TargetState[] = ['up', 'degraded', 'down', 'unknown'];

/** The query of `/api/v1/targets`, validated. */
export interface TargetQuery {
  /** 1-based; default 1. */
  readonly page: number;
  /** Default 100, at most MAX_PER_PAGE. */
  readonly perPage: number;
  /** Default state (worst first). */
  readonly sort: SortKey;
  /** Default: worst first for state, loss and RTTs; A to Z for name. */
  readonly order: 'asc' | 'desc';
  /** Case-insensitive substring of the name. */
  readonly name: string | undefined;
  /** Every one must match: `key=value` exactly, or `key` present. */
  readonly labels: ReadonlyArray<readonly [string, string | undefined]>;
  readonly state: TargetState | undefined;
}

const MAX_PER_PAGE = 1000;

export class QueryError extends Error {}

export function parseTargetQuery(params: URLSearchParams): TargetQuery {
  const integer = (key: string, fallback: number, max: number): number => {
    const text = params.get(key);
    if (text === null) return fallback;
    const value = /^\d+$/.test(text) ? Number(text) : NaN;
    if (!Number.isSafeInteger(value) || value < 1 || value > max)
      throw new QueryError(`${key}: "${text}" is not an integer from 1 to ${max}`);
    return value;
  };
  const sort = params.get('sort') ?? 'state';
  if (!SORT_KEYS.includes(sort as SortKey))
    throw new QueryError(`sort: "${sort}" is not one of ${SORT_KEYS.join(', ')}`);
  const order = params.get('order') ?? (sort === 'name' ? 'asc' : 'desc');
  if (order !== 'asc' && order !== 'desc') throw new QueryError(`order: "${order}" is not asc or desc`);
  const state = params.get('state') ?? undefined;
  if (state !== undefined && !STATES.includes(state as TargetState))
    throw new QueryError(`state: "${state}" is not one of ${STATES.join(', ')}`);
  return {
    page: integer('page', 1, Number.MAX_SAFE_INTEGER),
    perPage: integer('per_page', 100, MAX_PER_PAGE),
    sort: sort as SortKey,
    order,
    name: params.get('name')?.toLowerCase() || undefined,
    labels: params.getAll('label').map((text) => {
      const cut = text.indexOf('=');
      return cut < 0 ? [text, undefined] : [text.slice(0, cut), text.slice(cut + 1)];
    }),
    state: state as TargetState | undefined,
  };
}

export function matches(query: TargetQuery, name: string, labels: Readonly<Record<string, string>>): boolean {
  if (query.name !== undefined && !name.toLowerCase().includes(query.name)) return false;
  for (const [key, value] of query.labels) {
    const actual = labels[key];
    if (actual === undefined || (value !== undefined && actual !== value)) return false;
  }
  return true;
}

/** Worse states first: a down target matters more than an unknown one, which matters more than one up. */
const STATE_RANK: Record<TargetState, number> = { down: 3, degraded: 2, unknown: 1, up: 0 };

/**
 * A comparator for `sort` in `order`. "desc" is worst first: the worse state, higher loss, slower
 * RTT; ties go by the other figures, then by name, so the order is stable between refreshes.
 */
export function comparator(
  sort: SortKey,
  order: 'asc' | 'desc',
): (a: TargetSummary, b: TargetSummary) => number {
  const sign = order === 'desc' ? -1 : 1;
  const byName = (a: TargetSummary, b: TargetSummary): number =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  const keys: Array<(t: TargetSummary) => number> = [];
  if (sort === 'state') keys.push((t) => STATE_RANK[t.state], loss, p90);
  else if (sort === 'loss') keys.push(loss, p90);
  else if (sort === 'median') keys.push((t) => t.ping?.median ?? -1);
  else if (sort === 'p90') keys.push(p90);
  else if (sort === 'jitter') keys.push((t) => t.ping?.jitter ?? -1);
  return (a, b) => {
    for (const key of keys) {
      const d = key(a) - key(b);
      if (d !== 0) return sign * d;
    }
    return sort === 'name' ? sign * byName(a, b) : byName(a, b);
  };
}

/** The worst loss of the target's ping and knocked ports (-1 when none ran). */
function loss(t: TargetSummary): number {
  let worst = t.ping?.loss ?? -1;
  for (const k of t.knock) worst = Math.max(worst, k.loss ?? -1);
  return worst;
}

function p90(t: TargetSummary): number {
  return t.ping?.p90 ?? t.knock[0]?.p90 ?? -1;
}
