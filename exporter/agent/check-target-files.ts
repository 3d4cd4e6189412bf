import {
  composeTargets,
  ConfigError,
  formatIssues,
  MAX_TARGET_FILE_BYTES,
  parseTargetFile,
  readConfigFile,
  readProblem,
  type Config,
  type TargetFileContent,
} from '../config';
import { filesMatching } from './file-pattern';

/** What `--config.check` finds in the files of a config's target groups. */
export interface TargetFilesCheck {
  /** Files the groups' patterns match now. */
  readonly files: number;
  /** The config's targets and those of its files together. */
  readonly targets: number;
  /** Every problem, `FILE:LINE:COL: …`, in file order; empty when every file is good. */
  readonly problems: readonly string[];
}

/**
 * Reads every file of the config's target groups as the running exporter would and composes them
 * with the config's own targets: syntax, hosts, labels, duplicate names across files and the list.
 * The messages carry the files' text (quoted values), for whoever runs the check.
 */
export async function checkTargetFiles(config: Config): Promise<TargetFilesCheck> {
  const contents: TargetFileContent[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const group of config.targetGroups ?? []) {
    for (const pattern of group.files) {
      for (const file of await filesMatching(pattern)) {
        if (seen.has(file)) continue;
        seen.add(file);
        try {
          const bytes = await readConfigFile(file, { limit: MAX_TARGET_FILE_BYTES });
          contents.push({ file, fresh: parseTargetFile(bytes, file, group) });
        } catch (error) {
          if (error instanceof ConfigError) problems.push(formatIssues(error));
          else problems.push(`${file}:1:1: (root): cannot read: ${readProblem(error)}`);
        }
      }
    }
  }
  const composed = composeTargets(config, contents);
  for (const file of composed.files) problems.push(...file.problems);
  return { files: seen.size, targets: composed.config.targets.length, problems };
}
