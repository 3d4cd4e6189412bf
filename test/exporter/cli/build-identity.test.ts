import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';

import {
  BUILD_INFO_FILE,
  buildIdentity,
  buildRevision,
  versionText,
} from '../../../exporter/cli/build-identity';
import { repoRoot } from '../../support/paths';

describe('build identity', () => {
  it('in a clone, the revision is git HEAD and the version package.json’s', () => {
    const head = execFileSync('git', ['-C', repoRoot, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
    const identity = buildIdentity();
    assert.equal(identity.revision, head);
    assert.equal(
      identity.version,
      (JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version,
    );
    assert.equal(identity.nodeVersion, process.version);
  });

  it('installed without .git, the revision written into dist at build; without that file, "unknown"', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'netdiag-build-'));
    try {
      copyFileSync(path.join(repoRoot, 'package.json'), path.join(root, 'package.json'));
      assert.equal(buildRevision(root), 'unknown');
      mkdirSync(path.join(root, 'dist'));
      const written = 'a'.repeat(40);
      writeFileSync(path.join(root, 'dist', BUILD_INFO_FILE), JSON.stringify({ revision: written }));
      assert.equal(buildRevision(root), written);
      writeFileSync(path.join(root, 'dist', BUILD_INFO_FILE), JSON.stringify({ revision: 'not a commit' }));
      assert.equal(buildRevision(root), 'unknown');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('the build script writes the commit an image build passes in when there is no .git (Dockerfile: REVISION)', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'netdiag-build-'));
    try {
      mkdirSync(path.join(root, 'scripts'));
      copyFileSync(
        path.join(repoRoot, 'scripts', 'write-build-info.mjs'),
        path.join(root, 'scripts', 'write-build-info.mjs'),
      );
      const run = (revision: string): string => {
        execFileSync('node', [path.join(root, 'scripts', 'write-build-info.mjs')], {
          env: { ...process.env, NETDIAG_REVISION: revision, GIT_CEILING_DIRECTORIES: tmpdir() },
        });
        return (
          JSON.parse(readFileSync(path.join(root, 'dist', BUILD_INFO_FILE), 'utf8')) as { revision: string }
        ).revision;
      };
      assert.equal(run('b'.repeat(40)), 'b'.repeat(40));
      assert.equal(run('unknown'), 'unknown');
      assert.equal(run('$(rm -rf /)'), 'unknown', 'only a commit hash is written');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('--version reads like a Prometheus exporter’s', () => {
    assert.equal(
      versionText({ version: '1.2.3', revision: 'b'.repeat(40), nodeVersion: 'v20.1.0' }),
      [
        `netdiag-exporter, version 1.2.3 (revision: ${'b'.repeat(40)})`,
        '  node version:     v20.1.0',
        `  platform:         ${process.platform}/${process.arch}`,
      ].join('\n'),
    );
  });
});
