#!/usr/bin/env node
// Run by `npm run build` (and so by npm pack and npm ci, through prepare): records the git commit
// the build came from in dist/build-info.json, which an installed package (no .git) reports as its
// revision (--version, netdiag_build_info). Outside a clone it writes $NETDIAG_REVISION when that is a
// commit hash (the image build passes its REVISION build argument), else "unknown".
import { spawnSync } from 'node:child_process';
import process from 'node:process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const git = spawnSync('git', ['-C', root, 'rev-parse', 'HEAD'], { encoding: 'utf8' });
const head = git.status === 0 ? git.stdout.trim() : (process.env.NETDIAG_REVISION ?? '');
const revision = /^[0-9a-f]{40,64}$/.test(head) ? head : 'unknown';
mkdirSync(join(root, 'dist'), { recursive: true });
writeFileSync(join(root, 'dist', 'build-info.json'), `${JSON.stringify({ revision })}\n`);
