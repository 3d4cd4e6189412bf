import { defaultCardinalityLimit } from './defaults';
import { MAX_TARGETS } from './limits';
import { quote } from './reader';
import type { FileTarget } from './target-file';
import type { Config } from './types';

/** The targets a file offers: its new content when it was just read, and its last good one. */
export interface TargetFileContent {
  readonly file: string;
  /** Content read now and not applied yet; absent when the file did not change or could not be read. */
  readonly fresh?: readonly FileTarget[];
  /** The content applied last; absent before the file was first read well. */
  readonly lastGood?: readonly FileTarget[];
}

/** What a file contributes to a composed config, and why it is in error when it is. */
export interface ComposedFile {
  readonly file: string;
  /** The content taken: `fresh` when it fits, else `lastGood` (or nothing). */
  readonly taken: readonly FileTarget[];
  /** Whether `fresh` was taken. */
  readonly tookFresh: boolean;
  /** Duplicate names and the target bound, one message each, `FILE:LINE:COL: message`. */
  readonly problems: readonly string[];
}

export interface Composition {
  readonly config: Config;
  readonly files: readonly ComposedFile[];
}

/**
 * The running config: the config file's own targets, then those of the files that did not change,
 * then those of the files read anew, each group in the order given. A name already taken is an
 * error naming both places. A fresh content that clashes is refused whole (the
 * file keeps its last good content, as for a syntax error); a last good content that clashes with a
 * newcomer of the config file keeps its other targets and loses the clashing ones, so that the
 * config file always wins. The cardinality limit's default grows with the files' targets; a limit
 * set in the file is kept (one set to exactly the default of the file's own targets is taken for
 * the default: raising it then errs on the side of keeping series).
 */
export function composeTargets(base: Config, files: readonly TargetFileContent[]): Composition {
  const taken = new Map<string, string>();
  base.targets.forEach((target, index) => taken.set(target.name, `${base.file}: targets[${index}]`));
  let count = base.targets.length;
  const composed: ComposedFile[] = new Array<ComposedFile>(files.length);
  // Files that did not change first: what runs keeps its names, a newcomer is the one in error.
  const order = [...files.keys()].sort((x, y) => Number(!!files[x]!.fresh) - Number(!!files[y]!.fresh));
  for (const index of order) {
    const content = files[index]!;
    const problems: string[] = [];
    let tookFresh = false;
    let chosen: readonly FileTarget[] = [];
    if (content.fresh) {
      const clashes = clashesOf(content.fresh, taken);
      const over = count + content.fresh.length - MAX_TARGETS;
      if (clashes.length === 0 && over <= 0) {
        chosen = content.fresh;
        tookFresh = true;
      } else {
        problems.push(...clashes);
        if (over > 0) problems.push(overLimit(content.file, over));
      }
    }
    if (!tookFresh && content.lastGood) {
      const clashes = clashesOf(content.lastGood, taken);
      problems.push(...clashes);
      chosen = content.lastGood.filter(({ target }) => !taken.has(target.name));
      const room = Math.max(0, MAX_TARGETS - count);
      if (chosen.length > room) {
        problems.push(overLimit(content.file, chosen.length - room));
        chosen = chosen.slice(0, room);
      }
    }
    for (const { target, at } of chosen) taken.set(target.name, at);
    count += chosen.length;
    composed[index] = { file: content.file, taken: chosen, tookFresh, problems };
  }
  // In the files' order, whichever were read anew: the same files give the same list.
  const targets = [...base.targets, ...composed.flatMap((file) => file.taken.map(({ target }) => target))];
  const limitIsDefault = base.cardinalityLimit === defaultCardinalityLimit(base.targets);
  const cardinalityLimit = limitIsDefault ? defaultCardinalityLimit(targets) : base.cardinalityLimit;
  // Frozen one level: the base is deep-frozen already, and so is every file target (parseTargetFile).
  return {
    config: Object.freeze({ ...base, targets: Object.freeze(targets), cardinalityLimit }),
    files: composed,
  };
}

function clashesOf(content: readonly FileTarget[], taken: ReadonlyMap<string, string>): string[] {
  const clashes: string[] = [];
  for (const { target, at } of content) {
    const first = taken.get(target.name);
    if (first) clashes.push(`${at}: duplicate target name ${quote(target.name)} (first at ${first})`);
  }
  return clashes;
}

function overLimit(file: string, over: number): string {
  return `${file}: ${over} targets over the limit of ${MAX_TARGETS} targets in the config and its target files together`;
}
