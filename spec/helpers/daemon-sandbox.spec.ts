/**
 * useDaemonSandbox(): each test gets a sandbox of its own, and what a test
 * started is ended by pid, and its directory removed, before the next runs.
 */
import { expect } from 'chai';
import { MYAPP, exists, isAlive, useDaemonSandbox } from './daemon';

describe('useDaemonSandbox()', function () {
  describe('a sandbox per test', function () {
    const sandbox = useDaemonSandbox();
    let previous: { dir: string; pid: number } | undefined;

    it('starts a daemon in a directory of its own', async () => {
      const result = await sandbox.run(MYAPP, ['run-forever', '--daemon']);
      expect(result.code, result.stderr).to.equal(0);
      previous = { dir: sandbox.dir, pid: sandbox.daemonPid() };
      expect(isAlive(previous.pid), 'the daemon').to.equal(true);
    });

    it('has ended that daemon and removed its directory by the next test, which has another', () => {
      if (!previous) throw new Error('the previous test started no daemon');
      expect(isAlive(previous.pid), `pid ${previous.pid}`).to.equal(false);
      expect(exists(previous.dir), previous.dir).to.equal(false);
      expect(sandbox.dir).to.not.equal(previous.dir);
    });
  });

  describe('outside a test', function () {
    const sandbox = useDaemonSandbox();
    let error: unknown;
    try {
      void sandbox.dir;
    } catch (caught) {
      error = caught;
    }

    it('is refused with a line that says where it exists', () => {
      expect(String(error)).to.match(
        /no sandbox while reading 'dir': it exists from its before hook to its after hook/,
      );
    });
  });
});
