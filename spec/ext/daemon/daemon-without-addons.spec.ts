/**
 * The daemon without the optional native addons, as after
 * `npm install --omit=optional` or on a machine with no compiler: the myapp
 * sample run with a preload that makes `require('posix')` and
 * `require('unix-dgram')` fail; as root, it switches to nobody for real.
 */
import { expect } from 'chai';
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  MYAPP,
  NOBODY,
  exists,
  groupsOf,
  idList,
  isRoot,
  parsePid,
  procStatus,
  type InvokerResult,
  useDaemonSandbox,
} from '../../helpers/daemon';

const HIDE_ADDONS = resolve(__dirname, '../../fixtures/preload/hide-addons.js');

/** The shared objects a process has mapped whose path names a native addon. */
function mappedAddons(pid: number): string[] {
  const paths = readFileSync(`/proc/${pid}/maps`, 'utf8')
    .split('\n')
    .map((line) => line.split(/\s+/).slice(5).join(' '))
    .filter((path) => path.endsWith('.node'));
  return [...new Set(paths)];
}

describe('daemon end to end without the optional addons', function () {
  const sandbox = useDaemonSandbox();

  function skipUnlessRoot(context: Mocha.Context): void {
    if (isRoot()) return;
    process.stdout.write(`      (skipped: switching to nobody needs root; this runs as uid ${process.getuid?.()})\n`);
    context.skip();
  }

  /** The daemon's pid after a start that must have succeeded. */
  function started(result: InvokerResult): number {
    expect(result.code, `the invoker's exit code\n${result.stderr}`).to.equal(0);
    const pid = parsePid(result.pidFileAtExit);
    if (pid === undefined) throw new Error(`the daemon did not start: ${result.stderr || 'no pid file'}`);
    expect(result.wasPidFileAliveAtExit, `pid ${pid} alive when the invoker exited`).to.equal(true);
    return sandbox.daemonPid();
  }

  it('detaches and runs as nobody, looking the account up without the posix addon', async function () {
    skipUnlessRoot(this);
    sandbox.giveRunDirTo(NOBODY.uid, NOBODY.gid);
    const result = await sandbox.run(MYAPP, ['run-forever', '--daemon'], {
      env: { MYAPP_DAEMON_USER: NOBODY.user },
      execArgv: ['--require', HIDE_ADDONS],
    });
    const pid = started(result);
    expect(result.stderr).to.equal('');
    const status = procStatus(pid);
    expect(idList(status.Uid), 'Uid').to.deep.equal([NOBODY.uid, NOBODY.uid, NOBODY.uid, NOBODY.uid]);
    expect(idList(status.Gid), 'Gid').to.deep.equal([NOBODY.gid, NOBODY.gid, NOBODY.gid, NOBODY.gid]);
    expect(
      idList(status.Groups).sort((a, b) => a - b),
      'Groups',
    ).to.deep.equal(groupsOf(NOBODY.user));
    expect(statSync(sandbox.pidFile).uid, 'pid file owner').to.equal(NOBODY.uid);
    expect(mappedAddons(pid), 'native addons mapped into the daemon').to.deep.equal([]);
    await sandbox.signalAndWait(pid, 'SIGTERM');
    expect(exists(sandbox.pidFile), `${sandbox.pidFile} exists`).to.equal(false);
  });

  it('runs as a numeric uid and gid', async function () {
    skipUnlessRoot(this);
    sandbox.giveRunDirTo(NOBODY.uid, NOBODY.gid);
    const result = await sandbox.run(MYAPP, ['run-forever', '--daemon'], {
      env: { MYAPP_DAEMON_USER: String(NOBODY.uid), MYAPP_DAEMON_GROUP: String(NOBODY.gid) },
      execArgv: ['--require', HIDE_ADDONS],
    });
    const pid = started(result);
    expect(idList(procStatus(pid).Uid)).to.deep.equal([NOBODY.uid, NOBODY.uid, NOBODY.uid, NOBODY.uid]);
    expect(idList(procStatus(pid).Gid)).to.deep.equal([NOBODY.gid, NOBODY.gid, NOBODY.gid, NOBODY.gid]);
  });

  it('names an unknown user in one line, exit 1, leaving no pid file and no process', async () => {
    const result = await sandbox.run(MYAPP, ['run-forever', '--daemon'], {
      env: { MYAPP_DAEMON_USER: 'no-such-user-mortar' },
      execArgv: ['--require', HIDE_ADDONS],
    });
    expect(result.code).to.equal(1);
    expect(result.stderrLines).to.deep.equal(["myapp: error: Daemon user 'no-such-user-mortar' doesn't exist."]);
    expect(exists(sandbox.pidFile), `${sandbox.pidFile} exists`).to.equal(false);
    expect(sandbox.livingProcesses()).to.deep.equal([]);
  });

  it('runs under NOTIFY_SOCKET (systemd Type=notify), saying once, as a warning, that it cannot notify', async () => {
    const invocation = sandbox.start(MYAPP, ['run-forever'], {
      env: { NOTIFY_SOCKET: sandbox.path('notify.sock') },
      execArgv: ['--require', HIDE_ADDONS],
    });
    await invocation.child.waitForOutput(/^1$/m);
    expect(invocation.child.stderr.split('\n').filter((line) => line.includes('systemd'))).to.deep.equal([
      "WARNING: the optional 'unix-dgram' addon is not installed: not telling systemd READY=1 " +
        `MAINPID=${invocation.child.pid}, so a Type=notify unit waits until its start times out; install it, or use Type=simple.`,
    ]);
    invocation.child.kill('SIGTERM');
    const result = await sandbox.finish(invocation);
    expect([result.code, result.signal], result.stderr).to.deep.equal([null, 'SIGTERM']);
  });

  it("under systemd's watchdog (WATCHDOG_USEC), says in one warning that it cannot ping, and how often systemd will stop it", async () => {
    const invocation = sandbox.start(MYAPP, ['run-forever'], {
      env: { NOTIFY_SOCKET: sandbox.path('notify.sock'), WATCHDOG_USEC: '2000000' },
      execArgv: ['--require', HIDE_ADDONS],
    });
    await invocation.child.waitForOutput(/^1$/m);
    expect(invocation.child.stderr.split('\n').filter((line) => line.includes('watchdog'))).to.deep.equal([
      "WARNING: the optional 'unix-dgram' addon is not installed: cannot ping systemd's watchdog, so systemd stops the service every 2 s; " +
        'install it, or remove WatchdogSec=.',
    ]);
    invocation.child.kill('SIGTERM');
    await sandbox.finish(invocation);
  });
});
