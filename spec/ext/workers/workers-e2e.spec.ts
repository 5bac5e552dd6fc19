/**
 * `[daemon] workers`: the process in the pid file is the cluster primary, the
 * workers run the command and share the port; a crashed worker is replaced,
 * a crash loop stops the daemon; SIGHUP replaces the workers one by one
 * without a failed request; SIGTERM turns readiness off, drains and ends 143.
 */
import { expect } from 'chai';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import {
  DaemonSandbox,
  NOBODY,
  exists,
  isAlive,
  isRoot,
  procStat,
  procStatus,
  workingDirectory,
  readIfExists,
  waitUntil,
  type Invocation,
} from '../../helpers/daemon';
import { ClientLoop, answeringPid, freePort, get } from '../../helpers/http-load';
import { copyBuiltPackage } from '../../helpers/readable-copy';

const HTTP = resolve(__dirname, '../../fixtures/workers/http.js');

describe('daemon workers', function () {
  this.timeout(60_000);
  let sandbox: DaemonSandbox;
  let port: number;

  beforeEach(async () => {
    sandbox = new DaemonSandbox();
    port = await freePort();
  });

  afterEach(async () => {
    await sandbox?.cleanUp();
  });

  function environment(extra: Record<string, string> = {}): Record<string, string> {
    return { MYAPP_DAEMON_WORKERS: '2', PORT: String(port), ...extra };
  }

  /** The live workers of a primary: the sandbox's processes whose parent it is (one that ends meanwhile is left out). */
  function workersOf(primary: number): number[] {
    const parentOf = (pid: number): number | undefined => {
      try {
        return procStat(pid).ppid;
      } catch {
        return undefined;
      }
    };
    return sandbox
      .livingProcesses()
      .filter((pid) => parentOf(pid) === primary)
      .sort((a, b) => a - b);
  }

  /** Starts `http.js serve` in the foreground and waits until the primary reports its workers ready. */
  async function foreground(
    extra: Record<string, string> = {},
  ): Promise<{ invocation: Invocation; primary: number; workers: number[] }> {
    const invocation = sandbox.start(HTTP, ['serve'], { env: environment(extra) });
    await waitUntil(
      () => /workers ready/.test(invocation.child.stderr) || !invocation.child.isRunning,
      'the workers to be ready',
      20_000,
    );
    expect(invocation.child.stderr, 'the primary says its workers are ready').to.match(
      /^INFO: 2 workers ready \(pids \d+, \d+\)$/m,
    );
    const primary = sandbox.daemonPid();
    return { invocation, primary, workers: workersOf(primary) };
  }

  /** Asks until every pid in `pids` has answered (bounded). */
  async function answeringPids(count: number): Promise<Set<number>> {
    const seen = new Set<number>();
    for (let attempt = 0; attempt < 50 && seen.size < count; attempt++) {
      const pid = answeringPid(await get(port, '/'));
      if (pid !== undefined) seen.add(pid);
    }
    return seen;
  }

  it('runs the command in 2 workers that share the port; the pid file names the primary', async () => {
    const { invocation, primary, workers } = await foreground();
    expect(primary, 'the pid file names the process started').to.equal(invocation.child.pid);
    expect(workers, 'two workers, children of the primary').to.have.length(2);
    expect(
      [...(await answeringPids(2))].sort((a, b) => a - b),
      'the pids that answered',
    ).to.deep.equal(workers);
    invocation.child.kill('SIGTERM');
    const result = await sandbox.finish(invocation);
    expect(result.signal, result.stderr).to.equal('SIGTERM');
    expect(result.stderr, 'error lines during the stop').not.to.match(/^(ERROR:|myapp: error:)/m);
    expect(exists(sandbox.pidFile), 'the pid file after the stop').to.equal(false);
    for (const worker of workers) expect(isAlive(worker), `worker ${worker} after the stop`).to.equal(false);
  });

  it("warns at start when a stop would not fit in the app's shutdownTimeout", async () => {
    const { invocation } = await foreground({ MYAPP_DAEMON_KILL_TIMEOUT: '12' });
    expect(invocation.child.stderr).to.match(
      /^WARNING: \[daemon\] shutdown_delay \(0 s\) \+ kill_timeout \(12 s\) = 12 s is more than the app's shutdownTimeout \(10 s\): .* raise shutdownTimeout/m,
    );
    invocation.child.kill('SIGTERM');
    const result = await sandbox.finish(invocation);
    expect(result.signal, result.stderr).to.equal('SIGTERM');
  });

  it('with --daemon, the invoker returns once every worker is ready', async () => {
    const started = await sandbox.run(HTTP, ['serve', '--daemon'], { env: environment() });
    expect(started.code, started.stderr).to.equal(0);
    const primary = sandbox.daemonPid();
    expect(started.wasPidFileAliveAtExit, 'the pid file named a live primary when the invoker exited').to.equal(true);
    const workers = workersOf(primary);
    expect(workers).to.have.length(2);
    expect([...(await answeringPids(2))].sort((a, b) => a - b)).to.deep.equal(workers);
    const status = await sandbox.run(HTTP, ['daemon', 'status'], { env: environment() });
    expect(status.code, status.stderr).to.equal(0);
    const lines = status.stdout.split('\n');
    expect(lines[0]).to.match(new RegExp(`^myapp is running \\(pid ${primary}\\b`));
    const listed = lines
      .slice(1, 3)
      .map((line) => /^ {2}worker ([12]): pid (\d+), up \d+s, 0 restarts, ready$/.exec(line));
    expect(listed.every(Boolean), status.stdout).to.equal(true);
    expect(listed.map((match) => match![1])).to.deep.equal(['1', '2']);
    expect(listed.map((match) => Number(match![2])).sort((a, b) => a - b)).to.deep.equal(workers);
    const json = await sandbox.run(HTTP, ['daemon', 'status', '-o', 'json'], { env: environment() });
    const parsed = JSON.parse(json.stdout) as {
      state: string;
      pid: number;
      workers: { slot: number; pid: number; restarts: number; ready: boolean; uptime: number }[];
    };
    expect([parsed.state, parsed.pid]).to.deep.equal(['running', primary]);
    expect(parsed.workers.map((worker) => worker.pid).sort((a, b) => a - b)).to.deep.equal(workers);
    expect(
      parsed.workers.map((worker) => [worker.slot, worker.restarts, worker.ready, typeof worker.uptime]),
    ).to.deep.equal([
      [1, 0, true, 'number'],
      [2, 0, true, 'number'],
    ]);
    await sandbox.signalAndWait(primary, 'SIGTERM', 15_000);
    expect(exists(sandbox.pidFile), 'the pid file after the stop').to.equal(false);
    expect(exists(`${sandbox.pidFile}.workers`), 'the workers state file after the stop').to.equal(false);
  });

  it('daemon reload replaces the workers of a detached daemon', async () => {
    expect((await sandbox.run(HTTP, ['serve', '--daemon'], { env: environment() })).code).to.equal(0);
    const primary = sandbox.daemonPid();
    const workers = workersOf(primary);
    const reload = await sandbox.run(HTTP, ['daemon', 'reload'], { env: environment() });
    expect(reload.code, reload.stderr).to.equal(0);
    expect(reload.stdout).to.equal(`myapp is reloading (pid ${primary})\n`);
    await waitUntil(
      () => {
        const now = workersOf(primary);
        return now.length === 2 && now.every((pid) => !workers.includes(pid));
      },
      'two new workers and no old one',
      20_000,
    );
    expect(sandbox.daemonPid()).to.equal(primary);
    await sandbox.signalAndWait(primary, 'SIGTERM', 15_000);
    const after = await sandbox.run(HTTP, ['daemon', 'reload'], { env: environment() });
    expect([after.code, after.stdout]).to.deep.equal([7, 'myapp is not running\n']);
  });

  it('daemon reload refuses a daemon that SIGHUP would stop (one process, no reload hook)', async () => {
    const result = await sandbox.run(HTTP, ['daemon', 'reload'], { env: environment({ MYAPP_DAEMON_WORKERS: '1' }) });
    expect(result.code).to.equal(1);
    expect(result.stderrLines).to.deep.equal([
      "myapp: error: myapp does not reload on SIGHUP (it registers no reload hook and runs no [daemon] workers), so SIGHUP would stop it; use 'daemon stop' and start it again.",
    ]);
  });

  it('refuses a wrong workers value before anything starts', async () => {
    const result = await sandbox.run(HTTP, ['serve', '--daemon'], {
      env: environment({ MYAPP_DAEMON_WORKERS: 'many' }),
    });
    expect(result.code).to.equal(1);
    expect(result.stderrLines).to.deep.equal([
      "myapp: error: Invalid [daemon] workers 'many' (environment variable MYAPP_DAEMON_WORKERS): expected auto or a whole number from 1 to 1024.",
    ]);
    expect(exists(sandbox.pidFile)).to.equal(false);
  });

  it('replaces a worker killed with SIGKILL, with no failed request', async () => {
    const { invocation, primary, workers } = await foreground();
    const loop = new ClientLoop(port, { connections: 4, maxMs: 20_000 });
    await waitUntil(() => loop.answered > 50, 'the client loop to be answered');
    sandbox.signal(workers[0], 'SIGKILL');
    await waitUntil(
      () => workersOf(primary).length === 2 && !workersOf(primary).includes(workers[0]),
      'a replacement worker',
      15_000,
    );
    await waitUntil(
      () => /replaces the one that crashed/.test(invocation.child.stderr),
      'the replacement to be ready',
      15_000,
    );
    const before = loop.answered;
    await waitUntil(() => loop.answered > before + 50, 'more answers');
    const result = await loop.stop();
    const onSurvivor = result.failures.filter((failure) => failure.lastPid !== workers[0]);
    expect(onSurvivor, 'failed requests, other than those the killed worker had taken').to.deep.equal([]);
    expect(invocation.child.stderr).to.match(
      new RegExp(
        `^WARNING: worker \\d \\(pid ${workers[0]}\\) ended by signal SIGKILL \\(it reported no error\\); starting another in \\d+ ms$`,
        'm',
      ),
    );
    expect(isAlive(primary), 'the primary').to.equal(true);
  });

  it('stops with exit 1 and one line naming the cause when the workers crash in a loop', async () => {
    const invocation = sandbox.start(HTTP, ['serve'], {
      env: environment({ CRASH_AFTER_MS: '100', MYAPP_DAEMON_CRASH_LIMIT: '3', MYAPP_DAEMON_CRASH_WINDOW: '30' }),
    });
    const result = await sandbox.finish(invocation, 30_000);
    expect(result.code, result.stderr).to.equal(1);
    const last = result.stderrLines.filter((line) => line.startsWith('myapp: error:'));
    expect(last, result.stderr).to.have.length.greaterThan(0);
    expect(result.stderrLines.at(-1)).to.match(
      /^myapp: error: The workers crash in a loop \(3 crashes within 30 s: \[daemon\] crash_limit = 3, crash_window = 30\), so the daemon stops; the last: worker \d \(pid \d+\) ended by exit code 1: worker \d+ crashed on purpose$/,
    );
    expect(exists(sandbox.pidFile), 'the pid file').to.equal(false);
    expect(sandbox.livingProcesses(), 'processes left').to.deep.equal([]);
  });

  it('with --daemon, a crash loop is in the [log] file, since the error line goes to [daemon] stderr', async () => {
    const log = sandbox.path('myapp.log');
    const started = await sandbox.run(HTTP, ['serve', '--daemon'], {
      env: environment({
        CRASH_AFTER_MS: '300',
        MYAPP_DAEMON_CRASH_LIMIT: '3',
        MYAPP_DAEMON_CRASH_WINDOW: '30',
        MYAPP_LOG_FILE: log,
      }),
    });
    expect(started.code, started.stderr).to.equal(0);
    const primary = sandbox.daemonPid();
    await waitUntil(() => !isAlive(primary), 'the primary to stop on the crash loop', 30_000);
    expect(readIfExists(log)).to.match(
      /\(ERROR\) myapp\.ext\.workers : The workers crash in a loop \(3 crashes within 30 s: .*\), so the daemon stops; the last: worker \d \(pid \d+\) ended by exit code 1: worker \d+ crashed on purpose$/m,
    );
    expect(exists(sandbox.pidFile), 'the pid file').to.equal(false);
    expect(sandbox.livingProcesses(), 'processes left').to.deep.equal([]);
  });

  it('with [daemon] user, starts its workers from a directory that user cannot enter, resolving paths as the primary does', async function () {
    if (!isRoot()) {
      process.stdout.write('      (skipped: switching to nobody needs root)\n');
      this.skip();
    }
    // A world-readable copy of the package and the fixture, for nobody; started from a 0700 directory inside a 0755 one.
    const shared = mkdtempSync(join(tmpdir(), 'mortar-workers-cwd-'));
    try {
      const root = copyBuiltPackage(shared);
      const fixture = join(root, 'build/spec/fixtures/workers/http.js');
      mkdirSync(dirname(fixture), { recursive: true });
      copyFileSync(HTTP, fixture);
      chmodSync(fixture, 0o644);
      const start = join(shared, 'private');
      mkdirSync(start, { mode: 0o700 });
      // `dir = ..` resolves against the directory the program was started from: `shared`, in the workers too.
      const invocation = sandbox.start(fixture, ['serve'], {
        cwd: start,
        env: {
          ...environment({ MYAPP_DAEMON_USER: 'nobody', MYAPP_DAEMON_DIR: '..', MYAPP_DAEMON_KEEP_ENV: 'PORT' }),
          MYAPP_DAEMON_PID_FILE: undefined,
        },
      });
      await waitUntil(
        () => /workers ready/.test(invocation.child.stderr) || !invocation.child.isRunning,
        'the workers to be ready',
        20_000,
      );
      expect(invocation.child.stderr, invocation.child.stderr).to.match(/^INFO: 2 workers ready/m);
      const workers = workersOf(invocation.child.pid);
      expect(workers).to.have.length(2);
      for (const pid of [invocation.child.pid, ...workers]) {
        expect(procStatus(pid).Uid.split(/\s+/)[0], `pid ${pid}'s user`).to.equal(String(NOBODY.uid));
        expect(workingDirectory(pid), `pid ${pid}'s working directory ([daemon] dir = ..)`).to.equal(shared);
      }
      expect([...(await answeringPids(2))].sort((a, b) => a - b)).to.deep.equal(workers);
      invocation.child.kill('SIGTERM');
      const result = await sandbox.finish(invocation);
      expect(result.signal, result.stderr).to.equal('SIGTERM');
    } finally {
      rmSync(shared, { recursive: true, force: true });
    }
  });

  it('SIGHUP replaces every worker one by one with no failed request; the primary stays', async () => {
    const { invocation, primary, workers } = await foreground();
    const loop = new ClientLoop(port, { connections: 4, maxMs: 30_000 });
    await waitUntil(() => loop.answered > 50, 'the client loop to be answered');
    sandbox.signal(primary, 'SIGHUP');
    await waitUntil(() => /^INFO: reloaded: 2 workers/m.test(invocation.child.stderr), 'the reload to finish', 20_000);
    await waitUntil(() => workersOf(primary).length === 2, 'the old workers to end', 15_000);
    expect(invocation.child.stderr, 'error lines from the retired workers').not.to.match(/^(ERROR:|myapp: error:)/m);
    const before = loop.answered;
    await waitUntil(() => loop.answered > before + 50, 'more answers');
    const result = await loop.stop();
    expect(result.failures, 'failed requests').to.deep.equal([]);
    const now = workersOf(primary);
    expect(
      now.filter((pid) => workers.includes(pid)),
      'old workers left',
    ).to.deep.equal([]);
    expect(sandbox.daemonPid(), 'the pid file').to.equal(primary);
    expect(
      [...result.pids.keys()].filter((pid) => now.includes(pid)),
      'new workers answered',
    ).to.have.length(2);
  });

  it('aborts a reload whose new worker cannot get ready, and the old workers go on serving', async () => {
    const failMark = sandbox.path('fail');
    const { invocation, primary, workers } = await foreground({ FAIL_IF_EXISTS: failMark });
    writeFileSync(failMark, '');
    sandbox.signal(primary, 'SIGHUP');
    await waitUntil(() => /reload aborted/.test(invocation.child.stderr), 'the reload to be aborted', 20_000);
    const lines = invocation.child.stderr.split('\n').filter((line) => line.startsWith('ERROR:'));
    expect(lines.filter((line) => line.includes('reload aborted'))).to.have.length(1);
    expect(invocation.child.stderr).to.match(
      /^ERROR: reload aborted: The new worker 1 \(pid \d+\) ended by exit code 1: cannot get ready: .*fail exists before it was ready\. The old workers go on serving\.$/m,
    );
    expect(workersOf(primary), 'the workers').to.deep.equal(workers);
    expect([...(await answeringPids(2))].sort((a, b) => a - b)).to.deep.equal(workers);
  });

  it('on SIGTERM, /readyz answers 503 at once, in-flight requests complete, and it ends by SIGTERM without its pid file', async () => {
    const health = await freePort();
    const { invocation, primary } = await foreground({
      MYAPP_HEALTH_LISTEN: `127.0.0.1:${health}`,
      MYAPP_DAEMON_SHUTDOWN_DELAY: '1',
      SLOW_MS: '1500',
    });
    expect(await get(health, '/readyz')).to.deep.equal({ status: 200, body: 'ready\n' });
    expect(await get(health, '/livez')).to.deep.equal({ status: 200, body: 'ok\n' });
    const slow = get(port, '/slow');
    await new Promise((resolve) => setTimeout(resolve, 200));
    sandbox.signal(primary, 'SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await get(health, '/readyz'), '/readyz after SIGTERM').to.deep.equal({ status: 503, body: 'not ready\n' });
    const answer = await slow;
    expect(answer.status, 'the in-flight request').to.equal(200);
    const result = await sandbox.finish(invocation);
    expect(result.signal, result.stderr).to.equal('SIGTERM');
    expect(exists(sandbox.pidFile)).to.equal(false);
    expect(readIfExists(join(sandbox.runDir, 'app.pid'))).to.equal(undefined);
  });
});
