/**
 * python-daemon's hardening: `[daemon] prevent_core` and `rlimit_nofile`,
 * applied in the daemon (with --daemon and in the foreground) before it
 * switches user, as `/proc/<pid>/limits` shows; without the optional posix
 * addon, a start that asks for them fails with one line naming the addon,
 * leaving nothing behind.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { addonUnavailable } from '../../helpers/addons';
import { MYAPP, NOBODY, exists, isRoot, procStatus, useDaemonSandbox } from '../../helpers/daemon';

const HIDE_ADDONS = resolve(__dirname, '../../fixtures/preload/hide-addons.js');

/** The soft and hard limits `/proc/<pid>/limits` shows for a resource (`Max open files`). */
function limits(pid: number, name: string): [string, string] {
  const line = readFileSync(`/proc/${pid}/limits`, 'utf8')
    .split('\n')
    .find((row) => row.startsWith(name));
  const fields = line?.slice(name.length).trim().split(/\s+/);
  return [fields?.[0] ?? '?', fields?.[1] ?? '?'];
}

const CAP_SYS_RESOURCE = 24;

/** Whether this process has a capability in its effective set (`CapEff` of /proc/self/status). */
function hasCapability(bit: number): boolean {
  const mask = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
  return mask !== undefined && (BigInt(`0x${mask}`) & (1n << BigInt(bit))) !== 0n;
}

function posixAvailable(): boolean {
  return addonUnavailable('posix') === undefined;
}

describe('[daemon] prevent_core and rlimit_nofile', function () {
  const sandbox = useDaemonSandbox();

  function skipWithoutPosix(context: Mocha.Context): void {
    if (posixAvailable()) return;
    process.stdout.write('      (skipped: the optional posix addon cannot be loaded)\n');
    context.skip();
  }

  it('with --daemon: the daemon has no core file limit but 0, and the descriptor limit asked for', async function () {
    skipWithoutPosix(this);
    const started = await sandbox.run(MYAPP, ['run-forever', '--daemon'], {
      env: { MYAPP_DAEMON_PREVENT_CORE: 'true', MYAPP_DAEMON_RLIMIT_NOFILE: '1234' },
    });
    expect(started.code, started.stderr).to.equal(0);
    const daemon = sandbox.daemonPid();
    expect(limits(daemon, 'Max core file size'), 'core').to.deep.equal(['0', '0']);
    expect(limits(daemon, 'Max open files'), 'nofile').to.deep.equal(['1234', '1234']);
    expect(limits(process.pid, 'Max open files'), "the test runner's own").to.not.deep.equal(['1234', '1234']);
  });

  it('in the foreground, the same', async function () {
    skipWithoutPosix(this);
    const invocation = sandbox.start(MYAPP, ['run-forever'], {
      env: { MYAPP_DAEMON_PREVENT_CORE: 'true', MYAPP_DAEMON_RLIMIT_NOFILE: '1234' },
    });
    await invocation.child.waitForOutput(/^1$/m);
    expect(limits(invocation.child.pid, 'Max core file size')).to.deep.equal(['0', '0']);
    expect(limits(invocation.child.pid, 'Max open files')).to.deep.equal(['1234', '1234']);
  });

  it('keeps them in a daemon that switches to [daemon] user', async function () {
    skipWithoutPosix(this);
    if (!isRoot()) {
      process.stdout.write('      (skipped: switching user needs root)\n');
      this.skip();
    }
    sandbox.giveRunDirTo(NOBODY.uid, NOBODY.gid);
    const started = await sandbox.run(MYAPP, ['run-forever', '--daemon'], {
      env: { MYAPP_DAEMON_USER: NOBODY.user, MYAPP_DAEMON_PREVENT_CORE: 'true', MYAPP_DAEMON_RLIMIT_NOFILE: '1234' },
    });
    expect(started.code, started.stderr).to.equal(0);
    const daemon = sandbox.daemonPid();
    expect(procStatus(daemon).Uid.split('\t')[0]).to.equal(String(NOBODY.uid));
    expect(limits(daemon, 'Max core file size')).to.deep.equal(['0', '0']);
    expect(limits(daemon, 'Max open files')).to.deep.equal(['1234', '1234']);
  });

  it('raises the hard limit as root, before switching to [daemon] user', async function () {
    skipWithoutPosix(this);
    if (!isRoot() || !hasCapability(CAP_SYS_RESOURCE)) {
      process.stdout.write(
        '      (skipped: raising a hard limit needs root with CAP_SYS_RESOURCE, which this process lacks)\n',
      );
      this.skip();
    }
    const current = Number(limits(process.pid, 'Max open files')[1]);
    const raised = String((Number.isFinite(current) ? current : 65536) + 1000);
    sandbox.giveRunDirTo(NOBODY.uid, NOBODY.gid);
    const started = await sandbox.run(MYAPP, ['run-forever', '--daemon'], {
      env: { MYAPP_DAEMON_USER: NOBODY.user, MYAPP_DAEMON_RLIMIT_NOFILE: raised },
    });
    expect(started.code, started.stderr).to.equal(0);
    const daemon = sandbox.daemonPid();
    expect(procStatus(daemon).Uid.split('\t')[0]).to.equal(String(NOBODY.uid));
    expect(limits(daemon, 'Max open files')).to.deep.equal([raised, raised]);
  });

  it('without the posix addon: one line naming the addon and the key, exit 1, no pid file, no process', async () => {
    for (const args of [['run-forever', '--daemon'], ['run-forever']]) {
      const result = await sandbox.run(MYAPP, args, {
        env: { MYAPP_DAEMON_PREVENT_CORE: 'true' },
        execArgv: ['--require', HIDE_ADDONS],
      });
      expect([result.code, result.stderrLines], args.join(' ')).to.deep.equal([
        1,
        [
          "myapp: error: [daemon] prevent_core needs the optional 'posix' addon (Node has no setrlimit), which is not installed or does not load: " +
            'install it (npm install posix), or remove the key (systemd units: LimitCORE=0, LimitNOFILE=N).',
        ],
      ]);
      expect(exists(sandbox.pidFile), 'the pid file').to.equal(false);
      expect(sandbox.livingProcesses(), 'processes left').to.deep.equal([]);
    }
  });

  it('refuses a limit that is not a positive integer, or more than the kernel allows, in one line, leaving nothing', async function () {
    const zero = await sandbox.run(MYAPP, ['run-forever', '--daemon'], { env: { MYAPP_DAEMON_RLIMIT_NOFILE: '0' } });
    expect([zero.code, zero.stderrLines]).to.deep.equal([
      1,
      [
        "myapp: error: Invalid [daemon] rlimit_nofile '0' (environment variable MYAPP_DAEMON_RLIMIT_NOFILE): expected a number of descriptors, 1 or more.",
      ],
    ]);
    if (!posixAvailable() || !isRoot()) return;
    const huge = await sandbox.run(MYAPP, ['run-forever', '--daemon'], {
      env: { MYAPP_DAEMON_RLIMIT_NOFILE: '2000000000' },
    });
    const nrOpen = readFileSync('/proc/sys/fs/nr_open', 'utf8').trim();
    expect([huge.code, huge.stderrLines]).to.deep.equal([
      1,
      [
        `myapp: error: Cannot apply [daemon] rlimit_nofile = 2000000000: more than the kernel allows (/proc/sys/fs/nr_open is ${nrOpen}).`,
      ],
    ]);
    expect(exists(sandbox.pidFile), 'the pid file').to.equal(false);
    expect(sandbox.livingProcesses(), 'processes left').to.deep.equal([]);
  });
});
