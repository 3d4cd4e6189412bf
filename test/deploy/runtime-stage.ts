import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { repoRoot } from '../support/paths';
import { execForm, instructionsOf, parseDockerfile, splitFlags, type Stage } from './dockerfile';

/** The runtime stage laid out in a scratch directory standing for the image's `/`. */
export interface ReplayedImage {
  rootfs: string;
  /** USER of the runtime stage. */
  uid: number;
  gid: number;
  /** ENTRYPOINT + CMD, image paths rewritten into rootfs (`node` is the image's /usr/local/bin/node). */
  command: string[];
  /** The HEALTHCHECK command, rewritten the same way. */
  healthcheck: string[];
}

/**
 * Replays the Dockerfile without Docker. The build stage's output is taken from this checkout (its
 * `npm ci` with the compiled raw-socket addon, and its tsc build of the directories the build stage
 * copies), then the build stage's own `npm prune` command is run on a copy; the runtime stage's COPY
 * instructions are carried out into a scratch root, and its `setcap` is applied to a copy of this
 * machine's node placed where the image has its node.
 */
export function replayRuntimeStage(): ReplayedImage {
  const dockerfile = parseDockerfile(readFileSync(path.join(repoRoot, 'Dockerfile'), 'utf8'));
  const build = requireStage(dockerfile.stages, 'build');
  const runtime = requireStage(dockerfile.stages, 'runtime');
  const scratch = mkdtempSync(path.join(tmpdir(), 'netdiag-image-'));
  chmodSync(scratch, 0o755); // the image's non-root user must read it all

  const buildDir = path.join(scratch, 'build');
  const buildWorkdir = workdirOf(build);
  mkdirSync(buildDir);
  for (const file of ['package.json', 'package-lock.json'])
    copyFileSync(path.join(repoRoot, file), path.join(buildDir, file));
  cpSync(path.join(repoRoot, 'node_modules'), path.join(buildDir, 'node_modules'), { recursive: true });
  // What the build stage's `npm run install` leaves: node-gyp's output of this checkout's `npm ci`.
  cpSync(path.join(repoRoot, 'build', 'Release'), path.join(buildDir, 'build', 'Release'), {
    recursive: true,
  });
  for (const source of compiledSources(build)) {
    cpSync(path.join(repoRoot, 'dist', source), path.join(buildDir, 'dist', source), { recursive: true });
    // The sources stay in the build stage beside what tsc made of them (the runtime stage copies the
    // status page's files from exporter/status/public).
    if (!source.endsWith('.js'))
      cpSync(path.join(repoRoot, source), path.join(buildDir, source), { recursive: true });
  }
  const prune = /npm prune[^&]*/.exec(
    instructionsOf(build, 'RUN')
      .map((i) => i.args)
      .join('\n'),
  );
  if (!prune) throw new Error('the build stage has no npm prune');
  execFileSync('sh', ['-c', prune[0]], { cwd: buildDir, stdio: 'pipe' });

  const rootfs = path.join(scratch, 'rootfs');
  let workdir = '/';
  for (const instruction of runtime.instructions) {
    if (instruction.keyword === 'WORKDIR') workdir = path.posix.resolve(workdir, instruction.args);
    if (instruction.keyword !== 'COPY') continue;
    const { flags, rest } = splitFlags(instruction.args);
    const [source, target] = rest.split(/\s+/) as [string, string];
    const from =
      flags.from === 'build'
        ? path.join(buildDir, path.posix.relative(buildWorkdir, source))
        : path.join(repoRoot, source);
    const to = path.join(rootfs, path.posix.resolve(workdir, target));
    mkdirSync(path.dirname(to), { recursive: true });
    cpSync(from, to, { recursive: true });
  }

  const runs = instructionsOf(runtime, 'RUN')
    .map((i) => i.args)
    .join('\n');
  const setcap = /setcap (\S+) \/usr\/local\/bin\/node/.exec(runs);
  const node = path.join(rootfs, 'usr/local/bin/node');
  mkdirSync(path.dirname(node), { recursive: true });
  copyFileSync(process.execPath, node);
  if (setcap) execFileSync('setcap', [setcap[1]!, node]);
  execFileSync('chmod', ['-R', 'a+rX', rootfs]);

  const user = lastArgs(runtime, 'USER').split(':');
  const healthcheck = /CMD\s+(\[.*\])$/.exec(lastArgs(runtime, 'HEALTHCHECK'));
  const intoRootfs = (argv: string[]): string[] => argv.map((arg) => rewrite(arg, rootfs));
  return {
    rootfs,
    uid: Number(user[0]),
    gid: Number(user[1] ?? user[0]),
    command: intoRootfs([...execFormOf(runtime, 'ENTRYPOINT'), ...execFormOf(runtime, 'CMD')]),
    healthcheck: intoRootfs(execForm(healthcheck?.[1] ?? '') ?? []),
  };
}

function requireStage(stages: Stage[], name: string): Stage {
  const stage = stages.find((s) => s.name === name);
  if (!stage) throw new Error(`no stage ${name} in the Dockerfile`);
  return stage;
}

function workdirOf(stage: Stage): string {
  return instructionsOf(stage, 'WORKDIR').at(-1)?.args ?? '/';
}

function lastArgs(stage: Stage, keyword: string): string {
  const found = instructionsOf(stage, keyword).at(-1);
  if (!found) throw new Error(`no ${keyword} in stage ${stage.name}`);
  return found.args;
}

function execFormOf(stage: Stage, keyword: string): string[] {
  const argv = execForm(lastArgs(stage, keyword));
  if (!argv) throw new Error(`${keyword} is not in exec form`);
  return argv;
}

/** dist/ entries that tsc makes from the TypeScript the build stage copies (index.ts -> index.js, probes/ -> probes/). */
function compiledSources(build: Stage): string[] {
  const sources = instructionsOf(build, 'COPY').flatMap((i) => i.args.split(/\s+/).slice(0, -1));
  return sources.flatMap((source) => {
    if (source.endsWith('.ts')) return [source.replace(/\.ts$/, '.js')];
    if (source === 'types' || source.includes('.')) return []; // declarations and config: nothing emitted
    // A folder without TypeScript (native/: C++ for node-gyp) emits nothing either.
    if (!readdirSync(path.join(repoRoot, source)).some((file) => file.endsWith('.ts'))) return [];
    return [source];
  });
}

/** `node` becomes the image's node; absolute image paths inside an argument move under rootfs. */
function rewrite(arg: string, rootfs: string): string {
  if (arg === 'node') return path.join(rootfs, 'usr/local/bin/node');
  return arg.replace(/(^|=)(\/(?:app|etc)\/\S*)/g, (_all, lead: string, p: string) => `${lead}${rootfs}${p}`);
}
