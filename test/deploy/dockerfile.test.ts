import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from '../support/paths';
import { execForm, instructionsOf, parseDockerfile, splitFlags, type Stage } from './dockerfile';

const dockerfile = parseDockerfile(readFileSync(path.join(repoRoot, 'Dockerfile'), 'utf8'));
const dockerignore = readFileSync(path.join(repoRoot, '.dockerignore'), 'utf8')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line !== '' && !line.startsWith('#'));

function stage(name: string): Stage {
  const found = dockerfile.stages.find((s) => s.name === name);
  assert.ok(found, `a stage named ${name}`);
  return found;
}
const runs = (s: Stage): string =>
  instructionsOf(s, 'RUN')
    .map((i) => i.args)
    .join('\n');
const last = (s: Stage, keyword: string): string => {
  const found = instructionsOf(s, keyword).at(-1);
  assert.ok(found, `${s.name} has ${keyword}`);
  return found.args;
};

describe('Dockerfile', () => {
  it('has a build stage and a slim runtime stage on Node 20 bookworm, the runtime stage last', () => {
    assert.deepEqual(
      dockerfile.stages.map((s) => s.name),
      ['build', 'runtime'],
    );
    assert.match(stage('build').base, /^node:20-bookworm(-slim)?$/);
    assert.equal(stage('runtime').base, 'node:20-bookworm-slim');
  });

  it('builds the native addons (raw-socket, native/) with the node-gyp toolchain in the build stage only', () => {
    const build = runs(stage('build'));
    const installed = /apt-get install (.*?)(&&|$)/m.exec(build)?.[1]?.split(/\s+/) ?? [];
    for (const tool of ['python3', 'make', 'g++']) assert.ok(installed.includes(tool), tool);
    assert.match(build, /npm ci\b/);
    assert.match(build, /npm rebuild raw-socket/);
    assert.match(build, /npm run install\b/, "the package's own install script builds native/");
    assert.match(build, /tsc\b/);
    assert.match(build, /npm prune --omit=dev/);
    const runtime = runs(stage('runtime'));
    assert.doesNotMatch(runtime, /\b(g\+\+|make|python3|npm (ci|install))\b/);
  });

  it('copies only production node_modules, dist, package.json, the native modules and the status page files from the build stage, and the example config', () => {
    const copies = instructionsOf(stage('runtime'), 'COPY').map((i) => splitFlags(i.args));
    const fromBuild = copies.filter((c) => c.flags.from === 'build').map((c) => c.rest.split(/\s+/)[0]);
    assert.deepEqual(fromBuild.sort(), [
      '/src/build/Release/netdiag_process.node',
      '/src/build/Release/netdiag_raw_socket.node',
      '/src/dist',
      '/src/exporter/status/public',
      '/src/node_modules',
      '/src/package.json',
    ]);
    const fromContext = copies.filter((c) => c.flags.from === undefined).map((c) => c.rest);
    assert.deepEqual(fromContext, ['config.example.yaml /etc/netdiag-exporter/config.yaml']);
  });

  it('gives node CAP_NET_RAW as a file capability and strips setuid bits in the runtime stage', () => {
    const runtime = runs(stage('runtime'));
    assert.match(runtime, /setcap cap_net_raw\+ep \/usr\/local\/bin\/node/);
    assert.match(runtime, /-perm \/6000 .*chmod a-s/);
  });

  it('runs as a numeric non-root user', () => {
    const user = last(stage('runtime'), 'USER');
    assert.match(user, /^\d+(:\d+)?$/, 'numeric, so that runAsNonRoot can verify it');
    assert.notEqual(Number(user.split(':')[0]), 0);
  });

  it('exposes 9469 and checks health with node (no curl in the slim image)', () => {
    assert.equal(last(stage('runtime'), 'EXPOSE'), '9469');
    const { flags, rest } = splitFlags(last(stage('runtime'), 'HEALTHCHECK'));
    assert.ok(flags.interval && flags.timeout, 'interval and timeout set');
    assert.ok(rest.startsWith('CMD '));
    const argv = execForm(rest.slice('CMD '.length));
    assert.ok(argv, 'exec form');
    assert.equal(argv[0], 'node');
    assert.deepEqual(argv.slice(1), [
      '/app/dist/exporter/cli/main.js',
      'healthcheck',
      '--web.listen-address=127.0.0.1:9469',
    ]);
  });

  it('starts the CLI with the config at /etc/netdiag-exporter/config.yaml, in exec form', () => {
    const entrypoint = execForm(last(stage('runtime'), 'ENTRYPOINT'));
    assert.deepEqual(entrypoint, ['node', '/app/dist/exporter/cli/main.js']);
    const cmd = execForm(last(stage('runtime'), 'CMD'));
    assert.deepEqual(cmd, ['--config.file=/etc/netdiag-exporter/config.yaml']);
  });

  it('keeps dependencies, build output and VCS data out of the build context', () => {
    for (const entry of ['node_modules', 'dist', '.git']) assert.ok(dockerignore.includes(entry), entry);
    const sources = instructionsOf(stage('build'), 'COPY').flatMap((i) => i.args.split(/\s+/).slice(0, -1));
    for (const source of sources)
      assert.ok(!dockerignore.includes(source), `${source} is copied but ignored by .dockerignore`);
  });
});

describe('parseDockerfile', () => {
  it('joins continuations, skips comments inside them and reads stage names', () => {
    const parsed = parseDockerfile(
      'ARG V=1\nFROM a:1 AS one\n# note\nRUN x \\\n  # inner\n  && y\nfrom --platform=linux/amd64 b AS two\nCMD ["a", "b"]\n',
    );
    assert.deepEqual(
      parsed.preamble.map((i) => i.keyword),
      ['ARG'],
    );
    assert.deepEqual(
      parsed.stages.map((s) => [s.base, s.name]),
      [
        ['a:1', 'one'],
        ['b', 'two'],
      ],
    );
    assert.deepEqual(parsed.stages[0]!.instructions, [{ keyword: 'RUN', args: 'x && y', line: 4 }]);
    assert.deepEqual(execForm(parsed.stages[1]!.instructions[0]!.args), ['a', 'b']);
    assert.equal(execForm('node x.js'), undefined);
  });
});
