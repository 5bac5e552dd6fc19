/**
 * A real systemd for end-to-end specs: systemd (252 on Debian 12) booted as
 * PID 1 of a private PID + mount + UTS + IPC namespace, serving only the
 * units a spec writes plus the few support units it needs, with its own
 * /run, its own journal and its own cgroup. It boots in about 0.3 s, so one
 * sandbox serves every unit of a spec file.
 *
 * ```ts
 * const reason = SystemdSandbox.unavailable();
 * if (reason) { process.stdout.write(`(skipped: ${reason})\n`); this.skip(); }
 * const systemd = await SystemdSandbox.boot({ mask: ['/etc/myapp'] });
 * await systemd.addUnit('demo.service', '[Service]\nExecStart=/bin/sleep 30\n');
 * await systemd.ctl('start', 'demo.service');
 * await systemd.shutDown();
 * ```
 *
 * Safety: nothing is ever signalled by name. The sandbox ends with
 * `systemctl exit`; failing that, its systemd is sent SIGKILL by the host pid
 * recorded at boot, checked against the start time recorded with it (the
 * kernel then ends everything in the namespace). What is still left in the
 * sandbox's own cgroups was started by it and is killed by pid.
 * `SYSTEMD_UNIT_PATH` never ends in `:`, which would pull in the distro's
 * units (whose systemd-tmpfiles would clean the host's /tmp).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import {
  accessSync,
  chmodSync,
  closeSync,
  constants,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  realpathSync,
  rmSync,
  rmdirSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { delay, waitUntil } from './daemon';

const SYSTEMD = '/lib/systemd/systemd';
const SYSTEM_UNITS = '/lib/systemd/system';
/** Units of the distro the sandbox needs: journald's socket and what `systemctl exit` goes through. */
const LINKED_UNITS = [
  'systemd-journald.socket',
  'exit.target',
  'systemd-exit.service',
  'shutdown.target',
  'umount.target',
  'final.target',
];
const BOOT_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 20_000;
/** The bound on any one command run inside the sandbox, in seconds. */
const COMMAND_TIMEOUT_S = 60;

/**
 * What the namespaces' PID 1 runs before it becomes systemd: it joins the
 * sandbox's cgroups, mounts a cgroup2 hierarchy when the host has a hybrid
 * one (systemd then manages cgroups as on a stock Debian 12), a private /run
 * and journal, hides the given paths behind empty tmpfs mounts, and execs
 * systemd with a clean environment.
 */
const INIT = `
set -e
unit_path=$1; systemd=$2; cgroups=$3; masked=$4
for cgroup in $cgroups; do echo $$ > "$cgroup/cgroup.procs"; done
[ -e /sys/fs/cgroup/cgroup.procs ] || mount -t cgroup2 cgroup2 /sys/fs/cgroup
mount -t tmpfs -o mode=755,nosuid,nodev tmpfs /run
mkdir -p /run/systemd
[ ! -d /var/log/journal ] || mount -t tmpfs -o mode=2755 tmpfs /var/log/journal
for path in $masked; do [ ! -d "$path" ] || mount -t tmpfs -o mode=755 tmpfs "$path"; done
exec env -i container=mortar-spec SYSTEMD_UNIT_PATH="$unit_path" LANG=C.UTF-8 \\
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \\
  "$systemd" --system --unit=sandbox.target --show-status=no --log-target=journal
`;

/** Options of {@link SystemdSandbox.boot}. */
export interface BootOptions {
  /** Directories of the host hidden inside the sandbox behind empty mounts (a sample's `/etc/<label>`). */
  readonly mask?: readonly string[];
}

/** What a command run inside the sandbox printed, and its exit code. */
export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The cgroup hierarchies systemd would use here: pure cgroup2, or the v1 name=systemd one (plus cgroup2 in hybrid mode). */
function cgroupHierarchies(): string[] {
  if (existsSync('/sys/fs/cgroup/cgroup.procs')) return ['/sys/fs/cgroup'];
  return ['/sys/fs/cgroup/systemd', '/sys/fs/cgroup/unified'].filter((hierarchy) =>
    existsSync(join(hierarchy, 'cgroup.procs')),
  );
}

function onPath(command: string): boolean {
  return (process.env.PATH ?? '/usr/bin:/bin').split(':').some((dir) => {
    try {
      accessSync(join(dir, command), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Field 22 of `/proc/<pid>/stat`, or undefined when there is no such process. */
function startTicks(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function run(command: string, args: readonly string[], timeoutMs: number): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { encoding: 'utf8', timeout: timeoutMs, killSignal: 'SIGKILL' },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 255) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** One booted systemd and its state directory. */
export class SystemdSandbox {
  /** Where the spec's unit files go. */
  readonly unitDir: string;
  private readonly supportDir: string;
  private readonly cgroups: string[];
  private unshare: ChildProcess | undefined;
  /** systemd's pid on the host, and its start time, recorded at boot. */
  private recorded: { pid: number; startTicks: string } | undefined;

  private constructor(
    /** The sandbox's own temporary directory (mode 0755), unique to this run. */
    readonly dir: string,
  ) {
    this.unitDir = join(dir, 'units');
    this.supportDir = join(dir, 'support');
    const name = `mortar-spec-${basename(dir)}`;
    this.cgroups = cgroupHierarchies().map((hierarchy) => join(hierarchy, name));
  }

  /** Why a sandbox cannot boot on this machine, or undefined when it can. */
  static unavailable(): string | undefined {
    if (process.getuid?.() !== 0) return `booting systemd needs root; this runs as uid ${process.getuid?.()}`;
    if (!existsSync(SYSTEMD)) return `no ${SYSTEMD}`;
    for (const command of ['unshare', 'nsenter', 'timeout']) if (!onPath(command)) return `no '${command}' command`;
    if (cgroupHierarchies().length === 0) return 'no usable cgroup hierarchy under /sys/fs/cgroup';
    return undefined;
  }

  /** Boots a sandbox; rejects (leaving nothing behind) when systemd does not come up. */
  static async boot(options: BootOptions = {}): Promise<SystemdSandbox> {
    const sandbox = new SystemdSandbox(mkdtempSync(join(tmpdir(), 'mortar-systemd-')));
    try {
      await sandbox.start(options);
      return sandbox;
    } catch (error) {
      const console = readFileSync(join(sandbox.dir, 'console.log'), { encoding: 'utf8', flag: 'a+' });
      await sandbox.shutDown();
      throw new Error(`${(error as Error).message}\n--- systemd's console ---\n${console}`);
    }
  }

  /** systemd's pid on the host. */
  get pid(): number {
    if (!this.recorded) throw new Error('the sandbox is not running');
    return this.recorded.pid;
  }

  /** Whether the recorded systemd still runs (same pid, same start time). */
  get isRunning(): boolean {
    return this.recorded !== undefined && startTicks(this.recorded.pid) === this.recorded.startTicks;
  }

  /** Writes a unit file and has systemd read it. */
  async addUnit(name: string, text: string): Promise<void> {
    writeFileSync(join(this.unitDir, name), text);
    await this.ctlOk('daemon-reload');
  }

  /** `systemctl ARGS...` inside the sandbox. */
  ctl(...args: string[]): Promise<CommandResult> {
    return this.exec('systemctl', '--no-pager', ...args);
  }

  /** `systemctl ARGS...`, failing with its output unless it exits 0. */
  async ctlOk(...args: string[]): Promise<string> {
    const result = await this.ctl(...args);
    if (result.code !== 0)
      throw new Error(`systemctl ${args.join(' ')} exited ${result.code}: ${result.stderr}${result.stdout}`);
    return result.stdout;
  }

  /** Unit properties (`systemctl show -p A -p B unit`) as an object. */
  async show(unit: string, ...properties: string[]): Promise<Record<string, string>> {
    const text = await this.ctlOk('show', unit, ...properties.flatMap((property) => ['-p', property]));
    const values: Record<string, string> = {};
    for (const line of text.split('\n')) {
      const equals = line.indexOf('=');
      if (equals > 0) values[line.slice(0, equals)] = line.slice(equals + 1);
    }
    return values;
  }

  /**
   * Resolves to the unit's properties once `accept` takes them, polling
   * `systemctl show`; rejects with the last ones seen and the journal after `timeoutMs`.
   */
  async waitForShow(
    unit: string,
    properties: readonly string[],
    accept: (values: Record<string, string>) => boolean,
    timeoutMs = 20_000,
  ): Promise<Record<string, string>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const values = await this.show(unit, ...properties);
      if (accept(values)) return values;
      if (Date.now() > deadline) {
        throw new Error(`timed out waiting for ${unit}: ${JSON.stringify(values)}\n${await this.journal(unit)}`);
      }
      await delay(100);
    }
  }

  /** The unit's journal, message text only (systemd's lines about it and its own output). */
  async journal(unit: string): Promise<string> {
    return (await this.exec('journalctl', '--no-pager', '-o', 'cat', '-u', unit)).stdout;
  }

  /** Resolves to the unit's journal once it matches `pattern` (journald stores lines a moment after they are written). */
  async journalMatching(unit: string, pattern: RegExp, timeoutMs = 5000): Promise<string> {
    let text = '';
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test((text = await this.journal(unit)))) {
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${pattern} in the journal of ${unit}:\n${text}`);
      await delay(50);
    }
    return text;
  }

  /** Runs a command inside the sandbox's namespaces, bounded in time inside and outside. */
  exec(command: string, ...args: string[]): Promise<CommandResult> {
    const inside = [
      '-t',
      String(this.pid),
      '-m',
      '-p',
      '-u',
      '-i',
      '--',
      'timeout',
      '-k',
      '3',
      String(COMMAND_TIMEOUT_S),
      command,
      ...args,
    ];
    return run('nsenter', inside, (COMMAND_TIMEOUT_S + 10) * 1000);
  }

  /** The host pid of the process that is `pid` inside the sandbox, or undefined when there is none. */
  hostPid(pid: number): number | undefined {
    const namespace = readlinkSync(`/proc/${this.pid}/ns/pid`);
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        if (readlinkSync(`/proc/${entry}/ns/pid`) !== namespace) continue;
        const ids = /^NSpid:\s+(.*)$/m.exec(readFileSync(`/proc/${entry}/status`, 'utf8'))?.[1].split(/\s+/);
        if (ids && Number(ids[ids.length - 1]) === pid) return Number(entry);
      } catch {
        // gone meanwhile
      }
    }
    return undefined;
  }

  /** Host pids of the processes in a unit's cgroup (a daemon that left its parent's session included). */
  processesOf(unit: string): number[] {
    return this.processes().filter((pid) =>
      readIfPresent(`/proc/${pid}/cgroup`)
        .split('\n')
        .some((line) => line.endsWith(`/${unit}`)),
    );
  }

  /** Host pids of every process in the sandbox other than systemd itself. */
  processes(): number[] {
    if (!this.isRunning) return [];
    const namespace = readlinkSync(`/proc/${this.pid}/ns/pid`);
    const found: number[] = [];
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry) || Number(entry) === this.pid) continue;
      try {
        if (readlinkSync(`/proc/${entry}/ns/pid`) === namespace) found.push(Number(entry));
      } catch {
        // gone meanwhile
      }
    }
    return found;
  }

  /**
   * Stops the sandbox: `systemctl exit` (every unit is stopped, then systemd
   * exits), else SIGKILL by the recorded pid; then whatever is left in its
   * cgroups; then removes its directory. Harmless when it is not running.
   */
  async shutDown(): Promise<void> {
    try {
      if (this.isRunning) {
        await this.exec('systemctl', '--no-block', 'exit');
        try {
          await waitUntil(() => !this.isRunning, 'systemd to exit', STOP_TIMEOUT_MS, 50);
        } catch {
          // PID 1 of the namespace: when it dies the kernel ends everything inside.
          if (this.isRunning) process.kill(this.recorded!.pid, 'SIGKILL');
          await waitUntil(() => !this.isRunning, 'systemd to end after SIGKILL', 10_000, 50);
        }
      }
      const unshare = this.unshare;
      if (unshare && unshare.exitCode === null && unshare.signalCode === null) {
        const exited = once(unshare, 'exit');
        await Promise.race([exited, delay(10_000)]);
        if (unshare.exitCode === null && unshare.signalCode === null) {
          unshare.kill('SIGKILL');
          await exited;
        }
      }
      await this.emptyCgroups();
    } finally {
      this.recorded = undefined;
      rmSync(this.dir, { recursive: true, force: true });
    }
  }

  private async start(options: BootOptions): Promise<void> {
    chmodSync(this.dir, 0o755);
    mkdirSync(this.unitDir);
    this.writeSupportUnits();
    for (const cgroup of this.cgroups) mkdirSync(cgroup);
    const console = openSync(join(this.dir, 'console.log'), 'a');
    try {
      this.unshare = spawn(
        'unshare',
        [
          '--pid',
          '--fork',
          '--mount',
          '--uts',
          '--ipc',
          '--mount-proc',
          '--propagation',
          'private',
          '--',
          '/bin/sh',
          '-c',
          INIT,
          'init',
          `${this.unitDir}:${this.supportDir}`,
          realpathSync(SYSTEMD),
          this.cgroups.join(' '),
          (options.mask ?? []).join(' '),
        ],
        // A session of its own: a signal to the test runner's group never reaches it.
        { detached: true, stdio: ['ignore', console, console] },
      );
    } finally {
      closeSync(console);
    }
    this.unshare.on('error', () => undefined);
    const systemd = realpathSync(SYSTEMD);
    let pid: number | undefined;
    await waitUntil(
      () => {
        const children = readIfPresent(`/proc/${this.unshare!.pid}/task/${this.unshare!.pid}/children`)
          .trim()
          .split(/\s+/);
        const candidate = Number(children[0]);
        if (!candidate) return false;
        try {
          if (readlinkSync(`/proc/${candidate}/exe`) !== systemd) return false;
        } catch {
          return false;
        }
        pid = candidate;
        return true;
      },
      'systemd to start',
      BOOT_TIMEOUT_MS,
      20,
    );
    this.recorded = { pid: pid!, startTicks: startTicks(pid!)! };
    const deadline = Date.now() + BOOT_TIMEOUT_MS;
    for (;;) {
      const state = (await this.exec('systemctl', 'is-system-running')).stdout.trim();
      if (state === 'running' || state === 'degraded') return;
      if (Date.now() > deadline)
        throw new Error(`systemd did not finish booting within ${BOOT_TIMEOUT_MS / 1000} s (${state})`);
      await delay(50);
    }
  }

  /**
   * A minimal default target and empty sysinit/basic targets (services with
   * default dependencies need them), journald with its main socket only (its
   * /dev/log socket would put a link into the host's /dev), and what
   * `systemctl exit` needs. Nothing else of the distro.
   */
  private writeSupportUnits(): void {
    const dir = this.supportDir;
    mkdirSync(dir);
    for (const unit of LINKED_UNITS) symlinkSync(join(SYSTEM_UNITS, unit), join(dir, unit));
    const journald = readFileSync(join(SYSTEM_UNITS, 'systemd-journald.service'), 'utf8');
    writeFileSync(
      join(dir, 'systemd-journald.service'),
      journald.replace(/^Sockets=.*$/m, 'Sockets=systemd-journald.socket'),
    );
    writeFileSync(
      join(dir, 'sysinit.target'),
      '[Unit]\nDescription=sandbox sysinit\nDefaultDependencies=no\nWants=systemd-journald.service\n',
    );
    writeFileSync(
      join(dir, 'basic.target'),
      '[Unit]\nDescription=sandbox basic\nRequires=sysinit.target\nAfter=sysinit.target\n',
    );
    writeFileSync(
      join(dir, 'sandbox.target'),
      '[Unit]\nDescription=sandbox default target\nRequires=basic.target\nAfter=basic.target\nAllowIsolate=yes\n',
    );
  }

  /** Kills, by pid, whatever is still in the sandbox's own cgroups (only its processes can be there), then removes them. */
  private async emptyCgroups(): Promise<void> {
    const members = (): number[] => {
      const pids: number[] = [];
      const visit = (dir: string): void => {
        if (!existsSync(dir)) return;
        for (const line of readIfPresent(join(dir, 'cgroup.procs')).split('\n'))
          if (line.trim()) pids.push(Number(line));
        for (const entry of readdirSync(dir, { withFileTypes: true }))
          if (entry.isDirectory()) visit(join(dir, entry.name));
      };
      for (const cgroup of this.cgroups) visit(cgroup);
      return pids;
    };
    await waitUntil(
      () => {
        const left = members();
        for (const pid of left) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // gone meanwhile
          }
        }
        return left.length === 0;
      },
      `the sandbox's cgroups ${this.cgroups.join(', ')} to be empty`,
      10_000,
      50,
    );
    const remove = (dir: string): void => {
      if (!existsSync(dir)) return;
      for (const entry of readdirSync(dir, { withFileTypes: true }))
        if (entry.isDirectory()) remove(join(dir, entry.name));
      try {
        rmdirSync(dir);
      } catch {
        // a cgroup systemd still holds; it goes with the hierarchy's next clean-up
      }
    };
    for (const cgroup of this.cgroups) remove(cgroup);
  }
}

function readIfPresent(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
