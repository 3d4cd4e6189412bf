import { DEFAULT_TRACE_BUDGET } from './defaults';
import { MAX_TRACE_BUDGET_BURST, MAX_TRACE_BUDGET_PER_SECOND } from './limits';
import { isNull, present, type Field, type Reader } from './reader';
import { readInteger, readNumber } from './scalars';
import type { TraceBudgetConfig } from './types';

const TRACE_BUDGET_KEYS = ['burst', 'per_second'] as const;

/**
 * Reads the top-level `trace_budget` block over DEFAULT_TRACE_BUDGET: the ICMP errors one router is
 * expected to send this host, shared by every paced trace (see README "Trace"). Null or `{}`: the defaults.
 */
export function readTraceBudget(r: Reader, field: Field): TraceBudgetConfig | undefined {
  if (isNull(field)) return DEFAULT_TRACE_BUDGET;
  const entries = r.map(field, TRACE_BUDGET_KEYS);
  if (!entries) return undefined;
  const burstField = present(entries.get('burst'));
  const rateField = present(entries.get('per_second'));
  const burst = burstField
    ? readInteger(r, burstField, 1, MAX_TRACE_BUDGET_BURST)
    : DEFAULT_TRACE_BUDGET.burst;
  const perSecond = rateField ? readRate(r, rateField) : DEFAULT_TRACE_BUDGET.perSecond;
  if (burst === undefined || perSecond === undefined) return undefined;
  return { burst, perSecond };
}

function readRate(r: Reader, field: Field): number | undefined {
  const rate = readNumber(r, field);
  if (rate === undefined || (rate > 0 && rate <= MAX_TRACE_BUDGET_PER_SECOND)) return rate;
  r.report(field, `must be answers per second above 0, at most ${MAX_TRACE_BUDGET_PER_SECOND}, got ${rate}`);
  return undefined;
}
