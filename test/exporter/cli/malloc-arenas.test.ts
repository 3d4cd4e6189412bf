import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { arenaReexec, limitMallocArenas, MALLOC_ARENAS } from '../../../exporter/cli/malloc-arenas';

const facts = (env: NodeJS.ProcessEnv, platform: NodeJS.Platform = 'linux') => ({
  platform,
  env,
  execPath: '/usr/bin/node',
  execArgv: ['--max-old-space-size=512'],
  argv: ['/usr/bin/node', '/app/dist/exporter/cli/main.js', '--config.file=/etc/x.yaml'],
});

describe('malloc arenas (the exporter starts again with MALLOC_ARENA_MAX)', () => {
  it('execs the same node, its flags, the script and its arguments, with the environment plus MALLOC_ARENA_MAX', () => {
    assert.deepEqual(arenaReexec(facts({ PATH: '/bin', EMPTY: '', GONE: undefined })), {
      file: '/usr/bin/node',
      argv: [
        '/usr/bin/node',
        '--max-old-space-size=512',
        '/app/dist/exporter/cli/main.js',
        '--config.file=/etc/x.yaml',
      ],
      env: ['PATH=/bin', 'EMPTY=', `MALLOC_ARENA_MAX=${MALLOC_ARENAS}`],
    });
  });

  it('does nothing when the variable is set (by the user, or by the start before: once only), or off Linux', () => {
    assert.equal(arenaReexec(facts({ MALLOC_ARENA_MAX: '2' })), undefined);
    assert.equal(arenaReexec(facts({ MALLOC_ARENA_MAX: '8' })), undefined);
    assert.equal(arenaReexec(facts({}, 'darwin')), undefined);
  });

  it('hands the plan to exec, and returns its failure (the exporter runs on) or nothing without an addon', () => {
    const calls: unknown[][] = [];
    const failing = (...args: unknown[]): never => {
      calls.push(args);
      throw Object.assign(new Error('execve failed: Permission denied'), { errno: 13 });
    };
    const error = limitMallocArenas(failing, facts({ PATH: '/bin' }));
    assert.equal(error?.code, 'ERR_REEXEC');
    assert.equal(
      error.message,
      'could not start again with MALLOC_ARENA_MAX=2: execve failed: Permission denied',
    );
    assert.equal(calls.length, 1);
    assert.equal(calls[0]![0], '/usr/bin/node');
    assert.equal(limitMallocArenas(undefined, facts({ PATH: '/bin' })), undefined);
    assert.equal(limitMallocArenas(failing, facts({ MALLOC_ARENA_MAX: '2' })), undefined);
    assert.equal(calls.length, 1, 'not called when the variable is set');
  });
});
