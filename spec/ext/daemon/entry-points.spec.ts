/**
 * One daemon, every entry point a user has: started, queried and stopped
 * through the compiled file with and without `.js`, a bin wrapper that
 * requires it, a symbolic link to it and the TypeScript source under tsx,
 * each operating the daemon another one started. Identity is the held pid
 * file, so how the program was started never matters.
 */
import { expect } from 'chai';
import { chmodSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  daemonFixture,
  exists,
  expectOutput,
  isAlive,
  type InvokeOptions,
  useDaemonSandbox,
} from '../../helpers/daemon';

const ROOT = resolve(__dirname, '../../../..');
const COMPILED = daemonFixture('entry-points');
const SOURCE = join(ROOT, 'spec/fixtures/daemon/entry-points.ts');

function hasTsx(): boolean {
  try {
    require.resolve('tsx', { paths: [ROOT] });
    return true;
  } catch {
    return false;
  }
}

interface EntryPoint {
  readonly name: string;
  readonly script: string;
  readonly options: InvokeOptions;
}

describe('pid file identity across entry points', function () {
  this.timeout(90_000);
  const sandbox = useDaemonSandbox();

  /** The entry points, in the sandbox: the wrapper and the link are made there. */
  function entryPoints(): EntryPoint[] {
    const wrapper = sandbox.path('myapp-bin');
    writeFileSync(wrapper, `#!/usr/bin/env node\nrequire(${JSON.stringify(COMPILED)});\n`);
    chmodSync(wrapper, 0o755);
    const link = sandbox.path('myapp-link.js');
    symlinkSync(COMPILED, link);
    const points: EntryPoint[] = [
      { name: 'the compiled file', script: COMPILED, options: {} },
      { name: 'the compiled file without .js', script: COMPILED.replace(/\.js$/, ''), options: {} },
      { name: 'a bin wrapper', script: wrapper, options: {} },
      { name: 'a symbolic link', script: link, options: {} },
    ];
    if (hasTsx()) {
      points.push({
        name: 'tsx',
        script: SOURCE,
        options: {
          execArgv: ['--import', 'tsx'],
          cwd: ROOT,
          env: { TSX_TSCONFIG_PATH: join(ROOT, 'tsconfig.test.json'), TSX_DISABLE_CACHE: '1' },
        },
      });
    } else {
      process.stdout.write(
        '      (tsx is not installed: its entry point is left out; run npm ci to install the development dependencies)\n',
      );
    }
    return points;
  }

  it('each starts a daemon that the others see running, refuse to start again, and stop', async () => {
    const points = entryPoints();
    for (let index = 0; index < points.length; index++) {
      const [start, status, again, stop] = [0, 1, 2, 3].map((offset) => points[(index + offset) % points.length]);
      const what = `started through ${start.name}`;
      const started = await sandbox.run(start.script, ['run-forever', '--daemon'], start.options);
      expect(started.code, `${what}: ${started.stderr}`).to.equal(0);
      const daemon = sandbox.daemonPid();

      expectOutput(
        await sandbox.run(status.script, ['daemon', 'status'], status.options),
        0,
        `myapp is running (pid ${daemon})\n`,
      );
      const second = await sandbox.run(again.script, ['run-forever', '--daemon'], again.options);
      expect(second.code, `${what}, again through ${again.name}: ${second.stderr}`).to.equal(1);
      expect(second.stderrLines, `${what}, again through ${again.name}`).to.deep.equal([
        `myapp: error: already running (pid ${daemon}, ${sandbox.pidFile})`,
      ]);

      expectOutput(
        await sandbox.run(stop.script, ['daemon', 'stop'], stop.options),
        0,
        `myapp stopped (pid ${daemon})\n`,
      );
      expect(isAlive(daemon), `${what}, stopped through ${stop.name}`).to.equal(false);
      expect(exists(sandbox.pidFile), `${what}: the pid file after stop`).to.equal(false);
    }
  });
});
