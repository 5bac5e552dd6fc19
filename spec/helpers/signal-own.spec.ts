/**
 * The specs' own safety net: a helper never signals a process the test did
 * not start. A pid read from a pid file may be -1 (a failed start), 0, 1
 * (init) or a stranger's; signalling any of them could take down the machine.
 */
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { DaemonSandbox } from './daemon';
import { ChildProcesses, isAlive, signalOwn } from './process';

describe('the specs’ signal helper', () => {
  let stranger: ChildProcess | undefined;

  afterEach(async () => {
    if (stranger && stranger.exitCode === null && stranger.signalCode === null) {
      const exited = once(stranger, 'exit');
      stranger.kill('SIGKILL');
      await exited;
    }
    stranger = undefined;
  });

  /** A live process started behind the helpers' back, standing for someone else's. */
  function startStranger(): number {
    stranger = spawn('sleep', ['30'], { stdio: 'ignore' });
    return stranger.pid!;
  }

  it('refuses -1, 0 and 1 even when told they are the test’s own', () => {
    for (const pid of [-1, 0, 1, -process.pid, Number.NaN, 1.5]) {
      expect(() => signalOwn(pid, 'SIGTERM', () => true), `pid ${pid}`).to.throw(/refusing to send SIGTERM/);
    }
  });

  it('refuses this process', () => {
    expect(() => signalOwn(process.pid, 'SIGTERM', () => true)).to.throw(/test runner/);
  });

  it('refuses a stranger’s pid and leaves it running', () => {
    const pid = startStranger();
    expect(() => signalOwn(pid, 'SIGTERM', () => false)).to.throw(/not a process this test started/);
    expect(isAlive(pid)).to.equal(true);
  });

  it('refuses, in a daemon sandbox, pid 1, -1 and a stranger, and signals nothing', async () => {
    const sandbox = new DaemonSandbox();
    try {
      const pid = startStranger();
      for (const target of [-1, 0, 1, pid]) {
        expect(() => sandbox.signal(target, 'SIGTERM'), `pid ${target}`).to.throw(/refusing/);
      }
      expect(isAlive(pid)).to.equal(true);
    } finally {
      await sandbox.cleanUp();
    }
  });

  it('signals a child it started until node reaps it, then does nothing', async () => {
    const children = new ChildProcesses();
    const child = children.startNode('-e', ['setTimeout(() => {}, 30000)']);
    child.kill('SIGTERM');
    const result = await child.waitForExit();
    expect(result.signal).to.equal('SIGTERM');
    expect(() => child.kill('SIGTERM')).to.not.throw();
    await children.endAll();
  });
});
