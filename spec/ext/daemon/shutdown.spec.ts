/**
 * However a daemon ends, its pid file goes with it: a second signal during
 * a slow shutdown, an exception nothing caught, a promise rejection nobody
 * handled; and when the file cannot be removed, one warning says why.
 */
import { expect } from 'chai';
import { chmodSync, chownSync, readFileSync } from 'node:fs';
import {
  NOBODY,
  daemonFixture,
  exists,
  isAlive,
  isRoot,
  readIfExists,
  waitUntil,
  useDaemonSandbox,
} from '../../helpers/daemon';
import { waitForText } from '../../helpers/operate';

const SHUTDOWN = daemonFixture('shutdown');

describe('daemon shutdown: the pid file goes however the daemon ends', function () {
  const sandbox = useDaemonSandbox();

  /** Starts `shutdown.js run-forever` in the foreground and waits until it is ready, its pid file written. */
  async function foreground(env: Record<string, string> = {}, args: string[] = []) {
    const invocation = sandbox.start(SHUTDOWN, ['run-forever', ...args], { env });
    await invocation.child.waitForOutput(/^ready$/m);
    expect(readIfExists(sandbox.pidFile), 'the pid file once ready').to.equal(`${invocation.child.pid}\n`);
    return invocation;
  }

  /** Starts `shutdown.js run-forever --daemon` with a log file; resolves to the daemon's pid and the log's path. */
  async function detached(env: Record<string, string> = {}): Promise<{ pid: number; log: string }> {
    const log = sandbox.path('daemon.log');
    const started = await sandbox.run(SHUTDOWN, ['run-forever', '--daemon'], { env: { MYAPP_LOG_FILE: log, ...env } });
    expect(started.code, `the invoker's exit code\n${started.stderr}`).to.equal(0);
    return { pid: sandbox.daemonPid(), log };
  }

  describe('a second signal during a slow shutdown', () => {
    it('ends the process at once by that signal, with one warning, and removes the pid file', async () => {
      const mark = sandbox.path('closing');
      const invocation = await foreground({ SLOW_CLOSE_MS: '3600000', CLOSE_MARK: mark });
      invocation.child.kill('SIGTERM');
      await waitUntil(() => exists(mark), 'pre_close to start');
      expect(exists(sandbox.pidFile), 'the pid file while closing').to.equal(true);
      invocation.child.kill('SIGINT');
      const result = await sandbox.finish(invocation);
      expect(result.signal, `how it ended (exit code ${result.code})\n${result.stderr}`).to.equal('SIGINT');
      expect(result.stderrLines).to.deep.equal(['WARNING: received SIGINT again while stopping: exiting now']);
      expect(exists(sandbox.pidFile), 'the pid file after the second signal').to.equal(false);
    });

    it('removes the pid file of a detached daemon too', async () => {
      const mark = sandbox.path('closing');
      const { pid, log } = await detached({ SLOW_CLOSE_MS: '3600000', CLOSE_MARK: mark });
      sandbox.signal(pid, 'SIGTERM');
      await waitUntil(() => exists(mark), 'pre_close to start');
      await sandbox.signalAndWait(pid, 'SIGTERM');
      expect(exists(sandbox.pidFile), 'the pid file after the second signal').to.equal(false);
      expect(readFileSync(log, 'utf8')).to.match(
        /\(WARNING\) myapp\.core\.signal : received SIGTERM again while stopping: exiting now$/m,
      );
    });
  });

  describe('an exception nothing caught, after ready', () => {
    it('logs one line, closes (removing the pid file) and exits 1', async () => {
      const invocation = await foreground();
      invocation.child.kill('SIGUSR2');
      const result = await sandbox.finish(invocation);
      expect(result.code, result.stderr).to.equal(1);
      expect(result.stderrLines).to.deep.equal(['ERROR: uncaught exception: nobody caught this']);
      expect(exists(sandbox.pidFile), 'the pid file').to.equal(false);
    });

    it('adds the stack under --debug', async () => {
      const invocation = await foreground({}, ['--debug']);
      invocation.child.kill('SIGUSR2');
      const result = await sandbox.finish(invocation);
      expect(result.code, result.stderr).to.equal(1);
      expect(result.stderr).to.match(/\(ERROR\) myapp\.core\.crash : uncaught exception: nobody caught this\n/);
      expect(result.stderr).to.match(/\(DEBUG\) myapp\.core\.crash : Error: nobody caught this\n\s+at /);
      expect(exists(sandbox.pidFile), 'the pid file').to.equal(false);
    });

    it('treats a promise rejection nobody handled the same way', async () => {
      const invocation = await foreground({ REJECT: '1' });
      invocation.child.kill('SIGUSR2');
      const result = await sandbox.finish(invocation);
      expect(result.code, result.stderr).to.equal(1);
      expect(result.stderrLines).to.deep.equal(['ERROR: unhandled promise rejection: nobody handled this rejection']);
      expect(exists(sandbox.pidFile), 'the pid file').to.equal(false);
    });

    it('in a detached daemon: logs the line to its log file and removes the pid file', async () => {
      const { pid, log } = await detached();
      sandbox.signal(pid, 'SIGUSR2');
      await waitUntil(() => !isAlive(pid), `daemon ${pid} to end`);
      expect(exists(sandbox.pidFile), 'the pid file').to.equal(false);
      expect(readFileSync(log, 'utf8')).to.match(
        /\(ERROR\) myapp\.core\.crash : uncaught exception: nobody caught this$/m,
      );
    });
  });

  it('an exception nothing caught before ready: the invoker prints it in one line, exits 1, leaves nothing', async () => {
    const result = await sandbox.run(SHUTDOWN, ['crash-early', '--daemon']);
    expect(result.code, result.stderr).to.equal(1);
    expect(result.stderrLines).to.deep.equal(['myapp: error: failed before ready']);
    expect(exists(sandbox.pidFile), 'the pid file').to.equal(false);
    await waitUntil(() => sandbox.livingProcesses().length === 0, 'no process left');
  });

  it('a pid file the daemon can no longer remove: one warning naming the file and the reason', async function () {
    if (!isRoot()) {
      process.stdout.write('      (skipped: switching to nobody needs root)\n');
      this.skip();
    }
    sandbox.giveRunDirTo(NOBODY.uid, NOBODY.gid);
    const invocation = await foreground({ MYAPP_DAEMON_USER: NOBODY.user });
    // The directory is root's again: nobody can no longer remove a file in it.
    chownSync(sandbox.runDir, 0, 0);
    chmodSync(sandbox.runDir, 0o755);
    invocation.child.kill('SIGTERM');
    const result = await sandbox.finish(invocation);
    expect(result.signal, result.stderr).to.equal('SIGTERM');
    expect(result.stderrLines).to.deep.equal([
      `WARNING: Cannot remove pid file ${sandbox.pidFile}: permission denied.`,
    ]);
    expect(readIfExists(sandbox.pidFile), 'the pid file, left behind').to.equal(`${invocation.child.pid}\n`);
  });

  it('keeps the warning in the log file of a detached daemon', async function () {
    if (!isRoot()) {
      process.stdout.write('      (skipped: switching to nobody needs root)\n');
      this.skip();
    }
    sandbox.giveRunDirTo(NOBODY.uid, NOBODY.gid);
    const { pid, log } = await detached({ MYAPP_DAEMON_USER: NOBODY.user });
    chownSync(sandbox.runDir, 0, 0);
    await sandbox.signalAndWait(pid, 'SIGTERM');
    await waitForText(log, /\(WARNING\) myapp\.ext\.daemon : Cannot remove pid file \S+: permission denied\.$/m);
  });
});
