/**
 * Operating a daemon: `myapp daemon status` and `myapp daemon stop` run as
 * real child processes against real daemons, and `DaemonService.status()` /
 * `stop()` in process against a pid file naming a live process of this
 * program (which they stop) or a `sleep` (which they leave alone).
 */
import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { App, DaemonService, FrameworkError } from 'mortar';
import {
  DaemonSandbox,
  MYAPP,
  commandLine,
  exists,
  expectOutput,
  isAlive,
  readIfExists,
  waitUntil,
  useDaemonSandbox,
} from '../../helpers/daemon';
import { operateFixture } from '../../helpers/operate';
import type { RunningChild } from '../../helpers/process';
import { TextSink } from '../../helpers/streams';

const STUBBORN = operateFixture('stubborn');

/** A process's command line, arguments joined by spaces. */
function commandOf(pid: number): string {
  return commandLine(pid).trim();
}

/** Starts `script run-forever --daemon` and returns the daemon's pid, checking the start worked. */
async function startDaemon(sandbox: DaemonSandbox, script = MYAPP): Promise<number> {
  const started = await sandbox.run(script, ['run-forever', '--daemon']);
  expect(started.code, `the invoker's exit code\n${started.stderr}`).to.equal(0);
  const pid = sandbox.daemonPid();
  expect(isAlive(pid), `daemon ${pid} is alive`).to.equal(true);
  return pid;
}

/** The pid of a process that has ended and been reaped. */
async function deadPid(sandbox: DaemonSandbox): Promise<number> {
  const child = sandbox.startHelper('true', []);
  await child.waitForExit();
  return child.pid;
}

/** A result with its `undefined` fields left out, so that it compares as the README writes it. */
function defined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as Partial<T>;
}

describe('operating a daemon: myapp daemon status', function () {
  const sandbox = useDaemonSandbox();

  it('exits 0 and names the pid when the daemon runs', async () => {
    const pid = await startDaemon(sandbox);
    const result = await sandbox.run(MYAPP, ['daemon', 'status']);
    expectOutput(result, 0, `myapp is running (pid ${pid})\n`);
    expect(isAlive(pid), 'the daemon still runs').to.equal(true);
  });

  it('exits 3 when there is no pid file', async () => {
    const result = await sandbox.run(MYAPP, ['daemon', 'status']);
    expectOutput(result, 3, 'myapp is not running\n');
  });

  it('exits 1 when the pid file names a dead process, and leaves the file alone', async () => {
    const pid = await deadPid(sandbox);
    writeFileSync(sandbox.pidFile, `${pid}\n`);
    const result = await sandbox.run(MYAPP, ['daemon', 'status']);
    expectOutput(
      result,
      1,
      `myapp is not running, but its stale pid file ${sandbox.pidFile} remains: pid ${pid} is not running\n`,
    );
    expect(readIfExists(sandbox.pidFile)).to.equal(`${pid}\n`);
  });

  it('exits 1 when the pid file holds garbage', async () => {
    writeFileSync(sandbox.pidFile, 'not a pid\n');
    const result = await sandbox.run(MYAPP, ['daemon', 'status']);
    expectOutput(
      result,
      1,
      `myapp is not running, but its stale pid file ${sandbox.pidFile} remains: it holds no valid pid\n`,
    );
  });
});

describe('operating a daemon: myapp daemon stop', function () {
  const sandbox = useDaemonSandbox();

  it('stops a cooperative daemon with SIGTERM: exit 0, the process gone, its pid file removed', async () => {
    const pid = await startDaemon(sandbox);
    const result = await sandbox.run(MYAPP, ['daemon', 'stop']);
    expectOutput(result, 0, `myapp stopped (pid ${pid})\n`);
    expect(isAlive(pid), `daemon ${pid} is gone (or a zombie)`).to.equal(false);
    expect(exists(sandbox.pidFile), 'the pid file exists').to.equal(false);
    expectOutput(await sandbox.run(MYAPP, ['daemon', 'status']), 3, 'myapp is not running\n');
  });

  it('kills a daemon that ignores SIGTERM once --timeout runs out, and removes the pid file it leaves', async () => {
    const pid = await startDaemon(sandbox, STUBBORN);
    const startedAt = Date.now();
    const result = await sandbox.run(STUBBORN, ['daemon', 'stop', '--timeout', '1']);
    const elapsedMs = Date.now() - startedAt;
    expectOutput(result, 0, `myapp did not stop within 1 s: killed (pid ${pid})\n`);
    expect(elapsedMs, 'time taken by `daemon stop --timeout 1`').to.be.within(1000, 5000);
    expect(isAlive(pid), `daemon ${pid} is gone (or a zombie)`).to.equal(false);
    expect(exists(sandbox.pidFile), 'the pid file exists').to.equal(false);
  });

  it('exits 0 saying so when the daemon is not running', async () => {
    const result = await sandbox.run(MYAPP, ['daemon', 'stop']);
    expectOutput(result, 0, 'myapp is not running\n');
  });

  it('removes a pid file that names a dead process', async () => {
    const pid = await deadPid(sandbox);
    writeFileSync(sandbox.pidFile, `${pid}\n`);
    const result = await sandbox.run(MYAPP, ['daemon', 'stop']);
    expectOutput(result, 0, `myapp is not running; removed its stale pid file: pid ${pid} is not running\n`);
    expect(exists(sandbox.pidFile), 'the pid file exists').to.equal(false);
  });

  it('removes a pid file that holds garbage', async () => {
    writeFileSync(sandbox.pidFile, 'not a pid\n');
    const result = await sandbox.run(MYAPP, ['daemon', 'stop']);
    expectOutput(result, 0, 'myapp is not running; removed its stale pid file: it holds no valid pid\n');
    expect(readIfExists(sandbox.pidFile), 'the pid file after `daemon stop` said it removed it').to.equal(undefined);
  });
});

describe('operating a daemon: DaemonService.status() and stop() in process', function () {
  let app: App | undefined;
  const sandbox = useDaemonSandbox({
    beforeCleanUp: async () => {
      const closing = app;
      app = undefined;
      await closing?.close();
    },
  });

  /** The daemon service of a set-up app whose `[daemon] pid_file` is the sandbox's, or none with `hasPidFile` false. */
  async function service(hasPidFile = true): Promise<DaemonService> {
    app = new App('operated', {
      extensions: ['daemon'],
      configFiles: [],
      handleSignals: false,
      argv: [],
      stdout: new TextSink(),
      stderr: new TextSink(),
      configDefaults: hasPidFile ? { daemon: { pid_file: sandbox.pidFile } } : {},
    });
    await app.setup();
    return app.container.resolve(DaemonService);
  }

  /**
   * A live process that does what a daemon does with its pid file: writes its
   * pid there and holds the file open.
   */
  async function daemonLike(code = ''): Promise<RunningChild> {
    const child = sandbox.startHelper(process.execPath, [
      '-e',
      `${code}; const fs = require('fs'); fs.writeFileSync(process.argv[1], process.pid + '\\n'); fs.openSync(process.argv[1], 'r');` +
        ` setInterval(() => undefined, 1000); process.stdout.write('ready\\n')`,
      sandbox.pidFile,
    ]);
    await child.waitForOutput(/^ready$/m);
    return child;
  }

  /** A live `sleep`, another program, whose pid the sandbox's pid file names. */
  function sleeper(): RunningChild {
    const child = sandbox.startHelper('sleep', ['30']);
    writeFileSync(sandbox.pidFile, `${child.pid}\n`);
    return child;
  }

  describe('status()', () => {
    it('is running, with the pid, when the pid file names a live process that holds it', async () => {
      const child = await daemonLike();
      expect(defined(await (await service()).status())).to.deep.equal({
        state: 'running',
        pid: child.pid,
        pidFile: sandbox.pidFile,
      });
    });

    it('is stale, with the pid and why, when the pid file names a live process that does not hold it', async () => {
      const child = sleeper();
      await waitUntil(() => commandOf(child.pid) === 'sleep 30', `pid ${child.pid} to run sleep`);
      expect(defined(await (await service()).status())).to.deep.equal({
        state: 'stale',
        pid: child.pid,
        pidFile: sandbox.pidFile,
        reason: `pid ${child.pid} (sleep 30) does not hold the pid file`,
      });
    });

    it('is stopped when there is no pid file', async () => {
      expect(defined(await (await service()).status())).to.deep.equal({ state: 'stopped', pidFile: sandbox.pidFile });
    });

    it('is stale, with the pid, when the pid file names a dead process', async () => {
      const pid = await deadPid(sandbox);
      writeFileSync(sandbox.pidFile, `${pid}\n`);
      expect(defined(await (await service()).status())).to.deep.equal({
        state: 'stale',
        pid,
        pidFile: sandbox.pidFile,
        reason: `pid ${pid} is not running`,
      });
    });

    it('is stale, without a pid, when the pid file holds garbage', async () => {
      writeFileSync(sandbox.pidFile, 'garbage\n');
      expect(defined(await (await service()).status())).to.deep.equal({
        state: 'stale',
        pidFile: sandbox.pidFile,
        reason: 'it holds no valid pid',
      });
    });

    it('fails naming [daemon] pid_file when none is configured', async () => {
      const daemon = await service(false);
      let failure: unknown;
      await daemon.status().catch((error: unknown) => (failure = error));
      expect(failure).to.be.instanceOf(FrameworkError);
      expect((failure as Error).message).to.contain('pid_file');
    });
  });

  describe('stop()', () => {
    it('ends a process that heeds SIGTERM and removes the pid file it leaves', async () => {
      const child = await daemonLike();
      const result = await (await service()).stop({ timeout: 5000 });
      expect(defined(result)).to.deep.equal({ outcome: 'stopped', pid: child.pid, removedPidFile: true });
      expect((await child.waitForExit(2000)).signal).to.equal('SIGTERM');
      expect(exists(sandbox.pidFile), 'the pid file exists').to.equal(false);
    });

    it('kills a process that ignores SIGTERM after the timeout', async () => {
      const child = await daemonLike("process.on('SIGTERM', () => undefined)");
      const startedAt = Date.now();
      const result = await (await service()).stop({ timeout: 300 });
      expect(Date.now() - startedAt, 'time taken by stop()').to.be.within(300, 3000);
      expect(defined(result)).to.deep.equal({ outcome: 'killed', pid: child.pid, removedPidFile: true });
      expect((await child.waitForExit(2000)).signal).to.equal('SIGKILL');
      expect(exists(sandbox.pidFile), 'the pid file exists').to.equal(false);
    });

    it('reports not-running when there is no pid file', async () => {
      expect(defined(await (await service()).stop({ timeout: 1000 }))).to.deep.equal({
        outcome: 'not-running',
        removedPidFile: false,
      });
    });

    it('removes a pid file that names a dead process', async () => {
      const pid = await deadPid(sandbox);
      writeFileSync(sandbox.pidFile, `${pid}\n`);
      expect(defined(await (await service()).stop({ timeout: 1000 }))).to.deep.equal({
        outcome: 'stale',
        pid,
        removedPidFile: true,
        reason: `pid ${pid} is not running`,
        isPidAlive: false,
      });
      expect(exists(sandbox.pidFile), 'the pid file exists').to.equal(false);
    });

    it('removes a pid file that names a live process that does not hold it, and signals nothing', async () => {
      const child = sleeper();
      await waitUntil(() => commandOf(child.pid) === 'sleep 30', `pid ${child.pid} to run sleep`);
      expect(defined(await (await service()).stop({ timeout: 1000 }))).to.deep.equal({
        outcome: 'stale',
        pid: child.pid,
        removedPidFile: true,
        reason: `pid ${child.pid} (sleep 30) does not hold the pid file`,
        isPidAlive: true,
      });
      expect(exists(sandbox.pidFile), 'the pid file exists').to.equal(false);
      expect(child.isRunning, 'the sleep still runs').to.equal(true);
      expect(isAlive(child.pid), 'the sleep still runs').to.equal(true);
    });

    it('removes a pid file that holds garbage', async () => {
      writeFileSync(sandbox.pidFile, 'garbage\n');
      expect(defined(await (await service()).stop({ timeout: 1000 }))).to.deep.equal({
        outcome: 'stale',
        removedPidFile: true,
        reason: 'it holds no valid pid',
        isPidAlive: false,
      });
      expect(exists(sandbox.pidFile), 'the pid file exists').to.equal(false);
    });
  });
});
