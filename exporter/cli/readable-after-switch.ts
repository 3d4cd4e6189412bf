import { accessSync, constants } from 'node:fs';
import * as path from 'node:path';
import type { Logger } from '../logging';
import type { Account } from './privileges';

/**
 * After the switch from root to `account`: warns, once at start, for each file the exporter
 * re-reads later (the config on reload, the web config and its certificates) that the new user
 * cannot read, with why and how to fix it. A clone under /root is the usual case: it loads as
 * root, then every reload would fail with EACCES and nothing would say why.
 *
 * Only a warning, not a kept descriptor: a descriptor opened as root would keep reading the old
 * file once an editor or a Kubernetes ConfigMap replaces it by a rename, and report success.
 */
export function warnUnreadableAfterSwitch(
  files: ReadonlyArray<{ readonly file: string; readonly what: string; readonly effect: string }>,
  account: Account,
  logger: Logger,
): void {
  for (const { file, what, effect } of files) {
    const blocked = unreadable(file);
    if (!blocked) continue;
    logger.warn(`${what} is not readable by ${account.name}, the user the exporter switched to: ${effect}`, {
      code: 'ERR_CONFIG_LOAD',
      file,
      user: account.name,
      cause: blocked.cause,
      fix:
        `let ${account.name} read it (chmod o+r on the file and o+x on ${blocked.at}), ` +
        'move it to a readable place such as /etc/netdiag-exporter/, ' +
        'or pass --user= to stay root',
    });
  }
}

/** Why `file` cannot be read now, naming the first directory on its path that cannot be searched. */
function unreadable(file: string): { cause: string; at: string } | undefined {
  try {
    accessSync(file, constants.R_OK);
    return undefined;
  } catch (error) {
    const cause = (error as NodeJS.ErrnoException).code ?? 'ERR_UNKNOWN';
    const absolute = path.resolve(file);
    let at = 'the directories above it';
    for (let dir = path.dirname(absolute); ; dir = path.dirname(dir)) {
      try {
        accessSync(dir, constants.X_OK);
      } catch {
        at = dir;
      }
      if (dir === path.dirname(dir)) break;
    }
    return { cause, at };
  }
}
