/**
 * No silent success: a command, a hook or an extension's load() still
 * pending when nothing is left that could settle it ends the process with
 * exit 1 and one line naming it, where Node alone would exit 0.
 */
import { expect } from 'chai';
import { join } from 'node:path';
import { Controller, Expose } from 'mortar';
import { runApp } from 'mortar/testing';
import type * as PendingWorkModule from '../../dist/core/pending-work';
import { requireDist } from '../helpers/dist';
import { ChildProcesses } from '../helpers/process';

const { PendingWork } = requireDist<typeof PendingWorkModule>('core/pending-work');

const PENDING_APP = join(__dirname, '../fixtures/core/pending-app.js');
const NOTHING_LEFT = ': it is waiting on a promise that nothing will settle.\n';

describe('no silent success (a real child process)', () => {
  const children = new ChildProcesses();
  afterEach(() => children.endAll());

  const run = (args: string[], env: Record<string, string> = {}) =>
    children.runNode(PENDING_APP, args, { env, timeoutMs: 10_000 });

  it('a command awaiting a promise nothing will settle exits 1 with one line naming the command', async () => {
    const result = await run(['never']);
    expect({ code: result.code, signal: result.signal, stdout: result.stdout }).to.deep.equal({
      code: 1,
      signal: null,
      stdout: '',
    });
    expect(result.stderr).to.equal(`pending: error: command 'never' never finished${NOTHING_LEFT}`);
  });

  for (const hook of ['pre_setup', 'post_setup', 'pre_run', 'post_run', 'pre_close']) {
    it(`a ${hook} hook that never settles exits 1 with one line naming the hook and its function`, async () => {
      const result = await run(['later'], { PENDING_HOOK: hook });
      expect(result.code, result.stderr).to.equal(1);
      expect(result.stderr).to.equal(`pending: error: hook '${hook}' (waitForever) never settled${NOTHING_LEFT}`);
    });
  }

  it('an extension whose load() never settles exits 1 with one line naming it', async () => {
    const result = await run(['later'], { PENDING_EXTENSION: '1' });
    expect(result.code, result.stderr).to.equal(1);
    expect(result.stdout).to.equal('');
    expect(result.stderr).to.equal(`pending: error: extension 'stuck' load() never settled${NOTHING_LEFT}`);
  });

  it('a post_close hook that never settles after a failure still exits 1, once', async () => {
    const result = await run(['never'], { PENDING_HOOK: 'post_close' });
    expect(result.code, result.stderr).to.equal(1);
    expect(result.stderr).to.equal(`pending: error: command 'never' never finished${NOTHING_LEFT}`);
  });

  it("does not fire for a command that waits on a timer, nor for one that leaves only an unref'd timer", async () => {
    for (const command of ['later', 'unref']) {
      const result = await run([command]);
      expect({ code: result.code, stdout: result.stdout, stderr: result.stderr }, command).to.deep.equal({
        code: 0,
        stdout: 'done\n',
        stderr: '',
      });
    }
  });
});

describe('no silent success (in this process)', () => {
  @Controller({ label: 'base' })
  class Base {
    @Expose()
    listeners(): string {
      return String(process.listenerCount('beforeExit'));
    }
  }

  it('an embedded app (mortar/testing) leaves the event loop to its host: no beforeExit listener', async () => {
    const before = process.listenerCount('beforeExit');
    const { code, stdout } = await runApp('embedded', { controllers: [Base] }, ['listeners']);
    expect({ code, stdout }).to.deep.equal({ code: 0, stdout: `${before}\n` });
    expect(process.listenerCount('beforeExit')).to.equal(before);
  });

  it('PendingWork names the innermost work still pending, and forgets what settled', async () => {
    const pending = new PendingWork();
    let release!: () => void;
    const outer = pending.track('command never finished', new Promise<void>((resolve) => (release = resolve)));
    const inner = pending.track('hook never settled', Promise.resolve(7));
    expect(pending.innermost).to.equal('hook never settled');
    expect(await inner).to.equal(7);
    expect([pending.innermost, pending.size]).to.deep.equal(['command never finished', 1]);
    release();
    await outer;
    expect([pending.innermost, pending.size]).to.deep.equal([undefined, 0]);
    const failing = pending.track('failing', () => {
      throw new Error('no');
    });
    await failing.catch(() => undefined);
    expect(pending.size, 'a rejected one is forgotten too').to.equal(0);
  });
});
