import { readBind } from './bind';
import { readHistogramBuckets } from './buckets';
import { DEFAULT_HISTOGRAM_BUCKETS, defaultCardinalityLimit } from './defaults';
import { readDns } from './dns';
import type { Environment } from './env-string';
import { readGlobalLabels } from './global-labels';
import { deepFreeze } from './freeze';
import { ConfigError } from './issue';
import { readNativeHistograms } from './native-histograms';
import { readOtlp } from './otlp';
import { readProbeDefaults } from './probe-defaults';
import { ROOT_PATH } from './key-path';
import { openConfigDocument } from './open-document';
import { isNull, present, type Reader } from './reader';
import { readInteger } from './scalars';
import { readTargets } from './target';
import { readTraceBudget } from './trace-budget';
import { readTargetGroups } from './target-group';
import type { Config } from './types';

const ROOT_KEYS = [
  'defaults',
  'bind',
  'histogram_buckets',
  'cardinality_limit',
  'dns',
  'labels',
  'targets',
  'target_groups',
  'otlp',
  'native_histograms',
  'trace_budget',
] as const;

/**
 * Parses and validates a config: built-in defaults, then `defaults`, then each target's own keys.
 * Throws a ConfigError listing every problem found. `file` is only used in messages.
 */
export function parseConfig(text: string | Buffer, file: string, options: ParseConfigOptions = {}): Config {
  const { r } = openConfigDocument(text, file);
  const config = readConfig(r, file, options.env ?? process.env);
  if (!config || r.failed) throw new ConfigError(r.issues, { omitted: r.omitted });
  return deepFreeze(config);
}

export interface ParseConfigOptions {
  /** What `${NAME}` references read (top-level labels, exclude_addresses, selection_key); default process.env. */
  env?: Environment;
}

function readConfig(r: Reader, file: string, env: Environment): Config | undefined {
  const root = r.root();
  if (!root || isNull(root)) {
    r.report({ offset: 0, path: ROOT_PATH }, 'empty config');
    return undefined;
  }
  const entries = r.map(root, ROOT_KEYS);
  if (!entries) return undefined;
  const defaults = readProbeDefaults(r, present(entries.get('defaults')));
  const bind = readBind(r, present(entries.get('bind')));
  const bucketsField = present(entries.get('histogram_buckets'));
  const histogramBuckets = bucketsField ? readHistogramBuckets(r, bucketsField) : DEFAULT_HISTOGRAM_BUCKETS;
  const dns = readDns(r, present(entries.get('dns')));
  const labelsField = present(entries.get('labels'));
  const labels = labelsField ? readGlobalLabels(r, labelsField, env) : {};
  const context = { defaults, labels: labels ?? {}, env };
  const targets = readTargets(r, present(entries.get('targets')), context);
  const groups = readTargetGroups(r, present(entries.get('target_groups')), context);
  const limitField = present(entries.get('cardinality_limit'));
  const cardinalityLimit = limitField
    ? readInteger(r, limitField, 1, Number.MAX_SAFE_INTEGER)
    : targets && defaultCardinalityLimit(targets);
  const otlpEntry = entries.get('otlp');
  const otlp = otlpEntry && readOtlp(r, otlpEntry.value);
  const nativeEntry = entries.get('native_histograms');
  const nativeHistograms = nativeEntry && readNativeHistograms(r, nativeEntry.value);
  if (!histogramBuckets || !dns || !targets || !labels || !groups || cardinalityLimit === undefined)
    return undefined;
  if (otlpEntry && !otlp) return undefined;
  const budgetEntry = entries.get('trace_budget');
  const traceBudget = budgetEntry && readTraceBudget(r, budgetEntry.value);
  if (nativeEntry && !nativeHistograms) return undefined;
  if (budgetEntry && !traceBudget) return undefined;
  return {
    file,
    bind,
    histogramBuckets,
    cardinalityLimit,
    dns,
    targets,
    ...(groups.length > 0 && { targetGroups: groups }),
    ...(otlp && { otlp }),
    ...(nativeHistograms && { nativeHistograms }),
    ...(traceBudget && { traceBudget }),
  };
}
