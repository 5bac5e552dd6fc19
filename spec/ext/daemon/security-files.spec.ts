/**
 * Files root opens or removes for a daemon cannot be redirected by another
 * local user: a symbolic link (dangling or not) where the log file,
 * `[daemon] stdout` or `stderr` goes is refused, also when swapped in before a
 * SIGHUP reopen, and `daemon stop` removes nothing through a symlinked pid
 * directory. The spec plays the other user's part itself; a scratch file
 * root owns stands in for the target (never a real system file).
 */
import { expect } from 'chai';
import { chmodSync, lchownSync, mkdirSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { MYAPP, NOBODY, exists, isAlive, isRoot, readIfExists, useDaemonSandbox } from '../../helpers/daemon';
import { waitForText } from '../../helpers/operate';

const TARGET_TEXT = 'a file root owns; no line may be added to it\n';

describe('files root opens for the daemon', function () {
  const sandbox = useDaemonSandbox();
  let target: string;

  beforeEach(function () {
    if (!isRoot()) {
      process.stdout.write('      (skipped: the checks guard what root opens; this run is not root)\n');
      this.skip();
    }
    target = sandbox.path('target');
    writeFileSync(target, TARGET_TEXT, { mode: 0o600 });
  });

  /** `run-forever --daemon` with `env`: refused in one line naming `path`, with nothing left and the target untouched. */
  async function expectRefused(env: Record<string, string>, path: string): Promise<void> {
    const result = await sandbox.run(MYAPP, ['run-forever', '--daemon'], { env });
    expect(result.code, `exit code\n${result.stderr}`).to.equal(1);
    expect(result.stderrLines, 'stderr').to.have.length(1);
    expect(result.stderrLines[0]).to.contain(path).and.to.contain('symbolic link');
    expect(readIfExists(target), 'the target').to.equal(TARGET_TEXT);
    expect(exists(sandbox.pidFile), 'a pid file').to.equal(false);
    expect(sandbox.livingProcesses(), 'processes left').to.deep.equal([]);
  }

  for (const [setting, variable] of [
    ['[log] file', 'MYAPP_LOG_FILE'],
    ['[daemon] stdout', 'MYAPP_DAEMON_STDOUT'],
    ['[daemon] stderr', 'MYAPP_DAEMON_STDERR'],
  ] as const) {
    it(`refuses ${setting} when it is a symbolic link to a file root owns`, async () => {
      const link = sandbox.path('out.log');
      symlinkSync(target, link);
      await expectRefused({ [variable]: link }, link);
    });

    it(`refuses ${setting} when it is a dangling symbolic link, creating nothing where it points`, async () => {
      const link = sandbox.path('out.log');
      const missing = sandbox.path('created-by-root');
      symlinkSync(missing, link);
      await expectRefused({ [variable]: link }, link);
      expect(exists(missing), `${missing} exists`).to.equal(false);
    });
  }

  it('refuses a symbolic link swapped in before a SIGHUP reopen: the old file is kept, with one line saying why', async () => {
    const logFile = sandbox.logFile;
    const started = await sandbox.run(MYAPP, ['run-forever', '--daemon'], { env: { MYAPP_LOG_FILE: logFile } });
    expect(started.code, `the invoker's exit code\n${started.stderr}`).to.equal(0);
    const pid = sandbox.daemonPid();
    await waitForText(logFile, /running as pid/);
    const rotated = sandbox.path('myapp.log.1');
    renameSync(logFile, rotated);
    symlinkSync(target, logFile);

    sandbox.signal(pid, 'SIGHUP');
    const old = await waitForText(rotated, /configuration reloaded/);

    const refusals = old.split('\n').filter((line) => line.includes('keeping the old log file open'));
    expect(refusals, `the old log file:\n${old}`).to.have.length(1);
    expect(refusals[0]).to.contain(`${logFile} is a symbolic link`);
    expect(readIfExists(target), 'the target').to.equal(TARGET_TEXT);
    expect(isAlive(pid), 'the daemon still runs').to.equal(true);
  });

  it('refuses a log file in a directory another user can write', async () => {
    const shared = sandbox.path('shared');
    mkdirSync(shared);
    chmodSync(shared, 0o777);
    const logFile = `${shared}/myapp.log`;
    const result = await sandbox.run(MYAPP, ['run-forever', '--daemon'], { env: { MYAPP_LOG_FILE: logFile } });
    expect(result.code, `exit code\n${result.stderr}`).to.equal(1);
    expect(result.stderrLines, 'stderr').to.deep.equal([
      `myapp: error: Cannot open log file ${logFile}: directory ${shared} is writable by every user (chmod o-w ${shared}).`,
    ]);
    expect(exists(logFile), 'the log file').to.equal(false);
  });

  it('accepts a log file in a sticky directory such as /tmp', async () => {
    const sticky = sandbox.path('sticky');
    mkdirSync(sticky);
    chmodSync(sticky, 0o1777);
    const logFile = `${sticky}/myapp.log`;
    const started = await sandbox.run(MYAPP, ['run-forever', '--daemon'], { env: { MYAPP_LOG_FILE: logFile } });
    expect(started.code, `the invoker's exit code\n${started.stderr}`).to.equal(0);
    await waitForText(logFile, /running as pid/);
  });

  it("removes nothing through a pid directory another user made a symbolic link into root's directory", async () => {
    const secret = sandbox.path('secret');
    mkdirSync(secret, { mode: 0o700 });
    const planted = `${secret}/app.pid`;
    writeFileSync(planted, 'not a pid\n');
    rmSync(sandbox.runDir, { recursive: true });
    symlinkSync(secret, sandbox.runDir);
    lchownSync(sandbox.runDir, NOBODY.uid, NOBODY.gid);

    const result = await sandbox.run(MYAPP, ['daemon', 'stop']);

    expect(result.code, `exit code\n${result.stderr}`).to.equal(1);
    expect(result.stderrLines, 'stderr').to.have.length(1);
    expect(result.stderrLines[0]).to.contain(`${sandbox.runDir} is a symbolic link owned by uid ${NOBODY.uid}`);
    expect(readdirSync(secret), `what ${secret} holds`).to.deep.equal(['app.pid']);
    expect(readIfExists(planted)).to.equal('not a pid\n');
  });
});
