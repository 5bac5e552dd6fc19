/**
 * The myapp sample under a real systemd, as the units of samples/systemd run
 * it: Type=forking with PIDFile= and --daemon, Type=simple, Type=notify in
 * the foreground and with --daemon, as root and as nobody. Each unit starts
 * (systemctl returns once it is active), names the daemon as MainPID (which
 * the pid file names too), reloads on `systemctl reload` and on SIGHUP
 * keeping its MainPID, and stops cleanly: Result=success, no SIGKILL, the pid
 * file removed, no process left. Units whose daemon cannot start fail at once
 * with mortar's one-line error in the journal.
 */
import { expect } from 'chai';
import { chownSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NOBODY, commandLine, isAlive, procStatus, readIfExists } from '../../helpers/daemon';
import { waitForText } from '../../helpers/operate';
import { copyBuiltPackage } from '../../helpers/readable-copy';
import { addonUnavailable } from '../../helpers/addons';
import { SystemdSandbox } from '../../helpers/systemd';

/** How a unit runs the sample. */
interface UnitOptions {
  readonly type: 'forking' | 'simple' | 'notify';
  /** Whether the sample is started with --daemon. */
  readonly detach: boolean;
  /** `User=` of the unit. */
  readonly user?: string;
  /** Extra `Environment=` settings (MYAPP_DAEMON_*). */
  readonly env?: Readonly<Record<string, string>>;
  /** Whether the unit names the pid file as `PIDFile=` (Type=forking). */
  readonly hasPidFileDirective?: boolean;
}

/** A unit of the sandbox: its name, its pid file as the host sees it (if it has one), its log file. */
interface Unit {
  readonly name: string;
  readonly pidFile?: string;
  readonly log: string;
}

/** Whether this process can load the optional unix-dgram addon that Type=notify needs. */
function notifySupport(): string | undefined {
  return addonUnavailable('unix-dgram');
}

describe('under a real systemd (the samples as units)', function () {
  this.timeout(120_000);
  let systemd: SystemdSandbox | undefined;
  let app: string;
  let count = 0;

  before(async function () {
    const reason = SystemdSandbox.unavailable();
    if (reason) {
      process.stdout.write(`      (skipped: ${reason})\n`);
      this.skip();
    }
    systemd = await SystemdSandbox.boot({ mask: ['/etc/myapp'] });
    app = copyBuiltPackage(systemd.dir);
  });

  after(async () => {
    await systemd?.shutDown();
  });

  /** Units added by the current test, stopped after it whatever happened. */
  const added: string[] = [];

  afterEach(async () => {
    for (const name of added.splice(0)) await systemd?.ctl('stop', name);
  });

  function skipWithoutNotify(context: Mocha.Context): void {
    const reason = notifySupport();
    if (!reason) return;
    process.stdout.write(`      (skipped: ${reason})\n`);
    context.skip();
  }

  /** A directory of the unit's own for its log (and pid file), owned by `nobody` when it runs as nobody. */
  function unitDir(name: string, isNobody: boolean): string {
    const dir = join(systemd!.dir, name);
    mkdirSync(dir, { mode: 0o755 });
    if (isNobody) chownSync(dir, NOBODY.uid, NOBODY.gid);
    return dir;
  }

  /**
   * One of the unit files of samples/systemd, as shipped, with the paths of
   * this machine: the Node binary, the copy of the build instead of
   * /opt/myapp, and a log file of its own instead of the host's /var/log.
   */
  async function addSampleUnit(file: string): Promise<Unit> {
    const name = `sample-${++count}-${file}`;
    added.push(name);
    const shipped = readFileSync(join(__dirname, '../../../../samples/systemd', file), 'utf8');
    const dir = unitDir(name, /^User=nobody$/m.test(shipped));
    const log = join(dir, 'myapp.log');
    const text = shipped
      .replaceAll('/usr/bin/node', process.execPath)
      .replaceAll('/opt/myapp', app)
      .replace(/^Environment=MYAPP_LOG_FILE=.*\n/m, '')
      .replace(/^\[Service\]$/m, `[Service]\nEnvironment=MYAPP_LOG_FILE=${log}`);
    await systemd!.addUnit(name, text);
    // A pid file under /run is in the sandbox's own /run: the host sees it through systemd's root.
    const path = /^PIDFile=(.+)$/m.exec(text)?.[1] ?? /^Environment=MYAPP_DAEMON_PID_FILE=(.*)$/m.exec(text)?.[1];
    const pidFile = path ? (path.startsWith('/run/') ? `/proc/${systemd!.pid}/root${path}` : path) : undefined;
    return { name, pidFile, log };
  }

  /** A unit for the sample, with its own directory (owned by its user) for the pid file and the log. */
  async function addUnit(options: UnitOptions): Promise<Unit & { pidFile: string }> {
    const name = `myapp-${options.type}${options.detach ? '-daemon' : ''}-${++count}.service`;
    added.push(name);
    const dir = unitDir(name, options.user === NOBODY.user || options.env?.MYAPP_DAEMON_USER === NOBODY.user);
    const pidFile = join(dir, 'myapp.pid');
    const log = join(dir, 'myapp.log');
    const env = { MYAPP_DAEMON_PID_FILE: pidFile, MYAPP_LOG_FILE: log, ...options.env };
    const lines = [
      '[Unit]',
      `Description=mortar spec ${name}`,
      '[Service]',
      `Type=${options.type}`,
      `ExecStart=${process.execPath} ${app}/build/samples/myapp/main.js run-forever${options.detach ? ' --daemon' : ''}`,
      'ExecReload=/bin/kill -HUP $MAINPID',
      ...Object.entries(env).map(([key, value]) => `Environment=${key}=${value}`),
      ...(options.hasPidFileDirective ? [`PIDFile=${pidFile}`] : []),
      ...(options.user ? [`User=${options.user}`] : []),
      'TimeoutStartSec=30',
      'TimeoutStopSec=30',
    ];
    await systemd!.addUnit(name, `${lines.join('\n')}\n`);
    return { name, pidFile, log };
  }

  /** How many lines of the log say the configuration was reloaded. */
  function reloads(log: string): number {
    return (readIfExists(log) ?? '').split('\n').filter((line) => line.endsWith('configuration reloaded')).length;
  }

  /**
   * Starts the unit and checks everything the spec promises, through a reload,
   * a SIGHUP and a stop. `uid` is the user the daemon must run as.
   */
  async function exercise(unit: Unit, uid: number): Promise<void> {
    const sandbox = systemd!;
    const type = (await sandbox.show(unit.name, 'Type')).Type;

    const start = await sandbox.ctl('start', unit.name);
    expect(start.code, `systemctl start ${unit.name}: ${start.stderr}\n${await sandbox.journal(unit.name)}`).to.equal(
      0,
    );
    const started = await sandbox.show(unit.name, 'ActiveState', 'SubState', 'MainPID');
    expect([started.ActiveState, started.SubState], 'state once `systemctl start` returned').to.deep.equal([
      'active',
      'running',
    ]);
    const mainPid = Number(started.MainPID);
    expect(mainPid, 'MainPID').to.be.above(1);
    // Type=simple has no readiness protocol: systemctl returns once the process runs, before the
    // program has its pid file or its SIGHUP handler. The sample's first log line says it is there.
    if (type === 'simple') await waitForText(unit.log, new RegExp(`running as pid ${mainPid}$`, 'm'));
    if (unit.pidFile) expect(readIfExists(unit.pidFile), 'the pid file').to.equal(`${mainPid}\n`);
    const daemon = sandbox.hostPid(mainPid);
    expect(daemon, `the host pid of MainPID ${mainPid}`).to.be.a('number');
    expect(commandLine(daemon!), "MainPID's command line").to.contain(`${app}/build/samples/myapp/main.js run-forever`);
    expect(procStatus(daemon!).Uid.split('\t')[0], "the daemon's uid").to.equal(String(uid));

    await sandbox.ctlOk('reload', unit.name);
    await waitForText(unit.log, /configuration reloaded$/m);
    await sandbox.ctlOk('kill', '-s', 'HUP', '--kill-whom=main', unit.name);
    await waitForText(unit.log, /configuration reloaded\n(.*\n)*.*configuration reloaded$/m);
    expect(reloads(unit.log), 'reloads logged').to.equal(2);
    const reloaded = await sandbox.show(unit.name, 'ActiveState', 'MainPID');
    expect([reloaded.ActiveState, Number(reloaded.MainPID)], 'state and MainPID after reloading').to.deep.equal([
      'active',
      mainPid,
    ]);
    expect(isAlive(daemon!), `daemon ${daemon} after reloading`).to.equal(true);

    await sandbox.ctlOk('stop', unit.name);
    const stopped = await sandbox.show(unit.name, 'ActiveState', 'Result');
    const journal = await sandbox.journalMatching(unit.name, new RegExp(`^Stopped ${unit.name}`, 'm'));
    expect([stopped.ActiveState, stopped.Result], `state and result after stopping\n${journal}`).to.deep.equal([
      'inactive',
      'success',
    ]);
    expect(journal, 'the journal').to.not.match(/SIGKILL|not our child|code=killed/);
    if (unit.pidFile) expect(existsSync(unit.pidFile), 'the pid file after stopping').to.equal(false);
    expect(isAlive(daemon!), `daemon ${daemon} after stopping`).to.equal(false);
    expect(sandbox.processesOf(unit.name), 'processes of the unit left').to.deep.equal([]);
  }

  /** Starts a unit whose daemon cannot start: `systemctl start` fails, the journal holds mortar's one line, nothing is left. */
  async function expectFailedStart(options: UnitOptions, message: RegExp): Promise<void> {
    const sandbox = systemd!;
    const unit = await addUnit(options);
    const start = await sandbox.ctl('start', unit.name);
    expect(start.code, 'the exit code of `systemctl start`').to.not.equal(0);
    const shown = await sandbox.show(unit.name, 'ActiveState', 'Result');
    const journal = await sandbox.journalMatching(unit.name, message);
    expect([shown.ActiveState, shown.Result], `state and result\n${journal}`).to.deep.equal(['failed', 'exit-code']);
    expect(
      journal.split('\n').filter((line) => line.startsWith('myapp: ')),
      "mortar's lines in the journal",
    ).to.have.length(1);
    expect(existsSync(unit.pidFile), 'the pid file').to.equal(false);
    expect(sandbox.processesOf(unit.name), 'processes of the unit left').to.deep.equal([]);
  }

  it('Type=forking with PIDFile= and --daemon, as root', async () => {
    await exercise(await addUnit({ type: 'forking', detach: true, hasPidFileDirective: true }), 0);
  });

  it('Type=forking with --daemon, the daemon switching to nobody ([daemon] user)', async () => {
    await exercise(
      await addUnit({
        type: 'forking',
        detach: true,
        hasPidFileDirective: true,
        env: { MYAPP_DAEMON_USER: NOBODY.user },
      }),
      NOBODY.uid,
    );
  });

  it('Type=simple in the foreground, User=nobody', async () => {
    await exercise(await addUnit({ type: 'simple', detach: false, user: NOBODY.user }), NOBODY.uid);
  });

  it('Type=notify in the foreground, User=nobody', async function () {
    skipWithoutNotify(this);
    await exercise(await addUnit({ type: 'notify', detach: false, user: NOBODY.user }), NOBODY.uid);
  });

  it('Type=notify with --daemon: systemd supervises the daemon as its own child and stops it cleanly', async function () {
    skipWithoutNotify(this);
    await exercise(await addUnit({ type: 'notify', detach: true }), 0);
  });

  it('Type=notify with --daemon, again and again: every stop is clean', async function () {
    skipWithoutNotify(this);
    for (let cycle = 0; cycle < 3; cycle++)
      await exercise(await addUnit({ type: 'notify', detach: true, user: NOBODY.user }), NOBODY.uid);
  });

  it('Type=forking whose pid directory is missing fails at once with one line', async () => {
    const missing = join(systemd!.dir, 'missing', 'myapp.pid');
    await expectFailedStart(
      { type: 'forking', detach: true, env: { MYAPP_DAEMON_PID_FILE: missing } },
      /^myapp: error: Cannot write pid file \S+\/missing\/myapp\.pid: directory \S+\/missing does not exist$/m,
    );
  });

  it('Type=forking with an unknown [daemon] user fails at once with one line', async () => {
    await expectFailedStart(
      { type: 'forking', detach: true, env: { MYAPP_DAEMON_USER: 'no-such-user-mortar' } },
      /^myapp: error: Daemon user 'no-such-user-mortar' doesn't exist\.$/m,
    );
  });

  it('Type=notify with an unknown [daemon] user fails at once with one line', async function () {
    skipWithoutNotify(this);
    await expectFailedStart(
      { type: 'notify', detach: false, env: { MYAPP_DAEMON_USER: 'no-such-user-mortar' } },
      /^myapp: error: Daemon user 'no-such-user-mortar' doesn't exist\.$/m,
    );
  });

  it('Type=notify with --daemon whose pid directory is missing fails at once with one line', async function () {
    skipWithoutNotify(this);
    const missing = join(systemd!.dir, 'missing', 'myapp.pid');
    await expectFailedStart(
      { type: 'notify', detach: true, env: { MYAPP_DAEMON_PID_FILE: missing } },
      /^myapp: error: Cannot write pid file \S+\/missing\/myapp\.pid: directory \S+\/missing does not exist$/m,
    );
  });

  describe('the unit files of samples/systemd, as shipped', () => {
    it('myapp-forking.service', async () => {
      await exercise(await addSampleUnit('myapp-forking.service'), 0);
    });

    it('myapp-simple.service', async () => {
      await exercise(await addSampleUnit('myapp-simple.service'), NOBODY.uid);
    });

    it('myapp-notify.service', async function () {
      skipWithoutNotify(this);
      await exercise(await addSampleUnit('myapp-notify.service'), NOBODY.uid);
    });

    it('myapp-notify-daemon.service', async function () {
      skipWithoutNotify(this);
      await exercise(await addSampleUnit('myapp-notify-daemon.service'), NOBODY.uid);
    });

    it('myapp-watchdog.service', async function () {
      skipWithoutNotify(this);
      await exercise(await addSampleUnit('myapp-watchdog.service'), NOBODY.uid);
    });
  });

  it('the sandbox is its own: its units only, its own /run', async () => {
    const units = await systemd!.ctlOk('list-unit-files', '--no-legend', '--type=service');
    expect(units, 'service units known to the sandbox').to.not.match(/systemd-tmpfiles|apt-daily|cron/);
    expect(readFileSync(`/proc/${systemd!.pid}/environ`, 'utf8').split('\0')).to.include(
      `SYSTEMD_UNIT_PATH=${systemd!.unitDir}:${join(systemd!.dir, 'support')}`,
    );
  });
});
