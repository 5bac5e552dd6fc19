/**
 * What a daemon started as root keeps once it runs as `nobody`: no inspector
 * door on SIGUSR1, only the kept variables in its environment (also in
 * `/proc/<pid>/environ`), and its log file, handed to it so that a SIGHUP
 * reopen works without a warning.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NOBODY, commandLine, isAlive, isRoot, readIfExists, useDaemonSandbox } from '../../helpers/daemon';
import { waitForText } from '../../helpers/operate';
import { copyBuiltPackage } from '../../helpers/readable-copy';

/** The port Node's inspector listens on by default. */
const INSPECTOR_PORT = 9229;

/** The variables of a process's initial environment, as `/proc/<pid>/environ` holds them. */
function initialEnvironment(pid: number): Record<string, string> {
  const entries = readFileSync(`/proc/${pid}/environ`, 'utf8')
    .split('\0')
    .filter((entry) => entry !== '');
  return Object.fromEntries(
    entries.map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]),
  );
}

/** The local ports of the TCP sockets `pid` listens on (from its descriptors and /proc/net/tcp and tcp6). */
function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match) inodes.add(match[1]);
    } catch {
      // closed meanwhile
    }
  }
  const ports: number[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of (readIfExists(table) ?? '').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      // local_address is field 1 (ADDR:PORT in hex), st is field 3 (0A: LISTEN), inode is field 9.
      if (fields.length > 9 && fields[3] === '0A' && inodes.has(fields[9]))
        ports.push(parseInt(fields[1].split(':')[1], 16));
    }
  }
  return ports;
}

describe('a daemon started as root that runs as nobody', function () {
  const sandbox = useDaemonSandbox({ shared: true });
  let copyDir: string | undefined;
  /** The myapp sample, in a world-readable copy of the package. */
  let myapp: string;
  let pid: number;
  let logFile: string;

  before(async function () {
    if (!isRoot()) {
      process.stdout.write('      (skipped: switching user needs root; this run is not root)\n');
      this.skip();
    }
    sandbox.giveRunDirTo(NOBODY.uid, NOBODY.gid);
    logFile = sandbox.logFile;
    // The daemon re-reads its config files as nobody on SIGHUP: the checkout may lie under a 0700 directory.
    copyDir = mkdtempSync(join(tmpdir(), 'mortar-security-copy-'));
    myapp = join(copyBuiltPackage(copyDir), 'build/samples/myapp/main.js');
    const started = await sandbox.run(myapp, ['run-forever', '--daemon'], {
      env: {
        MYAPP_DAEMON_USER: NOBODY.user,
        MYAPP_LOG_FILE: logFile,
        MYAPP_DAEMON_KEEP_ENV: 'KEEP_ME, KEPT_*',
        KEEP_ME: 'yes',
        KEPT_TOO: 'yes',
        SECRET_TOKEN: 'hunter2',
        SUDO_USER: 'alice',
        SSH_AUTH_SOCK: '/tmp/ssh-agent.sock',
        LC_ALL: 'C',
        TZ: 'UTC',
        NODE_ENV: 'production',
      },
    });
    expect(started.code, `the invoker's exit code\n${started.stderr}`).to.equal(0);
    pid = sandbox.daemonPid();
    await waitForText(logFile, /running as pid/);
  });

  // After the sandbox's clean-up, which ends the daemon that runs from this copy.
  after(() => {
    if (copyDir) rmSync(copyDir, { recursive: true, force: true });
  });

  it('starts with only the kept variables in /proc/<pid>/environ', () => {
    const names = Object.keys(initialEnvironment(pid)).sort();
    expect(names).to.deep.equal(
      [
        'HOME',
        'KEEP_ME',
        'KEPT_TOO',
        'LANG',
        'LC_ALL',
        'MORTAR_DAEMON_READY_FD',
        'MYAPP_CONFIG',
        'MYAPP_DAEMON_KEEP_ENV',
        'MYAPP_DAEMON_PID_FILE',
        'MYAPP_DAEMON_USER',
        'MYAPP_LOG_FILE',
        'NODE_ENV',
        'PATH',
        'TZ',
      ].sort(),
    );
  });

  it('hands the log file to nobody, and reopens it on SIGHUP without a warning', async () => {
    const stats = statSync(logFile);
    expect([stats.uid, stats.gid], 'the log file owner').to.deep.equal([NOBODY.uid, NOBODY.gid]);
    sandbox.signal(pid, 'SIGHUP');
    const text = await waitForText(logFile, /configuration reloaded/);
    expect(text).to.not.match(/WARNING|permission denied/);
    expect(isAlive(pid), 'the daemon still runs').to.equal(true);
  });

  it('opens no inspector when another process of its user sends SIGUSR1, and keeps running', async () => {
    expect(commandLine(pid), "the daemon's command line").to.contain(`--diagnostic-dir=${sandbox.dir}`);
    const kill = spawnSync('kill', ['-USR1', String(pid)], { uid: NOBODY.uid, gid: NOBODY.gid, encoding: 'utf8' });
    expect(kill.status, `kill -USR1 as nobody: ${kill.stderr}`).to.equal(0);
    // The inspector, when it opens, listens within milliseconds; give it ample time to show up.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(listeningPorts(pid), 'ports the daemon listens on').to.not.include(INSPECTOR_PORT);
    expect(listeningPorts(pid), 'ports the daemon listens on').to.deep.equal([]);
    expect(isAlive(pid), 'the daemon still runs').to.equal(true);
  });

  it('keeps the inspector closed in a foreground process that switched user, too', async () => {
    const invocation = sandbox.start(myapp, ['run-forever'], {
      env: { MYAPP_DAEMON_USER: NOBODY.user, MYAPP_DAEMON_PID_FILE: sandbox.path('run', 'foreground.pid') },
    });
    await invocation.child.waitForOutput(/^1$/m);
    const foreground = invocation.child.pid;
    const kill = spawnSync('kill', ['-USR1', String(foreground)], {
      uid: NOBODY.uid,
      gid: NOBODY.gid,
      encoding: 'utf8',
    });
    expect(kill.status, `kill -USR1 as nobody: ${kill.stderr}`).to.equal(0);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(listeningPorts(foreground), 'ports the process listens on').to.deep.equal([]);
    expect(isAlive(foreground), 'the process still runs').to.equal(true);
  });
});
