/**
 * The daemon extension's failures end to end: each misconfiguration or early
 * failure of a `--daemon` start exits 1 with one stderr line naming the
 * culprit, and leaves no pid file and no process behind.
 */
import { expect } from 'chai';
import { lstatSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import {
  DaemonSandbox,
  MYAPP,
  NOBODY,
  daemonFixture,
  exists,
  isRoot,
  type InvokerResult,
  useDaemonSandbox,
} from '../../helpers/daemon';

/** Checks the invoker failed cleanly: exit 1, one line on stderr containing `culprit`, no pid file, no process left. */
function expectCleanFailure(result: InvokerResult, sandbox: DaemonSandbox, culprit: string | RegExp): void {
  expect(result.code, `exit code; stderr:\n${result.stderr}`).to.equal(1);
  expect(result.stderrLines, 'stderr lines').to.have.length(1);
  if (typeof culprit === 'string') expect(result.stderrLines[0]).to.contain(culprit);
  else expect(result.stderrLines[0]).to.match(culprit);
  expect(exists(sandbox.pidFile), `${sandbox.pidFile} exists`).to.equal(false);
  expect(sandbox.livingProcesses(), 'processes left').to.deep.equal([]);
}

describe('daemon end to end: failures', function () {
  const sandbox = useDaemonSandbox();

  const start = (env: Record<string, string> = {}): Promise<InvokerResult> =>
    sandbox.run(MYAPP, ['run-forever', '--daemon'], { env });

  it('an unknown user', async () => {
    expectCleanFailure(
      await start({ MYAPP_DAEMON_USER: 'nosuchuser' }),
      sandbox,
      "Daemon user 'nosuchuser' doesn't exist.",
    );
  });

  it('an unknown group', async () => {
    expectCleanFailure(
      await start({ MYAPP_DAEMON_GROUP: 'nosuchgroup' }),
      sandbox,
      "Daemon group 'nosuchgroup' doesn't exist.",
    );
  });

  it('a umask that is not octal', async () => {
    expectCleanFailure(await start({ MYAPP_DAEMON_UMASK: '0999' }), sandbox, /umask '0999'/);
  });

  it('a missing dir', async () => {
    const missing = sandbox.path('missing');
    expectCleanFailure(await start({ MYAPP_DAEMON_DIR: missing }), sandbox, `'${missing}'`);
  });

  it('a pid directory the daemon user cannot write to', async function () {
    if (!isRoot()) {
      process.stdout.write('      (skipped: switching to nobody needs root)\n');
      this.skip();
    }
    // run/ is root's, mode 0755: nobody cannot create files there.
    const result = await start({ MYAPP_DAEMON_USER: NOBODY.user });
    expectCleanFailure(result, sandbox, sandbox.pidFile);
    expect(result.stderrLines[0]).to.match(/permission denied/i);
  });

  it('a pid file naming the running daemon: already running, and the file is left as it was', async () => {
    const first = await start();
    expect(first.code, first.stderr).to.equal(0);
    const daemon = sandbox.daemonPid();
    const result = await start();
    expect(result.code, result.stderr).to.equal(1);
    expect(result.stderrLines).to.have.length(1);
    expect(result.stderrLines[0]).to.contain(`already running (pid ${daemon}, ${sandbox.pidFile})`);
    expect(readFileSync(sandbox.pidFile, 'utf8')).to.equal(`${daemon}\n`);
    expect(sandbox.livingProcesses()).to.deep.equal([daemon]);
  });

  it('a pid file path that is a symbolic link to a file: refused, the file untouched', async () => {
    const target = sandbox.path('precious.txt');
    writeFileSync(target, 'precious\n');
    symlinkSync(target, sandbox.pidFile);
    const result = await start();
    expect(result.code, result.stderr).to.equal(1);
    expect(result.stderrLines).to.have.length(1);
    expect(result.stderrLines[0])
      .to.contain(sandbox.pidFile)
      .and.match(/symbolic link/);
    expect(readFileSync(target, 'utf8')).to.equal('precious\n');
    expect(lstatSync(sandbox.pidFile).isSymbolicLink()).to.equal(true);
    expect(sandbox.livingProcesses()).to.deep.equal([]);
  });

  it('a pid file path that is a dangling symbolic link: refused, nothing created through it', async () => {
    const target = sandbox.path('created-through-the-link');
    symlinkSync(target, sandbox.pidFile);
    const result = await start();
    expect(result.code, result.stderr).to.equal(1);
    expect(result.stderrLines).to.have.length(1);
    expect(result.stderrLines[0])
      .to.contain(sandbox.pidFile)
      .and.match(/symbolic link/);
    expect(exists(target), `${target} exists`).to.equal(false);
    expect(sandbox.livingProcesses()).to.deep.equal([]);
  });

  it('an exception after daemonize() but before a manual ready(): the invoker prints it', async () => {
    const result = await sandbox.run(daemonFixture('fails-before-ready'), ['serve', '--daemon']);
    expectCleanFailure(result, sandbox, 'cannot listen on port 8080: address already in use');
  });

  it('a daemon that does not report ready within ready_timeout is stopped', async () => {
    const result = await sandbox.run(daemonFixture('manual-ready'), ['serve', '--daemon'], {
      env: { READY_DELAY_MS: '10000', MYAPP_DAEMON_READY_TIMEOUT: '1' },
    });
    expectCleanFailure(result, sandbox, /did not report ready within 1 s/);
  });
});
