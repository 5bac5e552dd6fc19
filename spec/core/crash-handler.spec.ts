/**
 * An exception nothing caught: one error line (the stack only at debug
 * level), the app closed, exit 1; and the clean-ups that run however the
 * process ends. In this process, with the exit seam replaced.
 */
import { expect } from 'chai';
import { App, Logger } from 'mortar';
import type * as CrashModule from '../../dist/core/crash-handler';
import type * as ProcessExitModule from '../../dist/core/process-exit';
import { requireDist } from '../helpers/dist';
import { waitUntil } from '../helpers/process';
import { TextSink } from '../helpers/streams';

const { CrashHandler } = requireDist<typeof CrashModule>('core/crash-handler');
const { processExit, onProcessEnd, runProcessEndCleanups } = requireDist<typeof ProcessExitModule>('core/process-exit');

describe('CrashHandler', () => {
  const originalExit = processExit.exit;
  let exits: number[];

  beforeEach(() => {
    exits = [];
    processExit.exit = ((code: number) => void exits.push(code)) as typeof processExit.exit;
  });

  afterEach(() => {
    processExit.exit = originalExit;
  });

  /** A target whose close() takes as long as `closing` and records that it ran. */
  function target(level: 'info' | 'debug' = 'info', closing: Promise<void> = Promise.resolve()) {
    const stderr = new TextSink();
    const log = new Logger('t', stderr);
    log.configure({ level });
    const events: string[] = [];
    const crashTarget = {
      log,
      lastError: undefined as unknown,
      close: async () => {
        events.push('close');
        await closing;
        events.push('closed');
      },
    };
    return { crashTarget, stderr, events };
  }

  it('logs one line, records the error, closes, then exits 1', async () => {
    const { crashTarget, stderr, events } = target();
    const error = new Error('boom');
    await new CrashHandler(crashTarget, 10_000).handle(error);
    expect(stderr.lines).to.deep.equal(['ERROR: uncaught exception: boom']);
    expect(crashTarget.lastError).to.equal(error);
    expect(events).to.deep.equal(['close', 'closed']);
    expect(exits).to.deep.equal([1]);
  });

  it('adds the stack at debug level', async () => {
    const { crashTarget, stderr } = target('debug');
    await new CrashHandler(crashTarget, 10_000).handle(new Error('boom'), 'unhandled promise rejection');
    expect(stderr.text).to.match(/\(ERROR\) t\.core\.crash : unhandled promise rejection: boom\n/);
    expect(stderr.text).to.match(/\(DEBUG\) t\.core\.crash : Error: boom\n\s+at /);
  });

  it('names a thrown value that is not an Error', async () => {
    const { crashTarget, stderr } = target();
    await new CrashHandler(crashTarget, 10_000).handle('just a string');
    expect(stderr.lines).to.deep.equal(['ERROR: uncaught exception: just a string']);
  });

  it('exits at once on a second one while closing', async () => {
    let finishClosing: () => void = () => undefined;
    const { crashTarget, stderr } = target('info', new Promise<void>((resolve) => (finishClosing = resolve)));
    const handler = new CrashHandler(crashTarget, 10_000);
    const first = handler.handle(new Error('first'));
    await handler.handle(new Error('second'));
    expect(exits).to.deep.equal([1]);
    expect(stderr.lines).to.deep.equal([
      'ERROR: uncaught exception: first',
      'ERROR: uncaught exception while closing after another: second',
    ]);
    finishClosing();
    await first;
  });

  it('exits after the grace period when closing never ends', async () => {
    const { crashTarget, stderr } = target('info', new Promise<void>(() => undefined));
    void new CrashHandler(crashTarget, 20).handle(new Error('boom'));
    await waitUntil(() => exits.length > 0, 'the exit after the grace period');
    expect(exits).to.deep.equal([1]);
    expect(stderr.lines[1]).to.equal('WARNING: still closing 20 ms after the uncaught exception: exiting anyway');
  });

  it('is installed by setup() and removed by close(), unless handleSignals is false', async () => {
    const before = process.listenerCount('uncaughtException');
    const app = new App('t', { argv: [], configFiles: [], stdout: new TextSink(), stderr: new TextSink() });
    await app.setup();
    try {
      expect(process.listenerCount('uncaughtException')).to.equal(before + 1);
    } finally {
      await app.close();
    }
    expect(process.listenerCount('uncaughtException')).to.equal(before);
    const quiet = new App('t', {
      argv: [],
      configFiles: [],
      stdout: new TextSink(),
      stderr: new TextSink(),
      handleSignals: false,
    });
    await quiet.setup();
    expect(process.listenerCount('uncaughtException')).to.equal(before);
    await quiet.close();
  });
});

describe('onProcessEnd', () => {
  it('runs each clean-up once, in order, even when one throws; an unregistered one never', () => {
    const ran: string[] = [];
    onProcessEnd(() => void ran.push('first'));
    onProcessEnd(() => {
      ran.push('throws');
      throw new Error('ignored');
    });
    const forget = onProcessEnd(() => void ran.push('forgotten'));
    onProcessEnd(() => void ran.push('last'));
    forget();
    runProcessEndCleanups();
    runProcessEndCleanups();
    expect(ran).to.deep.equal(['first', 'throws', 'last']);
  });
});
