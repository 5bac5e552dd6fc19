/**
 * Child processes for end-to-end specs: start a node script with a clean
 * environment, collect its output and how it ended, and end and reap every
 * child a test started, by pid, even when the test failed.
 *
 * ```ts
 * const children = new ChildProcesses();
 * afterEach(() => children.endAll());
 * const app = children.startNode(FIXTURE, ['wait'], { env: { HOOK_LOG: file } });
 * await app.waitForOutput(/ready/);
 * ```
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** How a child ended. */
export interface ChildResult {
  /** The exit code, or `null` when a signal ended it. */
  readonly code: number | null;
  /** The signal that ended it, or `null` when it exited. */
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options of {@link ChildProcesses.startNode}. */
export interface StartOptions {
  /** Variables added to the clean environment (`PATH`, `HOME`, `LANG=C`). */
  readonly env?: Readonly<Record<string, string>>;
  /** The working directory. Default: this process's. */
  readonly cwd?: string;
  /** Arguments given to node itself, before the script. */
  readonly execArgv?: readonly string[];
}

/**
 * A minimal environment: `PATH`, `HOME` and `LANG=C`, plus `extra`. Nothing
 * else leaks in from the test runner's environment (NODE_OPTIONS,
 * NODE_EXTRA_CA_CERTS, which makes node start much slower, app variables).
 * Nothing is read from the machine's configuration either: `HOME` is
 * {@link isolatedHome}, so no child reads the user's `~/.<label>.conf` or
 * `~/.config/<label>/`, and `MYAPP_CONFIG` moves the myapp sample's system
 * file from /etc/myapp/myapp.conf to a path in that home where there is none.
 */
export function cleanEnv(extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  const home = isolatedHome();
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    LANG: 'C',
    MYAPP_CONFIG: join(home, 'etc/myapp/myapp.conf'),
    ...extra,
  };
}

let home: string | undefined;

/**
 * An empty home directory of this test run's own (created on first use,
 * removed when the run ends), the HOME of every child the specs start: what
 * is in the real user's home never changes what a spec sees, and runs on the
 * same machine never share one.
 */
export function isolatedHome(): string {
  if (home === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'mortar-spec-home-'));
    chmodSync(dir, 0o755);
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    home = dir;
  }
  return home;
}

/**
 * Whether a process exists and is not a zombie (state `Z` or `X` in
 * `/proc/<pid>/stat`): a process that has exited but is not reaped yet counts as dead.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return false;
  }
  // The command name (field 2) is in parentheses and may itself contain ') ', so the state follows the last ')'.
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state !== 'Z' && state !== 'X';
}

/**
 * Sends `signal` to `pid`, but only to a process the test itself started:
 * never to pid 0, 1 or a negative pid (a process group, or every process),
 * never to this process or its group leader, and only when `isOwn(pid)`
 * confirms the process is the test's (an unreaped child of ours, or a
 * process whose command line carries the test's marker). A pid read from a
 * pid file may name pid 1 or a stranger, so a refusal throws instead of
 * signalling. A process that is already gone is not an error.
 */
export function signalOwn(pid: number, signal: NodeJS.Signals, isOwn: (pid: number) => boolean): void {
  if (!Number.isSafeInteger(pid) || pid <= 1)
    throw new Error(`refusing to send ${signal} to pid ${pid}: not a single process of this test`);
  if (pid === process.pid || pid === processGroup()) {
    throw new Error(`refusing to send ${signal} to pid ${pid}: it is the test runner or its process group leader`);
  }
  if (!isOwn(pid)) throw new Error(`refusing to send ${signal} to pid ${pid}: not a process this test started`);
  try {
    process.kill(pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** This process's group id (field 5 of `/proc/self/stat`), or undefined without /proc. */
function processGroup(): number | undefined {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
  } catch {
    return undefined;
  }
}

/** Resolves when `predicate` holds, polling every `intervalMs`; rejects after `timeoutMs` with `what` in the message. */
export async function waitUntil(
  predicate: () => boolean,
  what: string,
  timeoutMs = 5000,
  intervalMs = 20,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** A running child: its pid, the output so far, and how it ended. */
export class RunningChild {
  stdout = '';
  stderr = '';
  /** Set once the child has exited and node has reaped it. */
  result: ChildResult | undefined;
  private readonly closed: Promise<ChildResult>;

  /** @param process the child (`globalThis.process` is still this program's) */
  constructor(readonly process: ChildProcess) {
    const child = process;
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (this.stdout += chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.closed = new Promise((resolve, reject) => {
      child.once('error', reject);
      // 'close' comes after 'exit' (the child is reaped) and after its output is drained.
      child.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
        this.result = { code, signal, stdout: this.stdout, stderr: this.stderr };
        resolve(this.result);
      });
    });
    // Reported through waitForExit(); never an unhandled rejection.
    this.closed.catch(() => undefined);
  }

  get pid(): number {
    return this.process.pid!;
  }

  /** Whether node has not yet seen the child exit. */
  get isRunning(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null;
  }

  /**
   * Sends a signal to the child, by pid, while node has not reaped it (so the
   * pid cannot have been handed to another process); a no-op afterwards.
   */
  kill(signal: NodeJS.Signals): void {
    if (!this.isRunning) return;
    signalOwn(this.pid, signal, () => this.isRunning);
  }

  /** Resolves to how the child ended; rejects (leaving the child running) when it takes longer than `timeoutMs`. */
  async waitForExit(timeoutMs = 10_000): Promise<ChildResult> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`child ${this.pid} still running after ${timeoutMs} ms\n${this.describeOutput()}`)),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([this.closed, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Resolves when stdout matches `pattern`; rejects when the child ends first or after `timeoutMs`. */
  async waitForOutput(pattern: RegExp, timeoutMs = 10_000): Promise<void> {
    await waitUntil(
      () => {
        if (pattern.test(this.stdout)) return true;
        if (this.result)
          throw new Error(`child ${this.pid} ended before printing ${pattern}\n${this.describeOutput()}`);
        return false;
      },
      `${pattern} on the stdout of child ${this.pid}\n${this.describeOutput()}`,
      timeoutMs,
    );
  }

  /** The output so far, for failure messages. */
  describeOutput(): string {
    return `--- stdout ---\n${this.stdout}--- stderr ---\n${this.stderr}`;
  }
}

/**
 * The children one spec file starts. Call {@link endAll} in `afterEach`: it
 * SIGKILLs, by pid, every child that is still running and waits until node has
 * reaped it, so no test leaves a process (or a zombie) behind.
 */
export class ChildProcesses {
  private readonly children: RunningChild[] = [];

  /** Starts `node <script> ...args` with a clean environment and piped stdio. */
  startNode(script: string, args: readonly string[] = [], options: StartOptions = {}): RunningChild {
    return this.startCommand(process.execPath, [...(options.execArgv ?? []), script, ...args], {
      cwd: options.cwd,
      env: cleanEnv(options.env),
    });
  }

  /** Starts any command with exactly the environment `env` (e.g. npm, which needs the runner's settings) and piped stdio. */
  startCommand(
    command: string,
    args: readonly string[],
    options: { env: NodeJS.ProcessEnv; cwd?: string },
  ): RunningChild {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const running = new RunningChild(child);
    this.children.push(running);
    return running;
  }

  /** Runs `node <script> ...args` to the end and resolves to how it ended. */
  async runNode(
    script: string,
    args: readonly string[] = [],
    options: StartOptions & { timeoutMs?: number } = {},
  ): Promise<ChildResult> {
    return this.startNode(script, args, options).waitForExit(options.timeoutMs);
  }

  /** Ends every child still running (SIGKILL, by pid) and waits until each is reaped. */
  async endAll(): Promise<void> {
    for (const running of this.children.splice(0)) {
      if (running.process.pid === undefined) continue;
      running.kill('SIGKILL');
      try {
        await running.waitForExit(5000);
      } catch {
        // a grandchild may hold the pipes open; wait for the reaping itself
        if (running.isRunning) await new Promise((resolve) => running.process.once('exit', resolve));
      }
    }
  }
}
