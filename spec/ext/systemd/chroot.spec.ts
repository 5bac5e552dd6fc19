/**
 * `[daemon] chroot = DIR`, python-daemon's `chroot_directory`, on real
 * daemons (root only; skipped with the reason otherwise): the daemon's root
 * is DIR (`readlink /proc/<pid>/root`), its pid file inside DIR is written and
 * removed on stop, its log file is reopened on SIGHUP, a config file inside
 * DIR is read again on reload and one outside fails the reload in one line,
 * and `daemon status`/`stop` work from the host by the host's path. What
 * cannot work is refused in one line, exit 1, leaving nothing behind: a pid
 * or log file outside DIR, a start that is not root's, no posix addon,
 * cluster workers.
 */
import { expect } from 'chai';
import { addonUnavailable } from '../../helpers/addons';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  MYAPP,
  delay,
  NOBODY,
  exists,
  isRoot,
  procStatus,
  readIfExists,
  useDaemonSandbox,
  waitUntil,
  workingDirectory,
} from '../../helpers/daemon';
import { copyBuiltPackage, whyNobodyCannotRunNode } from '../../helpers/readable-copy';
import { addSupervisedUnit, bootOrSkip } from '../../helpers/supervised';
import type { SystemdSandbox } from '../../helpers/systemd';

const HIDE_ADDONS = resolve(__dirname, '../../fixtures/preload/hide-addons.js');
const RELOAD_CONFIG = resolve(__dirname, '../../fixtures/operate/reload-config.js');
const PER_FILE = resolve(__dirname, '../../fixtures/daemon/chroot-per-file.js');

function posixAvailable(): boolean {
  return addonUnavailable('posix') === undefined;
}

describe('[daemon] chroot', function () {
  this.timeout(30_000);
  const sandbox = useDaemonSandbox();

  function skipUnlessRootWithPosix(context: Mocha.Context): void {
    const reason = !isRoot()
      ? 'chroot(2) needs root'
      : !posixAvailable()
        ? 'the optional posix addon cannot be loaded'
        : undefined;
    if (reason === undefined) return;
    process.stdout.write(`      (skipped: ${reason})\n`);
    context.skip();
  }

  /** The sandbox's directory is DIR (world-readable, mkdtemp): its run/app.pid and log/myapp.log lie inside. */
  function rooted(extra: Record<string, string> = {}): Record<string, string> {
    mkdirSync(sandbox.path('log'), { recursive: true, mode: 0o755 });
    return { MYAPP_DAEMON_CHROOT: sandbox.dir, MYAPP_LOG_FILE: sandbox.path('log/myapp.log'), ...extra };
  }

  it('--daemon: its root is DIR, its pid file inside DIR is written, a SIGHUP reopens its log, status and stop work from the host', async function () {
    skipUnlessRootWithPosix(this);
    const env = rooted();
    const started = await sandbox.run(MYAPP, ['run-forever', '--daemon'], { env });
    expect(started.code, started.stderr).to.equal(0);
    const daemon = sandbox.daemonPid();
    expect(readlinkSync(`/proc/${daemon}/root`), 'its root').to.equal(realpathSync(sandbox.dir));
    expect(workingDirectory(daemon), 'its working directory: / of the new root').to.equal(realpathSync(sandbox.dir));
    expect(readFileSync(sandbox.pidFile, 'utf8')).to.equal(`${daemon}\n`);

    const status = await sandbox.run(MYAPP, ['daemon', 'status'], { env });
    expect([status.code, status.stdout], status.stderr).to.deep.equal([0, `myapp is running (pid ${daemon})\n`]);

    // logrotate's way: move the file away, then SIGHUP; the daemon writes to a new file at the path.
    const log = sandbox.path('log/myapp.log');
    await waitUntil(() => /running as pid/.test(readIfExists(log) ?? ''), 'the first log lines');
    renameSync(log, `${log}.1`);
    sandbox.signal(daemon, 'SIGHUP');
    await waitUntil(() => exists(log), 'a new log file after SIGHUP');
    // samples/myapp's config file lies outside DIR: the reload fails in one line, the daemon goes on.
    await waitUntil(() => /reload failed/.test(readIfExists(log) ?? ''), 'the reload line in the new log file');
    expect(readFileSync(log, 'utf8')).to.match(
      /ERROR\) myapp\.core\.signal : reload failed: Cannot read config file \S+samples\/myapp\/myapp\.conf again: it lies outside the daemon's root directory \S+ \(\[daemon\] chroot\)/,
    );
    expect(procStatus(daemon).State, 'still running').to.not.match(/^Z/);

    const stop = await sandbox.run(MYAPP, ['daemon', 'stop'], { env });
    expect(stop.code, stop.stderr).to.equal(0);
    expect(exists(sandbox.pidFile), 'the pid file, removed by the daemon inside its root').to.equal(false);
    expect(sandbox.livingProcesses(), 'processes left').to.deep.equal([]);
  });

  it('in the foreground, as [daemon] user nobody: root DIR, uid and groups of nobody, [daemon] dir inside DIR, pid file removed on SIGTERM', async function () {
    skipUnlessRootWithPosix(this);
    mkdirSync(sandbox.path('data'), { mode: 0o755 });
    sandbox.giveRunDirTo(NOBODY.uid, NOBODY.gid);
    const invocation = sandbox.start(MYAPP, ['run-forever'], {
      env: rooted({ MYAPP_DAEMON_USER: NOBODY.user, MYAPP_DAEMON_DIR: '/data' }),
    });
    await invocation.child.waitForOutput(/^1$/m);
    const pid = invocation.child.pid;
    expect(readlinkSync(`/proc/${pid}/root`)).to.equal(realpathSync(sandbox.dir));
    expect(workingDirectory(pid), '[daemon] dir, inside the new root').to.equal(realpathSync(sandbox.path('data')));
    const status = procStatus(pid);
    expect(status.Uid.split('\t')[0]).to.equal(String(NOBODY.uid));
    expect(status.Groups.trim(), 'no group of root survives').to.not.match(/(^|\s)0(\s|$)/);
    expect(readFileSync(sandbox.pidFile, 'utf8')).to.equal(`${pid}\n`);
    await sandbox.signalAndWait(pid, 'SIGTERM');
    const result = await sandbox.finish(invocation);
    expect(result.signal, result.stderr).to.equal('SIGTERM');
    expect(exists(sandbox.pidFile), 'the pid file').to.equal(false);
  });

  it('reloads a config file inside DIR through its path there; one outside DIR fails the reload in one line, the old config kept', async function () {
    skipUnlessRootWithPosix(this);
    const inside = sandbox.path('etc/app.conf');
    mkdirSync(sandbox.path('etc'), { mode: 0o755 });
    writeFileSync(inside, '[myapp]\ngreeting = hello\n', { mode: 0o644 });
    const outsideDir = mkdtempSync(join(tmpdir(), 'mortar-chroot-conf-'));
    try {
      const outside = join(outsideDir, 'app.conf');
      writeFileSync(outside, '[myapp]\ngreeting = hello\n', { mode: 0o644 });
      for (const [file, after] of [
        [inside, /greeting is bonjour/],
        [
          outside,
          /reload failed: Cannot read config file \S+app\.conf again: it lies outside the daemon's root directory \S+ \(\[daemon\] chroot\); keep the config a chrooted daemon reloads inside that directory, or restart the daemon to read it\./,
        ],
      ] as const) {
        const log = sandbox.path('log/myapp.log');
        rmSync(log, { force: true });
        const started = await sandbox.run(RELOAD_CONFIG, ['run-forever', '--daemon'], {
          env: rooted({ OPERATE_CONF: file }),
        });
        expect(started.code, started.stderr).to.equal(0);
        const daemon = sandbox.daemonPid();
        await waitUntil(() => /greeting is hello/.test(readIfExists(log) ?? ''), 'the first greeting');
        writeFileSync(file, '[myapp]\ngreeting = bonjour\n');
        sandbox.signal(daemon, 'SIGHUP');
        await waitUntil(() => after.test(readIfExists(log) ?? ''), `${after} in the log`);
        await sandbox.signalAndWait(daemon, 'SIGTERM');
        expect(exists(sandbox.pidFile), 'the pid file').to.equal(false);
      }
    } finally {
      rmSync(outsideDir, { recursive: true, force: true });
    }
  });

  it('finds the parts of mortar it loads lazily inside the new root, from the build of one file per module too', async function () {
    skipUnlessRootWithPosix(this);
    mkdirSync(sandbox.path('etc'), { mode: 0o755 });
    const conf = sandbox.path('etc/app.conf');
    writeFileSync(conf, '[myapp]\ngreeting = hello\n', { mode: 0o644 });
    const log = sandbox.path('log/myapp.log');
    const invocation = sandbox.start(PER_FILE, ['serve'], { env: rooted({ OPERATE_CONF: conf }) });
    await waitUntil(() => /greeting is hello/.test(readIfExists(log) ?? ''), 'the first greeting');
    const pid = invocation.child.pid;
    expect(readlinkSync(`/proc/${pid}/root`)).to.equal(realpathSync(sandbox.dir));
    writeFileSync(conf, '[myapp]\ngreeting = bonjour\n');
    sandbox.signal(pid, 'SIGHUP');
    await waitUntil(() => /greeting is bonjour/.test(readIfExists(log) ?? ''), 'the greeting after the reload');
    sandbox.signal(pid, 'SIGTERM');
    const result = await sandbox.finish(invocation);
    expect(result.stdout, result.stderr).to.equal('greeting: bonjour\n');
    expect(result.stderr).to.not.match(/Cannot find module/);
    expect(exists(sandbox.pidFile), 'the pid file').to.equal(false);
  });

  it('refuses a pid file or log file outside DIR (symbolic links resolved): one line naming key, path and DIR, exit 1, nothing left', async function () {
    skipUnlessRootWithPosix(this);
    const jail = sandbox.path('jail');
    mkdirSync(jail, { mode: 0o755 });
    // Inside DIR by name, outside once the link is followed: inside the new root, /run would be another directory.
    symlinkSync(sandbox.runDir, join(jail, 'run'));
    const cases: [Record<string, string>, string][] = [
      [
        { MYAPP_DAEMON_CHROOT: jail },
        `myapp: error: [daemon] pid_file ${sandbox.pidFile} lies outside [daemon] chroot ${jail}: the daemon could not remove it after the change of root; put it inside ${jail}.`,
      ],
      [
        { MYAPP_DAEMON_CHROOT: jail, MYAPP_DAEMON_PID_FILE: join(jail, 'run/app.pid') },
        `myapp: error: [daemon] pid_file ${join(jail, 'run/app.pid')} lies outside [daemon] chroot ${jail} (its directory is ${realpathSync(sandbox.runDir)}): the daemon could not remove it after the change of root; put it inside ${jail}.`,
      ],
      [
        { MYAPP_DAEMON_CHROOT: sandbox.dir, MYAPP_LOG_FILE: join(tmpdir(), `mortar-chroot-${process.pid}.log`) },
        `myapp: error: [log] file ${join(tmpdir(), `mortar-chroot-${process.pid}.log`)} lies outside [daemon] chroot ${sandbox.dir}: the daemon could not reopen it after the change of root; put it inside ${sandbox.dir}.`,
      ],
    ];
    try {
      for (const [env, line] of cases) {
        for (const args of [['run-forever', '--daemon'], ['run-forever']]) {
          const result = await sandbox.run(MYAPP, args, { env });
          expect([result.code, result.stderrLines], args.join(' ')).to.deep.equal([1, [line]]);
          expect(exists(sandbox.pidFile) || exists(join(jail, 'run/app.pid')), 'a pid file').to.equal(false);
          expect(sandbox.livingProcesses(), 'processes left').to.deep.equal([]);
        }
      }
    } finally {
      rmSync(join(tmpdir(), `mortar-chroot-${process.pid}.log`), { force: true });
    }
  });

  it('refuses a start without the posix addon, and [daemon] workers above 1: one line, exit 1, nothing left', async () => {
    const env = { MYAPP_DAEMON_CHROOT: sandbox.dir };
    const withoutAddon = await sandbox.run(MYAPP, ['run-forever', '--daemon'], {
      env,
      execArgv: ['--require', HIDE_ADDONS],
    });
    const expected = isRoot()
      ? "myapp: error: [daemon] chroot needs the optional 'posix' addon (Node has no chroot), which is not installed or does not load: " +
        'install it (npm install posix), or remove the key (systemd units: RootDirectory=).'
      : `myapp: error: [daemon] chroot = ${sandbox.dir} needs root (chroot(2) is root's): start the daemon as root, with [daemon] user to run as another user after the change, or use systemd's RootDirectory=.`;
    expect([withoutAddon.code, withoutAddon.stderrLines]).to.deep.equal([1, [expected]]);
    const workers = await sandbox.run(MYAPP, ['run-forever', '--daemon'], {
      env: { ...env, MYAPP_DAEMON_WORKERS: '2' },
    });
    expect([workers.code, workers.stderrLines]).to.deep.equal([
      1,
      [
        `myapp: error: Invalid [daemon] chroot '${sandbox.dir}' (environment variable MYAPP_DAEMON_CHROOT): cannot be combined with [daemon] workers above 1: ` +
          'cluster workers start by running node again by its path, which the new root does not hold.',
      ],
    ]);
    expect(exists(sandbox.pidFile), 'the pid file').to.equal(false);
    expect(sandbox.livingProcesses(), 'processes left').to.deep.equal([]);
  });

  it('refuses a start that is not root’s: one line, exit 1, nothing left', async function () {
    const why = !isRoot() ? undefined : whyNobodyCannotRunNode();
    if (why) {
      process.stdout.write(`      (skipped: ${why})\n`);
      this.skip();
    }
    const copyDir = mkdtempSync(join(tmpdir(), 'mortar-chroot-copy-'));
    try {
      const script = isRoot() ? join(copyBuiltPackage(copyDir), 'build/samples/myapp/main.js') : MYAPP;
      sandbox.giveRunDirTo(NOBODY.uid, NOBODY.gid);
      const result = await sandbox.run(script, ['run-forever', '--daemon'], {
        env: { MYAPP_DAEMON_CHROOT: sandbox.dir },
        ...(isRoot() ? { uid: NOBODY.uid, gid: NOBODY.gid } : {}),
      });
      expect([result.code, result.stderrLines]).to.deep.equal([
        1,
        [
          `myapp: error: [daemon] chroot = ${sandbox.dir} needs root (chroot(2) is root's): start the daemon as root, with [daemon] user to run as another user after the change, or use systemd's RootDirectory=.`,
        ],
      ]);
      expect(exists(sandbox.pidFile), 'the pid file').to.equal(false);
      expect(sandbox.livingProcesses(), 'processes left').to.deep.equal([]);
    } finally {
      rmSync(copyDir, { recursive: true, force: true });
    }
  });
});

describe('[daemon] chroot, under a real systemd', function () {
  this.timeout(90_000);
  let systemd: SystemdSandbox | undefined;
  const added: string[] = [];

  before(async function () {
    if (!posixAvailable()) {
      process.stdout.write('      (skipped: the optional posix addon cannot be loaded)\n');
      this.skip();
    }
    systemd = await bootOrSkip(this);
  });

  after(async () => {
    await systemd?.shutDown();
  });

  afterEach(async () => {
    for (const name of added.splice(0)) await systemd?.ctl('stop', name);
  });

  for (const detach of [false, true]) {
    it(`Type=notify${detach ? ' with --daemon' : ''}: ready, fed watchdog and a clean stop reach systemd from inside the new root`, async () => {
      const sandbox = systemd!;
      const unit = await addSupervisedUnit(sandbox, {
        type: 'notify',
        detach,
        directives: ['WatchdogSec=2', 'Restart=on-watchdog'],
        // The unit's own directory is the new root; the first-run flag is written inside it.
        env: { FLAG_FILE: '/first-run' },
      });
      added.push(unit.name);
      await sandbox.addUnit(
        unit.name,
        readFileSync(join(sandbox.unitDir, unit.name), 'utf8') + `Environment="SUPERVISED_DAEMON_CHROOT=${unit.dir}"\n`,
      );
      const start = await sandbox.ctl('start', unit.name);
      const started = await sandbox.show(unit.name, 'ActiveState', 'MainPID');
      expect([start.code, started.ActiveState], `${start.stderr}\n${await sandbox.journal(unit.name)}`).to.deep.equal([
        0,
        'active',
      ]);
      const pid = sandbox.hostPid(Number(started.MainPID));
      expect(pid !== undefined && readlinkSync(`/proc/${pid}/root`), 'its root').to.equal(realpathSync(unit.dir));
      // Three watchdog periods: pings from inside the new root keep it up.
      await delay(6000);
      const later = await sandbox.show(unit.name, 'ActiveState', 'MainPID', 'NRestarts');
      expect(later, await sandbox.journal(unit.name)).to.deep.equal({
        ActiveState: 'active',
        MainPID: started.MainPID,
        NRestarts: '0',
      });
      await sandbox.ctlOk('stop', unit.name);
      const stopped = await sandbox.show(unit.name, 'ActiveState', 'Result');
      expect(stopped, await sandbox.journal(unit.name)).to.deep.equal({ ActiveState: 'inactive', Result: 'success' });
      if (detach) expect(exists(unit.pidFile), 'the pid file').to.equal(false);
    });
  }
});
