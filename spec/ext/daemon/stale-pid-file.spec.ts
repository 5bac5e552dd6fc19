/**
 * Which process a pid file names is decided by who holds it: the daemon keeps
 * its pid file open for its lifetime, and nothing else counts. A live
 * daemon's file stays honoured whatever happens to its mtime (a clock stepped
 * after boot, `touch`, `cp -p`); a pid file naming a process that does not
 * hold it (a `sleep` the test starts, pid 1, another instance of the same
 * program) is stale: `run-forever --daemon` replaces it, `daemon status`
 * exits 1 saying why, `daemon stop` removes it and signals nothing. Where the
 * daemon's descriptors cannot be read (a status run as nobody, the daemon
 * having switched user from root), start time and program are the evidence,
 * and evidence that does not decide is said in one line.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  MYAPP,
  NOBODY,
  commandLine,
  exists,
  expectOutput,
  isAlive,
  isRoot,
  procStatus,
  readIfExists,
  waitUntil,
  useDaemonSandbox,
} from '../../helpers/daemon';
import type { RunningChild } from '../../helpers/process';
import { copyBuiltPackage, whyNobodyCannotRunNode } from '../../helpers/readable-copy';

/** Moves a file's modification time by `ms` (negative: into the past). */
function moveMtime(path: string, ms: number): void {
  const then = new Date(Date.now() + ms);
  utimesSync(path, then, then);
}

describe('pid file identity: the daemon is the process that holds its pid file', function () {
  const sandbox = useDaemonSandbox();

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
    expect(started.stderrLines, "the invoker's stderr").to.deep.equal([
      `WARNING: replaced the stale pid file ${sandbox.pidFile}: ${reason}`,
    ]);
    const daemon = sandbox.daemonPid();
    expect(daemon, 'the pid the file names now').to.not.equal(stalePid);
    expect(isAlive(daemon), `daemon ${daemon}`).to.equal(true);
    return daemon;
  }

  /** Starts `myapp run-forever --daemon` with the sandbox's pid file; resolves to the daemon's pid. */
  async function startDaemon(env: Record<string, string> = {}): Promise<number> {
    const started = await sandbox.run(MYAPP, ['run-forever', '--daemon'], { env });
    expect(started.code, `the invoker's exit code\n${started.stderr}`).to.equal(0);
    return sandbox.daemonPid();
  }

  for (const [label, holder] of [
    [
      'a sleep the test started',
      async (): Promise<{ pid: number; isRunning: () => boolean }> => {
        const child = await sleeper();
        return { pid: child.pid, isRunning: () => child.isRunning && isAlive(child.pid) };
      },
    ],
    [
      'pid 1',
      async (): Promise<{ pid: number; isRunning: () => boolean }> => ({ pid: 1, isRunning: () => isAlive(1) }),
    ],
  ] as const) {
    describe(`a pid file naming ${label}`, () => {
      it('status exits 1 with one line saying why; stop signals nothing, removes the file and says so', async () => {
        const { pid, isRunning } = await holder();
        writeFileSync(sandbox.pidFile, `${pid}\n`);
        // Seen holding nothing (readable), or, for a process this user may not read, another program.
        const reason =
          pid === 1
            ? `pid 1 (\\(.+\\) does not hold the pid file|is another program \\(.+\\))`
            : `pid ${pid} \\(sleep 300\\) does not hold the pid file`;

        const status = await sandbox.run(MYAPP, ['daemon', 'status']);
        expectOutput(
          status,
          1,
          new RegExp(`^myapp is not running, but its stale pid file ${sandbox.pidFile} remains: ${reason}\\n$`),
        );
        expect(readIfExists(sandbox.pidFile), 'the pid file after status').to.equal(`${pid}\n`);

        const stop = await sandbox.run(MYAPP, ['daemon', 'stop', '--timeout', '1']);
        expectOutput(
          stop,
          0,
          new RegExp(`^myapp is not running; removed its stale pid file: ${reason}; sent it no signal\\n$`),
        );
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

  describe("a live daemon's pid file whose mtime moved (a clock stepped, touch, cp -p)", () => {
    for (const [label, ms] of [
      ['5 minutes back', -300_000],
      ['5 minutes forward', 300_000],
      ['10 minutes forward', 600_000],
    ] as const) {
      it(`${label}: status says running, a second start is refused, stop stops it`, async () => {
        const daemon = await startDaemon();
        moveMtime(sandbox.pidFile, ms);
        expectOutput(await sandbox.run(MYAPP, ['daemon', 'status']), 0, `myapp is running (pid ${daemon})\n`);
        const second = await sandbox.run(MYAPP, ['run-forever', '--daemon']);
        expect(second.code, second.stderr).to.equal(1);
        expect(second.stderrLines).to.deep.equal([`myapp: error: already running (pid ${daemon}, ${sandbox.pidFile})`]);
        expect(sandbox.livingProcesses(), 'the processes running').to.deep.equal([daemon]);

        expectOutput(await sandbox.run(MYAPP, ['daemon', 'stop']), 0, `myapp stopped (pid ${daemon})\n`);
        expect(isAlive(daemon), `daemon ${daemon} after stop`).to.equal(false);
        expect(exists(sandbox.pidFile), 'the pid file after stop').to.equal(false);
      });
    }
  });

  describe('two instances of the same program with crossed pid files', () => {
    it("A's stale pid file naming B's pid, its mtime in the future: A's stop removes it and leaves B alone", async () => {
      const other = sandbox.path('run/b.pid');
      const b = await (async () => {
        const started = await sandbox.run(MYAPP, ['run-forever', '--daemon'], {
          env: { MYAPP_DAEMON_PID_FILE: other },
        });
        expect(started.code, started.stderr).to.equal(0);
        return Number(readIfExists(other));
      })();
      writeFileSync(sandbox.pidFile, `${b}\n`);
      moveMtime(sandbox.pidFile, 600_000);
      const reason = `pid ${b} \\(.+\\) does not hold the pid file`;

      const status = await sandbox.run(MYAPP, ['daemon', 'status']);
      expectOutput(
        status,
        1,
        new RegExp(`^myapp is not running, but its stale pid file ${sandbox.pidFile} remains: ${reason}\\n$`),
      );
      const stop = await sandbox.run(MYAPP, ['daemon', 'stop', '--timeout', '1']);
      expectOutput(
        stop,
        0,
        new RegExp(`^myapp is not running; removed its stale pid file: ${reason}; sent it no signal\\n$`),
      );
      expect(isAlive(b), `B (pid ${b}) after A's stop`).to.equal(true);
      expect(readIfExists(other), "B's pid file").to.equal(`${b}\n`);

      const a = await startDaemon();
      expect(a).to.not.equal(b);
      expectOutput(
        await sandbox.run(MYAPP, ['daemon', 'stop'], { env: { MYAPP_DAEMON_PID_FILE: other } }),
        0,
        `myapp stopped (pid ${b})\n`,
      );
      expect(isAlive(a), 'A after B was stopped').to.equal(true);
    });
  });

  describe('a daemon that switched to nobody (its /proc entries then belong to root)', () => {
    let copyDir: string | undefined;

    afterEach(() => {
      if (copyDir) rmSync(copyDir, { recursive: true, force: true });
      copyDir = undefined;
    });

    it('is recognised by root: status exits 0, stop stops it', async function () {
      if (!isRoot()) {
        process.stdout.write('      (skipped: switching to nobody needs root)\n');
        this.skip();
      }
      sandbox.giveRunDirTo(NOBODY.uid, NOBODY.gid);
      const env = { MYAPP_DAEMON_USER: NOBODY.user };
      const daemon = await startDaemon(env);
      expect(procStatus(daemon).Uid.split('\t')[0], "the daemon's uid").to.equal(String(NOBODY.uid));
      moveMtime(sandbox.pidFile, -300_000);
      expectOutput(await sandbox.run(MYAPP, ['daemon', 'status'], { env }), 0, `myapp is running (pid ${daemon})\n`);
      expectOutput(await sandbox.run(MYAPP, ['daemon', 'stop'], { env }), 0, `myapp stopped (pid ${daemon})\n`);
      expect(isAlive(daemon), `daemon ${daemon} after stop`).to.equal(false);
      expect(exists(sandbox.pidFile), 'the pid file after stop').to.equal(false);
    });

    it('as nobody: status falls back to start time and program and says so, or says it cannot decide; stop and start refuse', async function () {
      if (!isRoot()) {
        process.stdout.write('      (skipped: switching to nobody, and running the status as nobody, need root)\n');
        this.skip();
      }
      const why = whyNobodyCannotRunNode();
      if (why !== undefined) {
        process.stdout.write(`      (skipped: ${why})\n`);
        this.skip();
      }
      copyDir = mkdtempSync(join(tmpdir(), 'mortar-identity-copy-'));
      const script = join(copyBuiltPackage(copyDir), 'build/samples/myapp/main.js');
      sandbox.giveRunDirTo(NOBODY.uid, NOBODY.gid);
      const env = { MYAPP_DAEMON_USER: NOBODY.user };
      const asNobody = { env, uid: NOBODY.uid, gid: NOBODY.gid };
      const started = await sandbox.run(script, ['run-forever', '--daemon'], { env });
      expect(started.code, started.stderr).to.equal(0);
      const daemon = sandbox.daemonPid();

      const status = await sandbox.run(script, ['daemon', 'status'], asNobody);
      expectOutput(
        status,
        0,
        `myapp is running (pid ${daemon}; not verified: its open files cannot be read as this user, so its start time and program were the evidence)\n`,
      );

      moveMtime(sandbox.pidFile, -300_000);
      const cannotVerify = `pid ${daemon} \\(.+\\) may be myapp's daemon; cannot verify as this user: run as root or remove ${sandbox.pidFile}`;
      expectOutput(await sandbox.run(script, ['daemon', 'status'], asNobody), 4, new RegExp(`^${cannotVerify}\\n$`));
      const stop = await sandbox.run(script, ['daemon', 'stop'], asNobody);
      expect(stop.code, stop.stdout + stop.stderr).to.equal(1);
      expect(stop.stderr).to.match(new RegExp(`^myapp: error: ${cannotVerify}\\n$`));
      const second = await sandbox.run(script, ['run-forever', '--daemon'], asNobody);
      expect(second.code, second.stderr).to.equal(1);
      expect(second.stderr).to.match(new RegExp(`^myapp: error: ${cannotVerify}\\n$`));
      expect(isAlive(daemon), 'the daemon after the refusals').to.equal(true);
      expect(readIfExists(sandbox.pidFile), 'the pid file after the refusals').to.equal(`${daemon}\n`);
      expect(sandbox.livingProcesses(), 'the processes running').to.deep.equal([daemon]);

      expectOutput(await sandbox.run(script, ['daemon', 'stop'], { env }), 0, `myapp stopped (pid ${daemon})\n`);
      expect(isAlive(daemon), `daemon ${daemon} after root's stop`).to.equal(false);
    });
  });
});
