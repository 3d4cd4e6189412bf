import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { repoRoot } from '../support/paths';

// As a user installs it: `npm pack` in the clone, then in an empty project `npm install` of the
// tarball (dependencies from the registry, raw-socket built by node-gyp), then the command it
// installs. Probes loopback only. About a minute: the pack builds, the install compiles.
const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  bin: Record<string, string>;
};

function npm(args: string[], cwd: string): { status: number | null; output: string } {
  const result = spawnSync('npm', args, { cwd, encoding: 'utf8', timeout: 300_000 });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('the package installed from its tarball', { timeout: 600_000 }, () => {
  let dir: string;
  let app: string;
  let tarball: string;
  let packed: string[];
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'netdiag-package-'));
    const pack = spawnSync('npm', ['pack', '--json', '--pack-destination', dir], {
      cwd: repoRoot,
      encoding: 'utf8',
      timeout: 300_000,
    });
    assert.equal(pack.status, 0, pack.stderr);
    // npm pack prints the prepare script's output before its JSON.
    const report = JSON.parse(pack.stdout.slice(pack.stdout.indexOf('[\n'))) as Array<{
      filename: string;
      files: Array<{ path: string }>;
    }>;
    tarball = path.join(dir, report[0]!.filename);
    packed = report[0]!.files.map((f) => f.path);
    app = path.join(dir, 'app');
    mkdirSync(app);
    // What the README tells a user whose npm reviews install scripts (npm 11 warns, 12 blocks):
    // approve, in the project's own package.json, raw-socket (its node-gyp build) and the tarball,
    // a non-registry source approved by its path (npm lists its prepare script, which does not
    // run from a tarball: dist is in it; an addon of our own would build there).
    writeFileSync(
      path.join(app, 'package.json'),
      JSON.stringify({
        name: 'netdiag-install-test',
        private: true,
        allowScripts: { 'raw-socket': true, [`file:${tarball}`]: true },
      }),
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('carries the command, the runtime and the example config, and no tests or benchmarks', () => {
    for (const bin of Object.values(pkg.bin)) assert.ok(packed.includes(bin), `${bin} not packed`);
    for (const file of [
      'dist/index.js',
      'dist/build-info.json',
      'config.example.yaml',
      'LICENSE',
      'README.md',
      // The status page's files, served as they are from beside dist/.
      'exporter/status/public/common.js',
      'exporter/status/public/chart.js',
      'exporter/status/public/index.js',
      'exporter/status/public/target.js',
      'exporter/status/public/status.css',
    ])
      assert.ok(packed.includes(file), `${file} not packed`);
    assert.deepEqual(
      packed.filter((f) => f.startsWith('dist/test/') || f.startsWith('dist/bench/')),
      [],
    );
    // A native addon of our own is built where the package is installed: its sources must travel.
    if (existsSync(path.join(repoRoot, 'binding.gyp'))) {
      assert.ok(packed.includes('binding.gyp'), 'binding.gyp not packed');
      assert.ok(
        packed.some((f) => f.startsWith('native/')),
        'native/ sources not packed',
      );
    }
  });

  it('installs in an empty project, building raw-socket and the native module, with every install script approved', () => {
    const install = npm(['install', '--no-audit', '--no-fund', tarball], app);
    assert.equal(install.status, 0, install.output);
    assert.doesNotMatch(install.output, /not yet covered by allowScripts/);
    assert.ok(existsSync(path.join(app, 'node_modules', 'raw-socket', 'build', 'Release', 'raw.node')));
    for (const addon of ['netdiag_raw_socket.node', 'netdiag_process.node']) {
      const native = path.join(app, 'node_modules', pkg.name, 'build', 'Release', addon);
      assert.ok(existsSync(native), `the package built native/ (${addon}) where it was installed`);
    }
  });

  it('finds the status page files where it was installed', () => {
    const assets = path.join(app, 'node_modules', pkg.name, 'dist', 'exporter', 'status', 'page-assets.js');
    const paths = execFileSync(
      process.execPath,
      ['-e', `console.log([...require(${JSON.stringify(assets)}).readPageAssets().keys()].join(' '))`],
      { cwd: app, encoding: 'utf8' },
    ).trim();
    assert.equal(
      paths,
      '/status/status.css /status/common.js /status/index.js /status/target.js /status/chart.js',
    );
  });

  it('npx netdiag-exporter --version names the version and the commit it was packed from', () => {
    const out = execFileSync('npx', ['--no-install', 'netdiag-exporter', '--version'], {
      cwd: app,
      encoding: 'utf8',
    });
    const head = existsSync(path.join(repoRoot, '.git'))
      ? execFileSync('git', ['-C', repoRoot, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim()
      : 'unknown';
    assert.match(
      out,
      new RegExp(`^netdiag-exporter, version ${pkg.version.replace(/\./g, '\\.')} \\(revision: ${head}\\)\n`),
    );
    assert.match(out, new RegExp(`^  node version: +${process.version.replace(/\./g, '\\.')}$`, 'm'));
  });

  it('pings 127.0.0.1 for real, and checks the example config it ships', () => {
    const ping = spawnSync(
      'npx',
      ['--no-install', 'netdiag-exporter', 'ping', '-c', '2', '-i', '0.2', '127.0.0.1'],
      {
        cwd: app,
        encoding: 'utf8',
        timeout: 30_000,
      },
    );
    assert.equal(ping.status, 0, `${ping.stdout}${ping.stderr}`);
    assert.match(ping.stdout, /^2 packets transmitted, 2 received, 0% packet loss/m);
    const example = path.join(app, 'node_modules', pkg.name, 'config.example.yaml');
    const check = spawnSync(
      'npx',
      ['--no-install', 'netdiag-exporter', '--config.check', `--config.file=${example}`],
      {
        cwd: app,
        encoding: 'utf8',
      },
    );
    assert.equal(check.status, 0, check.stderr);
    assert.match(check.stdout, /: valid, \d+ target\(s\)$/m);
  });
});
