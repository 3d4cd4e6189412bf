import { readFileSync } from 'node:fs';
import { usageError } from '../errors';

/** A local account to run as. */
export interface Account {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

/**
 * Resolves `--user`: a name from the passwd file, a numeric `UID`, or `UID:GID` (a UID alone
 * takes the GID of its passwd entry, or the same number when it has none).
 */
export function lookupAccount(spec: string, passwdFile = '/etc/passwd'): Account {
  const numeric = /^(\d+)(?::(\d+))?$/.exec(spec);
  let entries: Array<{ name: string; uid: number; gid: number }> = [];
  try {
    entries = readFileSync(passwdFile, 'utf8')
      .split('\n')
      .map((line) => line.split(':'))
      .filter((fields) => fields.length >= 4)
      .map(([name, , uid, gid]) => ({ name: name ?? '', uid: Number(uid), gid: Number(gid) }));
  } catch {
    // no passwd file (a scratch image): numeric ids still work
  }
  if (numeric) {
    const uid = Number(numeric[1]);
    const entry = entries.find((e) => e.uid === uid);
    const gid = numeric[2] !== undefined ? Number(numeric[2]) : (entry?.gid ?? uid);
    return { name: entry?.name ?? String(uid), uid, gid };
  }
  const entry = entries.find((e) => e.name === spec);
  if (!entry) throw usageError(`--user: no user "${spec}" in ${passwdFile}; give a name, UID or UID:GID`);
  return entry;
}

/**
 * Switches the process to `account` for good: supplementary groups, GID, then UID (in that order,
 * since changing the UID first would forbid the rest), and checks that root cannot be regained.
 */
export function dropPrivileges(account: Account): void {
  try {
    process.setgroups?.([account.gid]);
    process.setgid?.(account.gid);
    process.setuid?.(account.uid);
  } catch (error) {
    throw usageError(
      `--user: cannot switch to ${account.name} (${account.uid}:${account.gid}): ${(error as Error).message}. ` +
        'Switching needs CAP_SETUID and CAP_SETGID; in a container without them, run it as the ' +
        'unprivileged user directly (see docs/deployment.md) or pass --user= to stay as is',
    );
  }
  if (account.uid !== 0 && canRegainRoot()) {
    throw usageError(`--user: still able to become root after switching to ${account.name}`);
  }
}

function canRegainRoot(): boolean {
  try {
    process.setuid?.(0);
    return true;
  } catch {
    return false;
  }
}
