/**
 * The app as PID 1, as in a container without an init: started through
 * `unshare --pid --fork --mount-proc` (root only). The kernel ignores a
 * signal PID 1 sends itself, so mortar exits with 128 + n instead of
 * re-raising: SIGTERM ends it with 143, its pid file gone, even with a timer
 * and a listening socket left open. It warns once that orphans are not
 * reaped. The host, sharing the pid file (which says 1), recognises the
 * daemon by the process that holds the file, and stops it.
 */
import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import {
  daemonFixture,
  exists,
  expectOutput,
  isRoot,
  readIfExists,
  waitUntil,
  useDaemonSandbox,
} from '../../helpers/daemon';
import { cleanEnv, signalOwn, RunningChild } from '../../helpers/process';

const SHUTDOWN = daemonFixture('shutdown');
const WARNING =
  'WARNING: running as PID 1 (a container without an init): orphaned processes are not reaped; ' +
  'run the container with an init (docker run --init, tini, or dumb-init)';

/** Why `unshare --pid --fork --mount-proc` cannot run here, or undefined when it can. */
function whyNoPidNamespace(): string | undefined {
  if (!isRoot()) return 'a new pid namespace needs root';
  const probe = spawnSync('unshare', ['--pid', '--fork', '--mount-proc', 'true'], { stdio: 'ignore', timeout: 10_000 });
  if (probe.error) return `unshare(1) cannot run: ${probe.error.message}`;
  return probe.status === 0
    ? undefined
    : `unshare --pid --fork --mount-proc exits ${probe.status ?? probe.signal} here`;
}

describe('the app as PID 1 (a container without an init)', function () {
  let pidFile: string;
  let unshare: RunningChild | undefined;
  const sandbox = useDaemonSandbox({
    beforeCleanUp: async () => {
      // Killing unshare's child (PID 1 of the namespace) ends every process in it.
      const child = unshare === undefined ? undefined : namespaceInit(unshare);
      if (child !== undefined) signalOwn(child, 'SIGKILL', (pid) => parentOf(pid) === unshare?.pid);
      if (unshare?.isRunning) unshare.kill('SIGKILL');
      await unshare?.waitForExit(10_000).catch(() => undefined);
      unshare = undefined;
    },
  });

  before(function () {
    const why = whyNoPidNamespace();
    if (why === undefined) return;
    process.stdout.write(`      (skipped: ${why})\n`);
    this.skip();
  });

  beforeEach(() => {
    pidFile = sandbox.pidFile;
  });

  function parentOf(pid: number): number | undefined {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    } catch {
      return undefined;
    }
  }

  /** The host pid of unshare's forked child: PID 1 of the new namespace. */
  function namespaceInit(running: RunningChild): number | undefined {
    try {
      const children = readFileSync(`/proc/${running.pid}/task/${running.pid}/children`, 'utf8').trim();
      return children === '' ? undefined : Number(children.split(' ')[0]);
    } catch {
      return undefined;
    }
  }

  /** Starts `shutdown.js hold-handles` as PID 1 of a new pid namespace; resolves to its host pid once ready. */
  async function startAsPid1(): Promise<number> {
    unshare = new RunningChild(
      spawn('unshare', ['--pid', '--fork', '--mount-proc', process.execPath, SHUTDOWN, 'hold-handles'], {
        cwd: sandbox.dir,
        env: cleanEnv({ MYAPP_DAEMON_PID_FILE: pidFile }),
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    await unshare.waitForOutput(/^ready$/m);
    const pid = namespaceInit(unshare);
    if (pid === undefined) throw new Error(`unshare (pid ${unshare.pid}) has no child`);
    expect(readFileSync(`/proc/${pid}/status`, 'utf8')).to.match(new RegExp(`^NSpid:\\s+${pid}\\s+1$`, 'm'));
    expect(readIfExists(pidFile), 'the pid file, written in the namespace').to.equal('1\n');
    return pid;
  }

  it('SIGTERM ends it with exit status 143, its pid file gone, though a timer and a socket stay open; it warned once', async () => {
    const pid = await startAsPid1();
    signalOwn(pid, 'SIGTERM', (candidate) => parentOf(candidate) === unshare!.pid);
    const result = await unshare!.waitForExit(10_000);
    expect(result.code, result.stderr).to.equal(143);
    expect(exists(pidFile), 'the pid file after the exit').to.equal(false);
    expect(result.stderr.split('\n').filter((line) => line !== '')).to.deep.equal([WARNING]);
  });

  it('SIGINT ends it with 130', async () => {
    const pid = await startAsPid1();
    signalOwn(pid, 'SIGINT', (candidate) => parentOf(candidate) === unshare!.pid);
    expect((await unshare!.waitForExit(10_000)).code).to.equal(130);
  });

  it('the host sees the daemon that holds the pid file (which says 1), not its own pid 1, and stops it', async () => {
    const pid = await startAsPid1();
    const env = { MYAPP_DAEMON_PID_FILE: pidFile };
    expectOutput(
      await sandbox.run(SHUTDOWN, ['daemon', 'status'], { env }),
      0,
      `myapp is running (pid ${pid}; the pid file says 1, written in another pid namespace; pid ${pid} holds ${pidFile})\n`,
    );
    expectOutput(await sandbox.run(SHUTDOWN, ['daemon', 'stop'], { env }), 0, `myapp stopped (pid ${pid})\n`);
    const result = await unshare!.waitForExit(10_000);
    expect(result.code, result.stderr).to.equal(143);
    await waitUntil(() => !exists(pidFile), 'the pid file to go');
  });
});
