import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

/** What `--version` prints and `netdiag_build_info` carries. */
export interface BuildIdentity {
  /** package.json's version, or "unknown". */
  readonly version: string;
  /** The git commit the build came from, or "unknown". */
  readonly revision: string;
  /** process.version, e.g. v20.20.2. */
  readonly nodeVersion: string;
}

/** The file `npm run build` writes into dist (scripts/write-build-info.mjs): `{ "revision": "…" }`. */
export const BUILD_INFO_FILE = 'build-info.json';

let cached: BuildIdentity | undefined;

/** This process's build, read once: from dist/ (compiled) or the source tree. */
export function buildIdentity(): BuildIdentity {
  if (cached) return cached;
  const root = packageRoot();
  cached = {
    version: root ? readVersion(root) : 'unknown',
    revision: root ? buildRevision(root) : 'unknown',
    nodeVersion: process.version,
  };
  return cached;
}

/**
 * The commit of the package at `root`. In a clone (`.git` at the root), git's HEAD: the file in
 * dist may be older than the last `tsc`. Installed from a tarball or an image, the revision that
 * `npm run build` wrote into dist when the package was made. Neither: "unknown".
 */
export function buildRevision(root: string): string {
  if (existsSync(path.join(root, '.git'))) {
    const git = spawnSync('git', ['-C', root, 'rev-parse', 'HEAD'], { encoding: 'utf8', timeout: 2_000 });
    const head = git.status === 0 ? git.stdout.trim() : '';
    if (/^[0-9a-f]{40,64}$/.test(head)) return head;
  }
  try {
    const info = JSON.parse(readFileSync(path.join(root, 'dist', BUILD_INFO_FILE), 'utf8')) as {
      revision?: unknown;
    };
    if (typeof info.revision === 'string' && /^[0-9a-f]{40,64}$/.test(info.revision)) return info.revision;
  } catch {
    // not written: a build by tsc alone outside a clone
  }
  return 'unknown';
}

/** The folder holding netdiag-exporter's package.json, from dist/exporter/cli or exporter/cli. */
function packageRoot(): string | undefined {
  for (const up of ['../../..', '../..']) {
    const root = path.resolve(__dirname, up);
    if (readVersion(root) !== 'unknown') return root;
  }
  return undefined;
}

function readVersion(root: string): string {
  try {
    const json = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
      name?: unknown;
      version?: unknown;
    };
    if (json.name === 'netdiag-exporter' && typeof json.version === 'string') return json.version;
  } catch {
    // not at this level
  }
  return 'unknown';
}

/** `--version`, in the shape of Prometheus exporters' (`node_exporter, version … (revision: …)`). */
export function versionText(identity: BuildIdentity): string {
  return [
    `netdiag-exporter, version ${identity.version} (revision: ${identity.revision})`,
    `  node version:     ${identity.nodeVersion}`,
    `  platform:         ${process.platform}/${process.arch}`,
  ].join('\n');
}
