/**
 * A pid file names the daemon only while the process it names is the one
 * that wrote it. A pid file left by a crash whose pid now belongs to another
 * program (a `sleep` the test starts, pid 1) or to a process that started
 * after the file was written is stale: `run-forever --daemon` replaces it,
 * `daemon status` exits 1 saying why, `daemon stop` removes it and signals
 * nothing. A file written by the daemon that still runs stays honoured.
 */
import { expect } from 'chai';
import { utimesSync, writeFileSync } from 'node:fs';
import { DaemonSandbox, MYAPP, NOBODY, commandLine, exists, expectOutput, isAlive, isRoot, procStatus, readIfExists, waitUntil } from '../../helpers/daemon';
import type { RunningChild } from '../../helpers/process';

/** Sets a file's modification time an hour into the past. */
function writtenAnHourAgo(path: string): void {
  const then = new Date(Date.now() - 3_600_000);
  utimesSync(path, then, then);
}

describe('stale pid files: a reused pid is never taken for the daemon', function () {
  let sandbox: DaemonSandbox;

  beforeEach(() => {
    sandbox = new DaemonSandbox();
  });

  afterEach(async () => {
    await sandbox?.cleanUp();
  });

  /** A `sleep` the test started, running (not just forked) by the time this resolves. */
  async function sleeper(): Promise<RunningChild> {
    const child = sandbox.startHelper('sleep', ['300']);
    await waitUntil(() => commandLine(child.pid).trim() === 'sleep 300', `pid ${child.pid} to run sleep`);
    return child;
  }

  /** Starts the daemon and checks it took over the pid file; resolves to its pid. */
  async function startReplacing(stalePid: number, reason: string): Promise<number> {
    const started = await sandbox.run(MYAPP, ['run-forever', '--daemon']);
    expect(started.code, `the invoker's exit code\n${started.stderr}`).to.equal(0);
    expect(started.stderrLines, "the invoker's stderr").to.deep.equal([`WARNING: replaced the stale pid file ${sandbox.pidFile}: ${reason}`]);
    const daemon = sandbox.daemonPid();
    expect(daemon, 'the pid the file names now').to.not.equal(stalePid);
    expect(isAlive(daemon), `daemon ${daemon}`).to.equal(true);
    return daemon;
  }

  for (const [label, holder] of [
    ['a sleep the test started', async (): Promise<{ pid: number; isRunning: () => boolean }> => {
      const child = await sleeper();
      return { pid: child.pid, isRunning: () => child.isRunning && isAlive(child.pid) };
    }],
    ['pid 1', async (): Promise<{ pid: number; isRunning: () => boolean }> => ({ pid: 1, isRunning: () => isAlive(1) })],
  ] as const) {
    describe(`a pid file naming ${label}`, () => {
      it('status exits 1 with one line saying why; stop signals nothing, removes the file and says so', async () => {
        const { pid, isRunning } = await holder();
        writeFileSync(sandbox.pidFile, `${pid}\n`);
        const program = pid === 1 ? '.+' : 'sleep 300';
        const reason = `pid ${pid} is another program \\(${program}\\)`;

        const status = await sandbox.run(MYAPP, ['daemon', 'status']);
        expectOutput(status, 1, new RegExp(`^myapp is not running, but its stale pid file ${sandbox.pidFile} remains: ${reason}\\n$`));
        expect(readIfExists(sandbox.pidFile), 'the pid file after status').to.equal(`${pid}\n`);

        const stop = await sandbox.run(MYAPP, ['daemon', 'stop', '--timeout', '1']);
        expectOutput(stop, 0, new RegExp(`^myapp is not running; removed its stale pid file: ${reason}; sent it no signal\\n$`));
        expect(exists(sandbox.pidFile), 'the pid file after stop').to.equal(false);
        expect(isRunning(), `pid ${pid} after stop`).to.equal(true);
      });

      it('a start replaces the file, saying so, and the process named is left alone', async () => {
        const { pid, isRunning } = await holder();
        writeFileSync(sandbox.pidFile, `${pid}\n`);
        const status = await sandbox.run(MYAPP, ['daemon', 'status']);
        const reason = /remains: (.*)\n$/.exec(status.stdout)?.[1] ?? status.stdout;
        const daemon = await startReplacing(pid, reason);
        expectOutput(await sandbox.run(MYAPP, ['daemon', 'status']), 0, `myapp is running (pid ${daemon})\n`);
        expect(isRunning(), `pid ${pid} after the start`).to.equal(true);
      });
    });
  }

  describe('a pid file written before the process it names started (its pid reused by this very program)', () => {
    it('is stale: status says the pid was reused, stop leaves that process running, a start replaces the file', async () => {
      const first = await sandbox.run(MYAPP, ['run-forever', '--daemon']);
      expect(first.code, first.stderr).to.equal(0);
      const running = sandbox.daemonPid();
      writtenAnHourAgo(sandbox.pidFile);
      const reason = `pid ${running} started after the pid file was written \\(.*\\), so its pid was reused`;

      const status = await sandbox.run(MYAPP, ['daemon', 'status']);
      expectOutput(status, 1, new RegExp(`^myapp is not running, but its stale pid file ${sandbox.pidFile} remains: ${reason}\\n$`));
      const stop = await sandbox.run(MYAPP, ['daemon', 'stop', '--timeout', '1']);
      expectOutput(stop, 0, new RegExp(`^myapp is not running; removed its stale pid file: ${reason}; sent it no signal\\n$`));
      expect(exists(sandbox.pidFile), 'the pid file after stop').to.equal(false);
      expect(isAlive(running), `pid ${running} after stop`).to.equal(true);

      writeFileSync(sandbox.pidFile, `${running}\n`);
      writtenAnHourAgo(sandbox.pidFile);
      const second = await sandbox.run(MYAPP, ['run-forever', '--daemon']);
      expect(second.code, second.stderr).to.equal(0);
      expect(sandbox.daemonPid(), 'the pid the file names now').to.not.equal(running);
      expect(isAlive(running), `pid ${running} after the second start`).to.equal(true);
    });
  });

  describe('a pid file written by the daemon that still runs', () => {
    it('stays honoured when the daemon switched to nobody (its /proc entries then belong to root)', async function () {
      if (!isRoot()) {
        process.stdout.write('      (skipped: switching to nobody needs root)\n');
        this.skip();
      }
      sandbox.giveRunDirTo(NOBODY.uid, NOBODY.gid);
      const env = { MYAPP_DAEMON_USER: NOBODY.user };
      const first = await sandbox.run(MYAPP, ['run-forever', '--daemon'], { env });
      expect(first.code, first.stderr).to.equal(0);
      const daemon = sandbox.daemonPid();
      expect(procStatus(daemon).Uid.split('\t')[0], "the daemon's uid").to.equal(String(NOBODY.uid));
      expectOutput(await sandbox.run(MYAPP, ['daemon', 'status'], { env }), 0, `myapp is running (pid ${daemon})\n`);
      expectOutput(await sandbox.run(MYAPP, ['daemon', 'stop'], { env }), 0, `myapp stopped (pid ${daemon})\n`);
      expect(isAlive(daemon), `daemon ${daemon} after stop`).to.equal(false);
      expect(exists(sandbox.pidFile), 'the pid file after stop').to.equal(false);
    });


    it('stays honoured, also once touched later: status exits 0, a second start is refused, stop stops it', async () => {
      const first = await sandbox.run(MYAPP, ['run-forever', '--daemon']);
      expect(first.code, first.stderr).to.equal(0);
      const daemon = sandbox.daemonPid();
      expectOutput(await sandbox.run(MYAPP, ['daemon', 'status']), 0, `myapp is running (pid ${daemon})\n`);

      const later = new Date(Date.now() + 60_000);
      utimesSync(sandbox.pidFile, later, later);
      expectOutput(await sandbox.run(MYAPP, ['daemon', 'status']), 0, `myapp is running (pid ${daemon})\n`);
      const second = await sandbox.run(MYAPP, ['run-forever', '--daemon']);
      expect(second.code, second.stderr).to.equal(1);
      expect(second.stderrLines).to.deep.equal([`myapp: error: already running (pid ${daemon}, ${sandbox.pidFile})`]);

      expectOutput(await sandbox.run(MYAPP, ['daemon', 'stop']), 0, `myapp stopped (pid ${daemon})\n`);
      expect(isAlive(daemon), `daemon ${daemon} after stop`).to.equal(false);
      expect(exists(sandbox.pidFile), 'the pid file after stop').to.equal(false);
    });
  });
});
