/**
 * Stop signals while a `--daemon` start is under way, and a daemonized
 * command that awaits only `app.signal`.
 *
 * - SIGINT or SIGTERM to the invoker before the daemon is ready stops the
 *   start: the daemon child is stopped, nothing is left (no pid file, no
 *   process), and the invoker ends by that signal (exit status 130 or 143).
 * - A stop signal the daemon child receives while it sets up: it never
 *   reports ready, and the invoker exits 1 with one line saying so.
 * - `await once(app.signal, 'abort')` with nothing else holding the event
 *   loop: the daemon stays up until stopped, in the foreground and detached.
 *
 * The daemon child's setup is made slow (SLOW_SETUP_MS) after it wrote its
 * pid to SETUP_MARK, so each signal is sent once that marker says the window
 * is open.
 */
import { expect } from 'chai';
import {
  daemonFixture,
  exists,
  expectOutput,
  isAlive,
  readIfExists,
  waitUntil,
  useDaemonSandbox,
} from '../../helpers/daemon';

const SHUTDOWN = daemonFixture('shutdown');
const MANUAL_READY = daemonFixture('manual-ready');

describe('stop signals during a --daemon start', function () {
  const sandbox = useDaemonSandbox();

  /** Starts `shutdown.js run-forever --daemon` with a slow daemon setup; resolves once the daemon child is setting up. */
  async function startSlowly() {
    const mark = sandbox.path('setting-up');
    const invocation = sandbox.start(SHUTDOWN, ['run-forever', '--daemon'], {
      env: { SETUP_MARK: mark, SLOW_SETUP_MS: '1500' },
    });
    await waitUntil(() => /^\d+\n$/.test(readIfExists(mark) ?? ''), 'the daemon child to start setting up', 10_000);
    const child = Number(readIfExists(mark));
    expect(isAlive(child), `daemon child ${child}`).to.equal(true);
    return { invocation, child };
  }

  for (const [signal, code] of [
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const) {
    it(`${signal} to the invoker before ready stops the daemon child, leaves nothing and ends the invoker by ${signal} (${code})`, async () => {
      const { invocation, child } = await startSlowly();
      invocation.child.kill(signal);
      const result = await sandbox.finish(invocation);
      expect(result.signal, `how the invoker ended (exit code ${result.code})\n${result.stderr}`).to.equal(signal);
      expect(result.stderr, "the invoker's stderr").to.equal('');
      await waitUntil(() => !isAlive(child), `daemon child ${child} to be gone`);
      expect(exists(sandbox.pidFile), 'the pid file').to.equal(false);
      expect(sandbox.livingProcesses(), 'processes left').to.deep.equal([]);
    });
  }

  it('a stop signal the daemon child receives while it sets up: it never reports ready, and the invoker exits 1 saying so', async () => {
    const { invocation, child } = await startSlowly();
    sandbox.signal(child, 'SIGTERM');
    const result = await sandbox.finish(invocation);
    expect(result.code, result.stderr).to.equal(1);
    expect(result.stderrLines).to.deep.equal([
      'myapp: error: The daemon received SIGTERM before it was ready, so it did not start.',
    ]);
    await waitUntil(() => !isAlive(child), `daemon child ${child} to be gone`);
    expect(exists(sandbox.pidFile), 'the pid file').to.equal(false);
    expect(sandbox.livingProcesses(), 'processes left').to.deep.equal([]);
  });
});

describe('a stop signal to a daemon with manual readiness, after daemonize() and before ready()', function () {
  const sandbox = useDaemonSandbox();

  it('keeps it from reporting ready: it closes, removing its pid file, and the invoker exits 1 saying so', async () => {
    const invocation = sandbox.start(MANUAL_READY, ['serve', '--daemon'], { env: { READY_DELAY_MS: '1500' } });
    // The pid file is written in daemonize(); ready() comes READY_DELAY_MS later.
    await waitUntil(
      () => /^\d+\n$/.test(readIfExists(sandbox.pidFile) ?? ''),
      'the daemon to write its pid file',
      10_000,
    );
    const daemon = sandbox.daemonPid();
    sandbox.signal(daemon, 'SIGTERM');
    const result = await sandbox.finish(invocation);
    expect(result.code, result.stderr).to.equal(1);
    expect(result.stderrLines).to.deep.equal([
      'myapp: error: The daemon received SIGTERM before it was ready, so it did not start.',
    ]);
    await waitUntil(() => !isAlive(daemon), `daemon ${daemon} to be gone`);
    expect(exists(sandbox.pidFile), 'the pid file').to.equal(false);
  });
});

describe('a daemonized command that awaits only app.signal', function () {
  const sandbox = useDaemonSandbox();

  it('stays up in the foreground until SIGTERM, then ends by it, its pid file gone', async () => {
    const invocation = sandbox.start(SHUTDOWN, ['await-signal']);
    await invocation.child.waitForOutput(/^ready$/m);
    const pid = invocation.child.pid;
    expectOutput(await sandbox.run(SHUTDOWN, ['daemon', 'status']), 0, `myapp is running (pid ${pid})\n`);
    expect(invocation.child.isRunning, 'the app after a status').to.equal(true);
    invocation.child.kill('SIGTERM');
    const result = await sandbox.finish(invocation);
    expect(result.signal, `how it ended (exit code ${result.code})\n${result.stderr}`).to.equal('SIGTERM');
    expect(exists(sandbox.pidFile), 'the pid file').to.equal(false);
  });

  it('stays up detached until stopped, and stop ends it, its pid file gone', async () => {
    const started = await sandbox.run(SHUTDOWN, ['await-signal', '--daemon']);
    expect(started.code, started.stderr).to.equal(0);
    const pid = sandbox.daemonPid();
    expectOutput(await sandbox.run(SHUTDOWN, ['daemon', 'status']), 0, `myapp is running (pid ${pid})\n`);
    expect(isAlive(pid), 'the daemon after a status').to.equal(true);
    expectOutput(await sandbox.run(SHUTDOWN, ['daemon', 'stop']), 0, `myapp stopped (pid ${pid})\n`);
    expect(isAlive(pid), 'the daemon after stop').to.equal(false);
    expect(exists(sandbox.pidFile), 'the pid file').to.equal(false);
  });
});
