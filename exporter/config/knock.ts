import { isMap, isSeq } from 'yaml';
import { DEFAULT_KNOCK } from './defaults';
import { formatDuration } from './duration';
import { MAX_PORT, MIN_PORT } from './limits';
import { type Field, isNull, type Reader } from './reader';
import { integerValue, readDuration } from './scalars';
import {
  builtIn,
  type PartialSettings,
  readBlock,
  type Setting,
  type Settings,
  TARGET_BLOCK,
  valuesOf,
} from './setting';
import { checkTiming } from './timing';
import type { KnockProbeConfig } from './types';

/** `port` has no built-in default: it stays unset until a block or `defaults.knock` sets it. */
export type KnockSettings = Settings<Exclude<keyof KnockProbeConfig, 'port'>> & PartialSettings<'port'>;

export const BUILT_IN_KNOCK: KnockSettings = {
  interval: builtIn(DEFAULT_KNOCK.interval, formatDuration(DEFAULT_KNOCK.interval)),
  timeout: builtIn(DEFAULT_KNOCK.timeout, formatDuration(DEFAULT_KNOCK.timeout)),
  window: builtIn(DEFAULT_KNOCK.window, formatDuration(DEFAULT_KNOCK.window)),
};

const READERS = {
  port: integerValue(MIN_PORT, MAX_PORT),
  interval: readDuration,
  timeout: readDuration,
  window: readDuration,
};

/** Reads one knock block (`defaults.knock` or one of a target's) over `base` and checks the merged values. */
export function readKnockBlock(
  r: Reader,
  field: Field | undefined,
  layer: number,
  base: KnockSettings,
): KnockSettings {
  return checkTiming(r, layer, readBlock(r, field, layer, base, READERS));
}

/** A block of a target with where it is written, for messages; no config if any key is invalid. */
interface ReadKnock {
  readonly block: Field;
  readonly port: Setting;
  readonly config: KnockProbeConfig | undefined;
}

/**
 * Reads a target's `knock`: one block, or a list of blocks to knock several ports. A null block
 * takes `defaults.knock` whole. Every block needs a port, from itself or from `defaults.knock`,
 * and no port may be knocked twice. The result is sorted by port.
 */
export function readKnock(r: Reader, field: Field, base: KnockSettings): KnockProbeConfig[] | undefined {
  const single = !isSeq(field.node);
  const blocks = single ? [field] : r.seq(field);
  if (!blocks) return undefined;
  if (blocks.length === 0) {
    r.report(field, 'must list at least one knock block, e.g. { port: 443 }');
    return undefined;
  }
  const knocks = blocks.map((block) => readTargetBlock(r, block, base, single));
  const withPort = knocks.filter((knock) => knock !== undefined);
  const distinct = checkDistinctPorts(r, withPort);
  const configs = withPort.map(({ config }) => config).filter((config) => config !== undefined);
  if (!distinct || configs.length < knocks.length) return undefined;
  return configs.sort((a, b) => a.port - b.port);
}

function readTargetBlock(
  r: Reader,
  block: Field,
  base: KnockSettings,
  single: boolean,
): ReadKnock | undefined {
  if (!isMap(block.node) && !isNull(block)) {
    r.expected(block, single ? 'a mapping or a sequence of mappings' : 'a mapping');
    return undefined;
  }
  const { port, ...timing } = readKnockBlock(r, block, TARGET_BLOCK, base);
  if (port === undefined) {
    r.report(block, 'port is required: set it in this block or in defaults.knock');
    return undefined;
  }
  if (!port) return undefined;
  const values = valuesOf(timing);
  return { block, port, config: values && { port: port.value, ...values } };
}

/** Reports each block knocking a port an earlier block of the target knocks already. */
function checkDistinctPorts(r: Reader, knocks: readonly ReadKnock[]): boolean {
  const first = new Map<number, ReadKnock>();
  let distinct = true;
  for (const knock of knocks) {
    const earlier = first.get(knock.port.value);
    if (!earlier) {
      first.set(knock.port.value, knock);
      continue;
    }
    distinct = false;
    const inherited = knock.port.layer !== TARGET_BLOCK && knock.port.field;
    const origin = inherited ? `from ${inherited.path}, line ${r.line(inherited.offset)}; ` : '';
    const at = where(earlier);
    r.report(
      where(knock),
      `duplicate knock port ${knock.port.value} (${origin}first at ${at.path}, line ${r.line(at.offset)})`,
    );
  }
  return distinct;
}

/** The port of a block where the block sets it, else the block. */
function where({ block, port }: ReadKnock): Field {
  return port.layer === TARGET_BLOCK && port.field ? port.field : block;
}
