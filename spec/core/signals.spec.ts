import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { App, Controller, Expose, SignalStop } from 'mortar';
import type * as ProcessExitModule from '../../dist/core/process-exit';
import { requireDist } from '../helpers/dist';
import { ChildProcesses, isAlive, waitUntil, type RunningChild } from '../helpers/process';
import { TextSink } from '../helpers/streams';

const SIGNAL_APP = join(__dirname, '../fixtures/core/signal-app.js');
const { processExit, onProcessEnd } = requireDist<typeof ProcessExitModule>('core/process-exit');

/** The app whose command is running, and what its command and hooks did. */
let current: { app?: App; events: string[] } = { events: [] };

@Controller({ label: 'base' })
class WaitingController {
  @Expose()
  async loop(): Promise<void> {
    current.events.push('waiting');
    for (;;) await sleep(10_000, undefined, { signal: current.app!.signal });
  }

  @Expose()
  async fail(): Promise<void> {
    current.events.push('waiting');
    await sleep(10_000, undefined, { signal: current.app!.signal }).catch(() => undefined);
    throw new Error('failed while stopping');
  }
}

describe('signals (a real child process)', () => {
  const children = new ChildProcesses();
  let dir: string;
  let hookLog: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mortar-signals-'));
    hookLog = join(dir, 'hooks.log');
  });

  afterEach(async () => {
    await children.endAll();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The lines the fixture's hooks appended so far. */
  function hookLines(): string[] {
    try {
      return readFileSync(hookLog, 'utf8').split('\n').filter(Boolean);
    } catch {
      return [];
    }
  }

  /** Starts the fixture and resolves once its command is waiting. */
  async function start(command: 'wait' | 'ignore' | 'loop', env: Record<string, string> = {}): Promise<RunningChild> {
    const child = children.startNode(SIGNAL_APP, [command], { env: { HOOK_LOG: hookLog, ...env } });
    await child.waitForOutput(/^ready$/m);
    return child;
  }

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal}: runs the signal hook, then pre_close and post_close, and the process ends by ${signal}`, async () => {
      const child = await start('wait');
      child.kill(signal);
      const result = await child.waitForExit();
      expect(result.signal, child.describeOutput()).to.equal(signal);
      expect(result.code).to.equal(null);
      expect(hookLines()).to.deep.equal([`signal ${signal}`, 'command returned', 'pre_close', 'post_close']);
      expect(result.stderr).to.equal('');
      expect(isAlive(child.pid)).to.equal(false);
    });
  }

  it('SIGHUP without a reload hook stops the app like SIGTERM', async () => {
    const child = await start('wait');
    child.kill('SIGHUP');
    const result = await child.waitForExit();
    expect(result.signal, child.describeOutput()).to.equal('SIGHUP');
    expect(hookLines()).to.deep.equal(['signal SIGHUP', 'command returned', 'pre_close', 'post_close']);
  });

  it('SIGHUP with a reload hook runs it and the process goes on', async () => {
    const child = await start('wait', { RELOAD: '1' });
    child.kill('SIGHUP');
    await child.waitForOutput(/^reloaded$/m);
    // Still running well after the reload: SIGHUP did not stop it.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(child.isRunning, child.describeOutput()).to.equal(true);
    expect(isAlive(child.pid)).to.equal(true);
    expect(hookLines()).to.deep.equal(['reload']);

    child.kill('SIGHUP');
    await waitUntil(() => hookLines().length === 2, 'the second reload');
    expect(hookLines()).to.deep.equal(['reload', 'reload']);

    child.kill('SIGTERM');
    const result = await child.waitForExit();
    expect(result.signal, child.describeOutput()).to.equal('SIGTERM');
    expect(hookLines()).to.deep.equal([
      'reload',
      'reload',
      'signal SIGTERM',
      'command returned',
      'pre_close',
      'post_close',
    ]);
  });

  it('ends quietly, by SIGTERM, when the command lets the AbortError of a wait on app.signal through', async () => {
    const child = await start('loop');
    child.kill('SIGTERM');
    const result = await child.waitForExit();
    expect(result.signal, child.describeOutput()).to.equal('SIGTERM');
    expect(hookLines()).to.deep.equal(['signal SIGTERM', 'pre_close', 'post_close']);
    expect(result.stderr).to.equal('');
  });

  it('closes a command that ignores app.signal after the grace period, and still ends by SIGTERM', async () => {
    const child = await start('ignore', { SHUTDOWN_TIMEOUT: '300' });
    const sent = Date.now();
    child.kill('SIGTERM');
    const result = await child.waitForExit();
    const elapsed = Date.now() - sent;
    expect(result.signal, child.describeOutput()).to.equal('SIGTERM');
    expect(hookLines()).to.deep.equal(['signal SIGTERM', 'pre_close', 'post_close']);
    expect(elapsed).to.be.at.least(300);
    expect(elapsed).to.be.below(5000);
    expect(result.stderr).to.match(/^WARNING: still running 300 ms after SIGTERM: closing anyway$/m);
  });

  it('waits the whole grace period before closing a command that ignores app.signal', async () => {
    const child = await start('ignore', { SHUTDOWN_TIMEOUT: '1500' });
    const sent = Date.now();
    child.kill('SIGTERM');
    await waitUntil(() => hookLines().length > 0, 'the signal hook');
    expect(child.isRunning).to.equal(true);
    const result = await child.waitForExit();
    expect(Date.now() - sent).to.be.at.least(1500);
    expect(result.signal).to.equal('SIGTERM');
    expect(hookLines()).to.deep.equal(['signal SIGTERM', 'pre_close', 'post_close']);
  });

  it('a second SIGTERM during a slow pre_close ends the process at once', async () => {
    const child = await start('wait', { SLOW_CLOSE: '8000' });
    child.kill('SIGTERM');
    await waitUntil(() => hookLines().includes('pre_close'), 'pre_close to start');
    const sent = Date.now();
    child.kill('SIGTERM');
    const result = await child.waitForExit();
    expect(Date.now() - sent).to.be.below(3000);
    expect(result.signal, child.describeOutput()).to.equal('SIGTERM');
    expect(hookLines()).to.deep.equal(['signal SIGTERM', 'command returned', 'pre_close']);
    expect(result.stderr).to.match(/^WARNING: received SIGTERM again while stopping: exiting now$/m);
  });

  it('a SIGINT during a slow SIGTERM shutdown ends the process by SIGINT', async () => {
    const child = await start('wait', { SLOW_CLOSE: '8000' });
    child.kill('SIGTERM');
    await waitUntil(() => hookLines().includes('pre_close'), 'pre_close to start');
    child.kill('SIGINT');
    const result = await child.waitForExit();
    expect(result.signal, child.describeOutput()).to.equal('SIGINT');
    expect(hookLines()).to.not.include('post_close');
  });
});

describe('signals (in this process)', () => {
  const stopSignals = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;
  const listenerCounts = () => stopSignals.map((signal) => process.listenerCount(signal));
  const originalRaise = processExit.raise;
  let raised: string[];
  let savedExitCode: typeof process.exitCode;

  beforeEach(() => {
    raised = [];
    current = { events: [] };
    savedExitCode = process.exitCode;
    processExit.raise = (signal) => void raised.push(signal);
  });

  afterEach(async () => {
    await current.app?.close();
    processExit.raise = originalRaise;
    process.exitCode = savedExitCode;
  });

  /** Starts main() on a command that waits on app.signal, resolving once it waits, to main()'s promise. */
  async function startWaiting(command: string, stderr: TextSink): Promise<{ done: Promise<number> }> {
    const hooks = ['signal', 'pre_close', 'post_close'].map(
      (name) =>
        [
          name,
          (_app: unknown, signal?: string) => void current.events.push(signal ? `${name} ${signal}` : name),
        ] as const,
    );
    current.app = new App('t', {
      argv: [command],
      configFiles: [],
      stdout: new TextSink(),
      stderr,
      controllers: [WaitingController],
      hooks,
    });
    let finished = false;
    const done = current.app.main().finally(() => (finished = true));
    await waitUntil(() => current.events.length > 0 || finished, 'the command to wait');
    expect(finished, stderr.text).to.equal(false);
    return { done };
  }

  it('a stop signal aborts app.signal with SignalStop, closes, and ends the process by that signal', async () => {
    const stderr = new TextSink();
    const { done } = await startWaiting('loop', stderr);
    process.emit('SIGTERM', 'SIGTERM');
    expect(await done).to.equal(0);
    expect(current.app!.signal.aborted).to.equal(true);
    expect(current.app!.signal.reason).to.be.instanceOf(SignalStop).with.property('signal', 'SIGTERM');
    expect(current.events).to.deep.equal(['waiting', 'signal SIGTERM', 'pre_close', 'post_close']);
    expect(raised).to.deep.equal(['SIGTERM']);
    expect(stderr.text).to.equal('');
  });

  it('still reports an error a command throws while stopping', async () => {
    const stderr = new TextSink();
    const { done } = await startWaiting('fail', stderr);
    process.emit('SIGINT', 'SIGINT');
    expect(await done).to.equal(1);
    expect(stderr.text).to.equal('t: error: failed while stopping\n');
    expect(raised).to.deep.equal(['SIGINT']);
  });

  it('a second signal while closing runs the end-of-process clean-ups, then ends the process by it', async () => {
    const cleaned: string[] = [];
    const forget = onProcessEnd(() => void cleaned.push('pid file removed'));
    let finishClosing: (() => void) | undefined;
    const stderr = new TextSink();
    current.app = new App('t', {
      argv: ['loop'],
      configFiles: [],
      stdout: new TextSink(),
      stderr,
      controllers: [WaitingController],
      hooks: [['pre_close', () => new Promise<void>((resolve) => (finishClosing = resolve))]],
    });
    const done = current.app.main();
    await waitUntil(() => current.events.includes('waiting'), 'the command to wait');
    process.emit('SIGTERM', 'SIGTERM');
    await waitUntil(() => finishClosing !== undefined, 'pre_close to start');
    expect(cleaned, 'clean-ups before the second signal').to.deep.equal([]);
    process.emit('SIGINT', 'SIGINT');
    expect(cleaned).to.deep.equal(['pid file removed']);
    expect(raised[0]).to.equal('SIGINT');
    expect(stderr.text).to.equal('WARNING: received SIGINT again while stopping: exiting now\n');
    forget();
    finishClosing!();
    await done;
  });

  it('counts a signal hook that never returns against the grace period, then closes', async () => {
    const events: string[] = [];
    current.app = new App('t', {
      argv: [],
      configFiles: [],
      stdout: new TextSink(),
      stderr: new TextSink(),
      shutdownTimeout: 50,
      hooks: [
        ['signal', () => new Promise<void>(() => undefined)],
        ['post_close', () => void events.push('post_close')],
      ],
    });
    await current.app.setup();
    process.emit('SIGTERM', 'SIGTERM');
    await waitUntil(() => events.length > 0, 'close after the grace period', 2000);
    expect(events).to.deep.equal(['post_close']);
    expect(raised).to.deep.equal(['SIGTERM']);
  });

  function quietApp(handleSignals?: boolean): App {
    return new App('t', { argv: [], configFiles: [], stdout: new TextSink(), stderr: new TextSink(), handleSignals });
  }

  it('app.signal is an AbortSignal that has not aborted', () => {
    const app = quietApp(false);
    expect(app.signal).to.be.instanceOf(AbortSignal);
    expect(app.signal.aborted).to.equal(false);
  });

  it('setup() listens for SIGTERM, SIGINT and SIGHUP and close() stops listening', async () => {
    const before = listenerCounts();
    const app = quietApp();
    await app.setup();
    try {
      expect(listenerCounts()).to.deep.equal(before.map((count) => count + 1));
    } finally {
      await app.close();
    }
    expect(listenerCounts()).to.deep.equal(before);
  });

  it('handleSignals: false leaves the process signals alone', async () => {
    const before = listenerCounts();
    const app = quietApp(false);
    await app.setup();
    expect(listenerCounts()).to.deep.equal(before);
    await app.close();
    expect(listenerCounts()).to.deep.equal(before);
  });
});
