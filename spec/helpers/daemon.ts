/**
 * End-to-end checks of daemons from the outside: a per-test sandbox (its own
 * temporary directory and pid file) that starts invokers with a clean
 * environment, remembers what the pid file held when each invoker exited,
 * finds every process it started (invokers and the daemons they leave behind)
 * and ends them by pid; and readers of `/proc/<pid>/stat`, `status`, `cwd`
 * and `fd`.
 *
 * ```ts
 * const sandbox = useDaemonSandbox(); // a new one before each test, cleaned up after it
 * const run = await sandbox.run(SAMPLE, ['run-forever', '--daemon']);
 * ```
 */
import { expect } from 'chai';
import { spawn, execFileSync, type ChildProcess, type StdioOptions } from 'node:child_process';
import { once } from 'node:events';
import {
  chmodSync,
  chownSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { cleanEnv, isAlive, signalOwn, waitUntil, RunningChild, type ChildResult } from './process';

export { isAlive, waitUntil };

/** The repository root (this file runs from build/spec/helpers). */
const ROOT = resolve(__dirname, '../../..');

/** The seed's daemon sample, compiled: `run-forever` prints `1`, then waits for a stop signal. */
export const MYAPP = join(ROOT, 'build/samples/myapp/main.js');

/** The whole-app sample, compiled: daemonizes from a `pre_run` hook. */
export const WHOLE_APP = join(ROOT, 'build/samples/whole-app/main.js');

/** A compiled fixture app from spec/fixtures/daemon. */
export function daemonFixture(name: string): string {
  return join(ROOT, 'build/spec/fixtures/daemon', `${name}.js`);
}

/** The `nobody` account the privilege specs switch to. */
export const NOBODY = { user: 'nobody', uid: 65534, gid: 65534 } as const;

/** Whether this process may switch users; specs that switch skip (saying why) otherwise. */
export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** The supplementary groups a user gets from `initgroups`, as `id -G` lists them. */
export function groupsOf(user: string): number[] {
  return execFileSync('id', ['-G', user], { encoding: 'utf8' })
    .trim()
    .split(/\s+/)
    .map(Number)
    .sort((a, b) => a - b);
}

/** The fields of `/proc/<pid>/stat` the daemon specs look at. */
export interface ProcStat {
  readonly state: string;
  readonly ppid: number;
  readonly pgrp: number;
  readonly session: number;
  /** The controlling terminal; 0 when there is none. */
  readonly ttyNr: number;
}

export function procStat(pid: number): ProcStat {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name in parentheses may contain spaces and ')': the fields follow the last ')'.
  const [state, ppid, pgrp, session, ttyNr] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { state, ppid: Number(ppid), pgrp: Number(pgrp), session: Number(session), ttyNr: Number(ttyNr) };
}

/** `/proc/<pid>/status` as `{ Uid: '0\t0\t0\t0', Umask: '0022', ... }`. */
export function procStatus(pid: number): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of readFileSync(`/proc/${pid}/status`, 'utf8').split('\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) fields[line.slice(0, colon)] = line.slice(colon + 1).trim();
  }
  return fields;
}

/** A whitespace-separated id list of `/proc/<pid>/status` (`Uid`, `Gid`, `Groups`) as numbers. */
export function idList(value: string | undefined): number[] {
  return (value ?? '')
    .split(/\s+/)
    .filter((id) => id !== '')
    .map(Number);
}

/** Where each open descriptor of a process points (`/dev/null`, `socket:[123]`, a file's path). */
export function openDescriptors(pid: number): Map<number, string> {
  const targets = new Map<number, string>();
  for (const entry of readdirSync(`/proc/${pid}/fd`)) {
    try {
      targets.set(Number(entry), readlinkSync(`/proc/${pid}/fd/${entry}`));
    } catch {
      // closed while listing
    }
  }
  return targets;
}

export function workingDirectory(pid: number): string {
  return readlinkSync(`/proc/${pid}/cwd`);
}

/** The command line of a process, arguments joined by spaces; '' when it is gone (or a zombie). */
export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return '';
  }
}

/** A file's text, or undefined when there is no such file. */
export function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Whether anything (a file, a dangling symbolic link) exists at `path`. */
export function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Options of {@link DaemonSandbox.start}. */
export interface InvokeOptions {
  /** Variables added to the clean environment; `undefined` leaves one out (e.g. the pid file). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The working directory. Default: the sandbox's directory. */
  readonly cwd?: string;
  /** Extra descriptors (3 or higher) handed to the invoker as pipes, as a caller's pipes would be. */
  readonly pipes?: readonly number[];
  /** Options given to node itself (a re-executed daemon inherits them), e.g. `['--require', preload]`. */
  readonly execArgv?: readonly string[];
  /** Run as this user and group id (root only), e.g. {@link NOBODY}'s. Default: this process's. */
  readonly uid?: number;
  readonly gid?: number;
}

/** A caller's pipe handed to the invoker. */
export interface CallerPipe {
  /** Its number in the invoker. */
  readonly fd: number;
  /** What `/proc/<invoker>/fd/<fd>` pointed to (`socket:[inode]`), read right after the start. */
  readonly target: string | undefined;
  /** Resolves when the test's end reads end-of-file: no process holds the other end any more. */
  readonly ended: Promise<void>;
  /** Whether end-of-file was read. */
  readonly isEnded: () => boolean;
}

/** A started invoker (or foreground app). */
export interface Invocation {
  readonly child: RunningChild;
  readonly startedAt: number;
  /** Set when the invoker has exited. */
  exitedAt?: number;
  /** The pid file's text at the moment the invoker's exit was seen (undefined: no file). */
  pidFileAtExit?: string;
  /** Whether the pid named by the file at that moment was a live process. */
  wasPidFileAliveAtExit?: boolean;
  readonly pipes: readonly CallerPipe[];
}

/** How an invoker ended, with what the pid file held at that moment. */
export interface InvokerResult extends ChildResult {
  readonly pid: number;
  /** Milliseconds from the start to the exit. */
  readonly elapsedMs: number;
  readonly exitedAt: number;
  readonly pidFileAtExit: string | undefined;
  readonly wasPidFileAliveAtExit: boolean;
  /** The lines the invoker wrote on stderr. */
  readonly stderrLines: string[];
}

/**
 * One test's world: a fresh 0755 temporary directory (its path marks the
 * command line of every process started here, through node's harmless
 * `--diagnostic-dir` option, which a re-executed daemon inherits), a `run/`
 * directory for the pid file, and the processes started.
 */
export class DaemonSandbox {
  /** The temporary directory; also the marker in the command lines. */
  readonly dir: string;
  /** `<dir>/run`, where the pid file goes. */
  readonly runDir: string;
  /** `<dir>/run/app.pid`. */
  readonly pidFile: string;
  /** `<dir>/myapp.log`, for the specs that give the daemon a log file (nothing writes it unless told). */
  readonly logFile: string;
  private readonly invocations: Invocation[] = [];
  /** Other children (e.g. a process whose pid a pid file names). */
  private readonly helpers: RunningChild[] = [];
  /** Children the test spawned itself, with stdio of its own choosing (see {@link adopt}). */
  private readonly adopted: ChildProcess[] = [];
  private readonly knownPids = new Set<number>();

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'mortar-daemon-e2e-'));
    chmodSync(this.dir, 0o755);
    this.runDir = join(this.dir, 'run');
    mkdirSync(this.runDir, { mode: 0o755 });
    this.pidFile = join(this.runDir, 'app.pid');
    this.logFile = join(this.dir, 'myapp.log');
  }

  /** A path inside the sandbox. */
  path(...parts: string[]): string {
    return join(this.dir, ...parts);
  }

  /** Makes `run/` belong to `uid:gid`, so a daemon running as that user can write its pid file there. */
  giveRunDirTo(uid: number, gid: number): void {
    chownSync(this.runDir, uid, gid);
  }

  /**
   * What a start adds to the clean environment ({@link cleanEnv}, which keeps
   * the machine's config files out): the pid file, then `extra` (undefined
   * values remove a variable).
   */
  environment(extra: Readonly<Record<string, string | undefined>> = {}): Record<string, string> {
    const env: Record<string, string | undefined> = { MYAPP_DAEMON_PID_FILE: this.pidFile, ...extra };
    const defined: Record<string, string> = {};
    for (const [name, value] of Object.entries(env)) if (value !== undefined) defined[name] = value;
    return defined;
  }

  /** Starts `node <script> ...args` with a clean environment; the invoker's exit is watched. */
  start(script: string, args: readonly string[], options: InvokeOptions = {}): Invocation {
    const pipes = [...(options.pipes ?? [])];
    const size = Math.max(3, ...pipes.map((fd) => fd + 1));
    const stdio: StdioOptions = Array.from({ length: size }, (_, fd) =>
      fd === 0 ? 'ignore' : fd <= 2 || pipes.includes(fd) ? 'pipe' : 'ignore',
    );
    const startedAt = Date.now();
    const process_ = spawn(
      process.execPath,
      [`--diagnostic-dir=${this.dir}`, ...(options.execArgv ?? []), script, ...args],
      {
        cwd: options.cwd ?? this.dir,
        env: cleanEnv(this.environment(options.env)),
        stdio,
        ...(options.uid === undefined ? {} : { uid: options.uid, gid: options.gid ?? options.uid }),
      },
    );
    const child = new RunningChild(process_);
    const invocation: Invocation = { child, startedAt, pipes: pipes.map((fd) => this.watchPipe(child, fd)) };
    process_.once('exit', () => {
      invocation.exitedAt = Date.now();
      invocation.pidFileAtExit = readIfExists(this.pidFile);
      const pid = parsePid(invocation.pidFileAtExit);
      invocation.wasPidFileAliveAtExit = pid !== undefined && isAlive(pid);
      if (pid !== undefined) this.knownPids.add(pid);
    });
    this.invocations.push(invocation);
    return invocation;
  }

  /** Starts a helper process (not marked: it is no daemon), ended with the rest by {@link cleanUp}. */
  startHelper(command: string, args: readonly string[]): RunningChild {
    const child = new RunningChild(
      spawn(command, args, { cwd: this.dir, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] }),
    );
    this.helpers.push(child);
    return child;
  }

  /**
   * Ends a child the test spawned itself (its own stdio, its own environment)
   * with the rest at {@link cleanUp}: SIGKILL by its pid unless it has exited,
   * then reaped. Returns the child.
   */
  adopt<T extends ChildProcess>(child: T): T {
    this.adopted.push(child);
    return child;
  }

  /** Resolves when the invoker has exited (its output may still be open). */
  async exited(invocation: Invocation): Promise<void> {
    const { process: child } = invocation.child;
    if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
  }

  /**
   * Closes the test's end of the caller's pipes that have not read end-of-file,
   * so that {@link finish} does not wait for a process that still holds them.
   */
  closePipes(invocation: Invocation): void {
    for (const pipe of invocation.pipes) if (!pipe.isEnded()) invocation.child.process.stdio[pipe.fd]?.destroy();
  }

  /** Waits until an invocation has ended (and its stdout/stderr are closed). */
  async finish(invocation: Invocation, timeoutMs = 15_000): Promise<InvokerResult> {
    const result = await invocation.child.waitForExit(timeoutMs);
    const exitedAt = invocation.exitedAt ?? Date.now();
    return {
      ...result,
      pid: invocation.child.pid,
      elapsedMs: exitedAt - invocation.startedAt,
      exitedAt,
      pidFileAtExit: invocation.pidFileAtExit,
      wasPidFileAliveAtExit: invocation.wasPidFileAliveAtExit ?? false,
      stderrLines: result.stderr.split('\n').filter((line) => line !== ''),
    };
  }

  /** Starts and waits: `node <script> ...args`, to its exit. */
  async run(script: string, args: readonly string[], options: InvokeOptions = {}): Promise<InvokerResult> {
    return this.finish(this.start(script, args, options));
  }

  /** The pid the pid file names, remembered for the clean-up; throws when it names none. */
  daemonPid(): number {
    const pid = parsePid(readIfExists(this.pidFile));
    if (pid === undefined)
      throw new Error(`the pid file ${this.pidFile} names no pid: ${JSON.stringify(readIfExists(this.pidFile))}`);
    this.knownPids.add(pid);
    return pid;
  }

  /** Live processes (not zombies) whose command line carries this sandbox's marker, other than running invokers. */
  livingProcesses(): number[] {
    const invokers = new Set(this.invocations.filter((i) => i.child.isRunning).map((i) => i.child.pid));
    const found: number[] = [];
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const pid = Number(entry);
      if (pid === process.pid || invokers.has(pid)) continue;
      if (this.isMarked(pid) && isAlive(pid)) found.push(pid);
    }
    return found;
  }

  /**
   * Sends `signal` to a process started in this sandbox, by pid; throws,
   * signalling nothing, when the pid is not one of the sandbox's processes
   * (pid 1, a stranger, a group, a pid a failed start left as -1).
   */
  signal(pid: number, signal: NodeJS.Signals): void {
    signalOwn(pid, signal, (candidate) => this.isMarked(candidate));
    this.knownPids.add(pid);
  }

  /** {@link signal}, then waits until the process is gone (a zombie counts as gone). */
  async signalAndWait(pid: number, signal: NodeJS.Signals, timeoutMs = 5000): Promise<void> {
    this.signal(pid, signal);
    await waitUntil(() => !isAlive(pid), `pid ${pid} to end after ${signal}`, timeoutMs);
  }

  /**
   * Ends everything this sandbox started, by pid: running invokers, helpers
   * and adopted children (SIGKILL, then reaped), then every live process carrying the marker or named by a
   * pid file seen (SIGTERM, then SIGKILL after 2 s, until gone or a zombie);
   * then removes the directory.
   */
  async cleanUp(): Promise<void> {
    for (const child of [
      ...this.invocations.splice(0).map((invocation) => invocation.child),
      ...this.helpers.splice(0),
    ]) {
      child.kill('SIGKILL');
      if (child.process.exitCode === null && child.process.signalCode === null) await once(child.process, 'exit');
      for (const stream of child.process.stdio) stream?.destroy();
    }
    for (const child of this.adopted.splice(0)) {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = once(child, 'exit');
        try {
          child.kill('SIGKILL');
        } catch {
          // exited meanwhile
        }
        await exited;
      }
    }
    const pids = new Set([...this.livingProcesses(), ...[...this.knownPids].filter((pid) => this.isMarked(pid))]);
    await Promise.all([...pids].map((pid) => this.end(pid)));
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async end(pid: number): Promise<void> {
    const send = (signal: NodeJS.Signals): void => {
      try {
        this.signal(pid, signal);
      } catch {
        // no longer one of ours: gone, or its pid already reused
      }
    };
    if (!isAlive(pid)) return;
    send('SIGTERM');
    try {
      await waitUntil(() => !isAlive(pid), `pid ${pid} to end after SIGTERM`, 2000);
      return;
    } catch {
      send('SIGKILL');
    }
    await waitUntil(() => !isAlive(pid), `pid ${pid} to end after SIGKILL`, 3000);
  }

  /** Whether a process's command line carries this sandbox's marker (so a reused pid is never signalled). */
  private isMarked(pid: number): boolean {
    return commandLine(pid).includes(`--diagnostic-dir=${this.dir}`);
  }

  private watchPipe(child: RunningChild, fd: number): CallerPipe {
    let target: string | undefined;
    try {
      target = readlinkSync(`/proc/${child.pid}/fd/${fd}`);
    } catch {
      target = undefined;
    }
    const stream = child.process.stdio[fd] as Readable;
    let isEnded = false;
    const ended = new Promise<void>((resolve) => {
      stream.once('end', () => {
        isEnded = true;
        resolve();
      });
      stream.once('close', () => resolve());
    });
    stream.on('error', () => undefined);
    stream.resume();
    return { fd, target, ended, isEnded: () => isEnded };
  }
}

/** Options of {@link useDaemonSandbox}. */
export interface SandboxUse {
  /** One sandbox for every test of the suite (made in `before`, cleaned up in `after`). Default: one per test. */
  readonly shared?: boolean;
  /**
   * The suite's own tear-down (close an app, stop a systemd), run before the
   * sandbox ends its processes; the sandbox is cleaned up even when it throws.
   */
  readonly beforeCleanUp?: () => unknown;
}

/**
 * Gives the tests of the enclosing `describe()` a {@link DaemonSandbox}: a new
 * one before each test (or one for them all, with `shared`), and after it
 * every process it started ended by pid and reaped and its directory removed,
 * whether the test passed, failed or was skipped. Returns the sandbox of the
 * test that runs; using it outside a test (or a hook after this call's) throws.
 *
 * ```ts
 * describe('myapp --daemon', () => {
 *   const sandbox = useDaemonSandbox();
 *   it('starts', async () => expect((await sandbox.run(MYAPP, ['run-forever', '--daemon'])).code).to.equal(0));
 * });
 * ```
 */
export function useDaemonSandbox(use: SandboxUse = {}): DaemonSandbox {
  let current: DaemonSandbox | undefined;
  const setUp = (): void => {
    current = new DaemonSandbox();
  };
  const tearDown = async (): Promise<void> => {
    try {
      await use.beforeCleanUp?.();
    } finally {
      const sandbox = current;
      current = undefined;
      await sandbox?.cleanUp();
    }
  };
  if (use.shared) {
    before(setUp);
    after(tearDown);
  } else {
    beforeEach(setUp);
    afterEach(tearDown);
  }
  return new Proxy(Object.create(DaemonSandbox.prototype) as DaemonSandbox, {
    get(_target, property) {
      if (!current) {
        throw new Error(
          `useDaemonSandbox(): no sandbox while reading '${String(property)}': it exists from its before hook to its after hook`,
        );
      }
      const value: unknown = Reflect.get(current, property, current);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(current) : value;
    },
  });
}

/** The pid in a pid file's text, when it is exactly a decimal number and a newline (or nothing else). */
export function parsePid(text: string | undefined): number | undefined {
  const match = text === undefined ? null : /^(\d+)\n?$/.exec(text);
  return match ? Number(match[1]) : undefined;
}

/** Checks a command's exit code and its output (the text, or a pattern it matches), with nothing on stderr. */
export function expectOutput(result: InvokerResult, code: number, stdout: string | RegExp): void {
  expect(result.code, `exit code\n--- stdout ---\n${result.stdout}--- stderr ---\n${result.stderr}`).to.equal(code);
  if (typeof stdout === 'string') expect(result.stdout, 'stdout').to.equal(stdout);
  else expect(result.stdout, 'stdout').to.match(stdout);
  expect(result.stderr, 'stderr').to.equal('');
}

/** Resolves after `ms`. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
