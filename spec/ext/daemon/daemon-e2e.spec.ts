/**
 * The daemon extension end to end: the samples and fixture apps run as real
 * child processes, checked from the outside (exit codes, the pid file,
 * /proc/<pid>/stat, status, cwd and fd).
 */
import { expect } from 'chai';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DaemonSandbox,
  MYAPP,
  NOBODY,
  WHOLE_APP,
  daemonFixture,
  delay,
  exists,
  groupsOf,
  idList,
  isAlive,
  isRoot,
  openDescriptors,
  parsePid,
  procStat,
  procStatus,
  readIfExists,
  waitUntil,
  workingDirectory,
  type InvokerResult,
  useDaemonSandbox,
} from '../../helpers/daemon';

const MYAPP_CONF = join(__dirname, '../../../../samples/myapp/myapp.conf');

function skipUnlessRoot(context: Mocha.Context): void {
  if (isRoot()) return;
  process.stdout.write(
    '      (skipped: switching to nobody needs root; this runs as uid ' + process.getuid?.() + ')\n',
  );
  context.skip();
}

/** Checks that an invoker exited 0 with the pid file naming a live daemon that is not the invoker; returns that pid. */
function expectStarted(result: InvokerResult, sandbox: DaemonSandbox): number {
  expect(result.code, `the invoker's exit code\n${result.stderr}`).to.equal(0);
  expect(result.stdout, "the invoker's stdout (it must not run the command itself)").to.equal('');
  expect(result.pidFileAtExit, 'the pid file when the invoker exited').to.match(/^\d+\n$/);
  const pid = parsePid(result.pidFileAtExit)!;
  expect(pid, 'the pid the file names').to.not.equal(result.pid);
  expect(result.wasPidFileAliveAtExit, `pid ${pid} was alive when the invoker exited`).to.equal(true);
  expect(sandbox.daemonPid()).to.equal(pid);
  return pid;
}

function expectNewSession(pid: number, invokerPid: number): void {
  const stat = procStat(pid);
  expect(stat.session, 'session id').to.equal(pid);
  expect(stat.pgrp, 'process group').to.equal(pid);
  expect(stat.ttyNr, 'controlling terminal').to.equal(0);
  expect(stat.ppid, 'parent').to.not.equal(invokerPid);
  expect(stat.ppid, 'parent').to.not.equal(process.pid);
}

describe('daemon end to end: myapp run-forever --daemon as root, switching to nobody', function () {
  const sandbox = useDaemonSandbox({ shared: true });
  let result: InvokerResult;
  let daemonPid: number | undefined;
  let pipeTargets: (string | undefined)[];
  let pipesEnded: boolean[];
  let work: string;
  let out: string;
  let err: string;

  before(async function () {
    skipUnlessRoot(this);
    sandbox.giveRunDirTo(NOBODY.uid, NOBODY.gid);
    work = sandbox.path('work');
    mkdirSync(work, { mode: 0o755 });
    out = sandbox.path('daemon.out');
    err = sandbox.path('daemon.err');
    // The group is left unset: it defaults to nobody's primary group. The umask comes from myapp.conf.
    const invocation = sandbox.start(MYAPP, ['run-forever', '--daemon'], {
      env: {
        MYAPP_DAEMON_USER: NOBODY.user,
        MYAPP_DAEMON_DIR: work,
        MYAPP_DAEMON_STDOUT: out,
        MYAPP_DAEMON_STDERR: err,
      },
      pipes: [3, 40],
    });
    await sandbox.exited(invocation);
    await Promise.race([Promise.all(invocation.pipes.map((pipe) => pipe.ended)), delay(3000)]);
    pipeTargets = invocation.pipes.map((pipe) => pipe.target);
    pipesEnded = invocation.pipes.map((pipe) => pipe.isEnded());
    sandbox.closePipes(invocation);
    result = await sandbox.finish(invocation, 3000);
    daemonPid = parsePid(result.pidFileAtExit);
    if (daemonPid !== undefined) sandbox.daemonPid();
  });

  /** The daemon's pid. When the start failed, the test fails here: nothing is read or signalled. */
  function pid(): number {
    if (daemonPid === undefined) {
      throw new Error(
        `the daemon did not start (exit ${result.code}): ${result.stderr || 'no pid file, nothing on stderr'}`,
      );
    }
    return daemonPid;
  }

  it('exits 0 only once the pid file names the live daemon, which is not the invoker', () => {
    expectStarted(result, sandbox);
    expect(result.stderr).to.equal('');
  });

  it("leads a new session with no controlling terminal, and is not the invoker's child", () => {
    expectNewSession(pid(), result.pid);
  });

  it("runs as nobody, in nobody's primary group (group unset) with only nobody's supplementary groups", () => {
    const status = procStatus(pid());
    expect(idList(status.Uid), 'Uid').to.deep.equal([NOBODY.uid, NOBODY.uid, NOBODY.uid, NOBODY.uid]);
    expect(idList(status.Gid), 'Gid').to.deep.equal([NOBODY.gid, NOBODY.gid, NOBODY.gid, NOBODY.gid]);
    expect(
      idList(status.Groups).sort((a, b) => a - b),
      'Groups',
    ).to.deep.equal(groupsOf(NOBODY.user));
    expect(idList(status.Groups), 'Groups').to.not.include(0);
  });

  it('reads `umask: 027` in the [DEFAULT] section of the INI file as octal: Umask 0027', () => {
    expect(readFileSync(MYAPP_CONF, 'utf8'), 'myapp.conf').to.match(/^\[DEFAULT\]\n(#.*\n)*umask: 027$/m);
    expect(procStatus(pid()).Umask).to.equal('0027');
  });

  it('works in the configured dir', () => {
    expect(workingDirectory(pid())).to.equal(work);
  });

  it('has stdin on /dev/null and stdout and stderr on the configured files, which receive its output', async () => {
    const fds = openDescriptors(pid());
    expect(fds.get(0), 'fd 0').to.equal('/dev/null');
    expect(fds.get(1), 'fd 1').to.equal(out);
    expect(fds.get(2), 'fd 2').to.equal(err);
    await waitUntil(
      () => readIfExists(out) === '1\n',
      `'1' in ${out} (it holds ${JSON.stringify(readIfExists(out))})`,
      3000,
    );
    expect(readIfExists(err)).to.contain(`running as pid ${pid()}`);
    // [myapp] motd in myapp.conf: a value continued over indented lines.
    expect(readIfExists(err)).to.contain(
      'INFO: Welcome to myapp.\nIndented lines continue a value; this one has three lines,\nand keeps its # and ; as written.\n',
    );
  });

  it("holds none of its caller's descriptors: the caller's pipes at fd 3 and fd 40 read end-of-file when the invoker exits", () => {
    const fds = openDescriptors(pid());
    const held = [...fds.values()].filter((target) => pipeTargets.includes(target));
    expect(held, `descriptors of the daemon: ${JSON.stringify([...fds])}`).to.deep.equal([]);
    expect(pipesEnded, `end-of-file on the caller's pipes (${pipeTargets.join(', ')})`).to.deep.equal([true, true]);
  });

  it('writes its pid and a newline to the pid file, owned by nobody', () => {
    expect(readFileSync(sandbox.pidFile, 'utf8')).to.equal(`${pid()}\n`);
    expect(statSync(sandbox.pidFile).uid, 'owner').to.equal(NOBODY.uid);
  });

  it('removes its pid file when SIGTERM stops it', async () => {
    await sandbox.signalAndWait(pid(), 'SIGTERM');
    expect(exists(sandbox.pidFile), `${sandbox.pidFile} exists`).to.equal(false);
    expect(readIfExists(err)).to.contain('stopping after 1 iterations');
  });
});

describe('daemon end to end', function () {
  const sandbox = useDaemonSandbox();

  it('accepts --daemon before the sub-command; a relative pid_file resolves against the invocation directory; stdio defaults to /dev/null', async () => {
    const result = await sandbox.run(MYAPP, ['--daemon', 'run-forever'], {
      cwd: sandbox.dir,
      env: { MYAPP_DAEMON_PID_FILE: 'run/app.pid' },
    });
    const pid = expectStarted(result, sandbox);
    expectNewSession(pid, result.pid);
    expect(workingDirectory(pid), 'dir from myapp.conf').to.equal('/');
    const fds = openDescriptors(pid);
    expect([fds.get(0), fds.get(1), fds.get(2)]).to.deep.equal(['/dev/null', '/dev/null', '/dev/null']);
    // Stopping it removes the file by its absolute path, though the daemon now works in /.
    await sandbox.signalAndWait(pid, 'SIGTERM');
    expect(exists(sandbox.pidFile), `${sandbox.pidFile} exists`).to.equal(false);
  });

  it("shows the daemon's start-up lines on the invoker's stderr with --debug", async () => {
    const result = await sandbox.run(MYAPP, ['run-forever', '--daemon', '--debug']);
    const pid = expectStarted(result, sandbox);
    expect(result.stderr).to.contain(`writing pid (${pid}) out to ${sandbox.pidFile}`);
    expect(result.stderr).to.match(/detached/);
  });

  it('refuses a second instance while the first runs, leaving the first and its pid file alone', async () => {
    const first = expectStarted(await sandbox.run(MYAPP, ['run-forever', '--daemon']), sandbox);
    const second = await sandbox.run(MYAPP, ['run-forever', '--daemon']);
    expect(second.code).to.equal(1);
    expect(second.stderrLines).to.have.length(1);
    expect(second.stderrLines[0]).to.contain(`already running (pid ${first}, ${sandbox.pidFile})`);
    expect(readFileSync(sandbox.pidFile, 'utf8')).to.equal(`${first}\n`);
    expect(sandbox.livingProcesses()).to.deep.equal([first]);
  });

  for (const [situation, initial] of [
    ['with no pid file', undefined],
    ['over a stale pid file', 'garbage\n'],
  ] as const) {
    it(`lets exactly one of five simultaneous starts ${situation} win; the others exit 1, already running`, async function () {
      this.timeout(30_000);
      if (initial !== undefined) writeFileSync(sandbox.pidFile, initial);
      const invocations = Array.from({ length: 5 }, () => sandbox.start(MYAPP, ['run-forever', '--daemon']));
      const results = await Promise.all(invocations.map((invocation) => sandbox.finish(invocation, 20_000)));
      const summary = results.map((result) => `exit ${result.code}: ${result.stderr.trim()}`).join('\n');
      expect(
        results.filter((result) => result.code === 0),
        summary,
      ).to.have.length(1);
      const pid = sandbox.daemonPid();
      for (const loser of results.filter((result) => result.code !== 0)) {
        expect(loser.code, summary).to.equal(1);
        expect(loser.stderrLines, summary).to.have.length(1);
        expect(loser.stderrLines[0], summary).to.contain(`already running (pid ${pid}, ${sandbox.pidFile})`);
      }
      expect(readFileSync(sandbox.pidFile, 'utf8')).to.equal(`${pid}\n`);
      expect(sandbox.livingProcesses()).to.deep.equal([pid]);
    });
  }

  describe('replaces a stale pid file', () => {
    const stale: [what: string, content: (sandbox: DaemonSandbox) => Promise<string>][] = [
      [
        'naming a dead process',
        async (sandbox) => {
          const gone = sandbox.startHelper('true', []);
          await gone.waitForExit();
          return `${gone.pid}\n`;
        },
      ],
      [
        'naming a zombie',
        async (sandbox) => {
          // `sleep 30` inherits the background `sleep 0.2` as its child and never reaps it.
          const parent = sandbox.startHelper('sh', ['-c', 'sleep 0.2 & echo $!; exec sleep 30']);
          await parent.waitForOutput(/^\d+\n/);
          const zombie = Number(parent.stdout.trim());
          await waitUntil(() => procStat(zombie).state === 'Z', `pid ${zombie} to become a zombie`);
          return `${zombie}\n`;
        },
      ],
      ['holding garbage', async () => 'not a pid\n'],
      ['that is empty', async () => ''],
    ];
    for (const [what, content] of stale) {
      it(what, async () => {
        const old = await content(sandbox);
        writeFileSync(sandbox.pidFile, old);
        const result = await sandbox.run(MYAPP, ['run-forever', '--daemon']);
        const pid = expectStarted(result, sandbox);
        expect(readFileSync(sandbox.pidFile, 'utf8')).to.equal(`${pid}\n`);
      });
    }
  });

  it('starts again after the daemon was killed with SIGKILL, replacing the pid file it left behind', async () => {
    const first = expectStarted(await sandbox.run(MYAPP, ['run-forever', '--daemon']), sandbox);
    await sandbox.signalAndWait(first, 'SIGKILL');
    expect(readFileSync(sandbox.pidFile, 'utf8'), 'the pid file after SIGKILL').to.equal(`${first}\n`);
    const again = await sandbox.run(MYAPP, ['run-forever', '--daemon']);
    const second = expectStarted(again, sandbox);
    expect(second).to.not.equal(first);
    expect(readFileSync(sandbox.pidFile, 'utf8')).to.equal(`${second}\n`);
  });

  it('removes the pid file on SIGTERM even when the command ignores app.signal (a DaemonService injected into the controller)', async () => {
    const out = sandbox.path('daemon.out');
    const result = await sandbox.run(daemonFixture('injected-service'), ['serve', '--daemon'], {
      env: { MYAPP_DAEMON_STDOUT: out, MYAPP_DAEMON_UMASK: '027' },
    });
    const pid = expectStarted(result, sandbox);
    expectNewSession(pid, result.pid);
    expect(procStatus(pid).Umask, 'umask 027 from the environment').to.equal('0027');
    await waitUntil(
      () => readIfExists(out) === `daemon=true pid=${pid}\n`,
      `the daemon's line in ${out} (it holds ${JSON.stringify(readIfExists(out))})`,
      3000,
    );
    await sandbox.signalAndWait(pid, 'SIGTERM');
    expect(exists(sandbox.pidFile), `${sandbox.pidFile} exists`).to.equal(false);
  });

  it('in the foreground as root with user nobody: the same process switches, and removes its pid file on SIGTERM, ending by it', async function () {
    skipUnlessRoot(this);
    sandbox.giveRunDirTo(NOBODY.uid, NOBODY.gid);
    const work = sandbox.path('work');
    mkdirSync(work, { mode: 0o755 });
    const invocation = sandbox.start(MYAPP, ['run-forever'], {
      env: { MYAPP_DAEMON_USER: NOBODY.user, MYAPP_DAEMON_DIR: work },
    });
    const { child } = invocation;
    await child.waitForOutput(/^1\n/);
    expect(readFileSync(sandbox.pidFile, 'utf8')).to.equal(`${child.pid}\n`);
    expect(statSync(sandbox.pidFile).uid, 'pid file owner').to.equal(NOBODY.uid);
    const status = procStatus(child.pid);
    expect(idList(status.Uid), 'Uid').to.deep.equal([NOBODY.uid, NOBODY.uid, NOBODY.uid, NOBODY.uid]);
    expect(idList(status.Gid), 'Gid').to.deep.equal([NOBODY.gid, NOBODY.gid, NOBODY.gid, NOBODY.gid]);
    expect(
      idList(status.Groups).sort((a, b) => a - b),
      'Groups',
    ).to.deep.equal(groupsOf(NOBODY.user));
    expect(status.Umask).to.equal('0027');
    expect(workingDirectory(child.pid)).to.equal(work);
    child.kill('SIGTERM');
    const result = await sandbox.finish(invocation);
    expect([result.code, result.signal], result.stderr).to.deep.equal([null, 'SIGTERM']);
    expect(exists(sandbox.pidFile), `${sandbox.pidFile} exists`).to.equal(false);
  });

  it("with @Daemonize({ ready: 'manual' }), the invoker returns only after DaemonService.ready()", async () => {
    const stamp = sandbox.path('ready-at');
    const result = await sandbox.run(daemonFixture('manual-ready'), ['serve', '--daemon'], {
      env: { READY_DELAY_MS: '1000', READY_STAMP: stamp },
    });
    const pid = expectStarted(result, sandbox);
    const readyAt = Number(readIfExists(stamp));
    expect(readyAt, 'the time ready() was called').to.be.greaterThan(0);
    expect(result.elapsedMs, 'ms the invoker took').to.be.at.least(1000);
    expect(result.exitedAt, 'when the invoker exited').to.be.at.least(readyAt);
    expect(isAlive(pid)).to.equal(true);
  });

  it('the whole-app sample daemonizes from a pre_run hook', async () => {
    const out = sandbox.path('daemon.out');
    const result = await sandbox.run(WHOLE_APP, ['--daemon'], {
      env: { WHOLE_APP_DAEMON_PID_FILE: sandbox.pidFile, WHOLE_APP_DAEMON_STDOUT: out },
    });
    const pid = expectStarted(result, sandbox);
    expectNewSession(pid, result.pid);
    await waitUntil(
      () => readIfExists(out) === 'Iteration: 1\n',
      `'Iteration: 1' in ${out} (it holds ${JSON.stringify(readIfExists(out))})`,
      3000,
    );
    await sandbox.signalAndWait(pid, 'SIGTERM');
    expect(exists(sandbox.pidFile), `${sandbox.pidFile} exists`).to.equal(false);
  });

  it('the whole program daemonizes between setup() and run()', async () => {
    const out = sandbox.path('daemon.out');
    const result = await sandbox.run(daemonFixture('whole-app-direct'), ['--daemon'], {
      env: { MYAPP_DAEMON_STDOUT: out },
    });
    const pid = expectStarted(result, sandbox);
    expectNewSession(pid, result.pid);
    await waitUntil(
      () => readIfExists(out) === 'Iteration: 1\n',
      `'Iteration: 1' in ${out} (it holds ${JSON.stringify(readIfExists(out))})`,
      3000,
    );
    await sandbox.signalAndWait(pid, 'SIGTERM');
    expect(exists(sandbox.pidFile), `${sandbox.pidFile} exists`).to.equal(false);
  });
});
