import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, constants } from 'node:fs';
import type { Readable } from 'node:stream';
import { FrameworkError } from '../../core/errors';
import { openDaemonFile } from '../../core/safe-files';
import { describeSystemError } from '../../core/system-error';
import { PidFile } from './pid-file';
import { startTicksOf } from './process-identity';
import { CHILD_MARKER, PID_WANTED, type ReadinessMessage } from './readiness';

/** What the invoker needs to start the daemon child. */
export interface DetachOptions {
  /** systemd's `NOTIFY_SOCKET`, handed on so the daemon can report STOPPING=1 itself. */
  readonly notifySocket?: string;
  /** Variables added to the daemon's environment: what systemd's watchdog and socket activation hand on. */
  readonly supervision?: Readonly<Record<string, string>>;
  /**
   * Descriptors the daemon gets at the same numbers (systemd's socket
   * activation, from 3 on); the readiness pipe follows them.
   */
  readonly passFds?: readonly number[];
  /**
   * Whether the daemon is started through `setsid(1)`, which forks once more:
   * the daemon is then orphaned at once, and adopted by the service manager
   * while the invoker still runs. systemd supervises a `Type=notify` unit's
   * main process properly only when it is its own child (otherwise: "Supervising
   * process N which is not our child", and `systemctl stop` ends in SIGKILL).
   */
  readonly orphan?: boolean;
  /** File the daemon's stdout is appended to (`/dev/null` discards it). */
  readonly stdout: string;
  /** File the daemon's stderr is appended to. */
  readonly stderr: string;
  /** How long to wait for the daemon to report ready, in ms. */
  readonly timeoutMs: number;
  /** Where the daemon's start-up log lines are shown. */
  readonly console: NodeJS.WritableStream;
  /**
   * The daemon's environment. Default: this process's. A daemon that will
   * switch user starts with only the variables it keeps, so that its
   * `/proc/<pid>/environ` holds nothing else either.
   */
  readonly environment?: NodeJS.ProcessEnv;
  /** Called when the daemon was stopped or ended before it was ready (to remove what it left). */
  readonly onAbandon?: (pid: number) => void;
  /**
   * Aborts the start (a stop signal to the invoker): the daemon is stopped —
   * SIGTERM, then SIGKILL after 3 s — and the promise rejects with the
   * signal's reason once it has ended.
   */
  readonly signal?: AbortSignal;
}

/** The descriptor the daemon child writes its readiness to, unless descriptors are passed there. */
const FIRST_FREE_FD = 3;
/** How long a child that reported an error, or was asked to stop, gets to exit by itself before it is killed. */
const EXIT_GRACE_MS = 3000;
/** How often an orphaned daemon, which is not our child, is checked for having ended. */
const POLL_MS = 25;

/**
 * Starts the same program again as a detached child (new session, no
 * controlling terminal, stdin on /dev/null) and waits until it reports ready.
 * Resolves to the daemon's pid; rejects with the daemon's own error, or with
 * why it never got ready. A child that fails is never left running.
 */
export function startDaemon(options: DetachOptions): Promise<number> {
  const stdout = openOutput(options.stdout, 'stdout');
  let stderr: number | 'ignore';
  try {
    stderr = openOutput(options.stderr, 'stderr');
  } catch (error) {
    if (stdout !== 'ignore') closeSync(stdout);
    throw error;
  }
  const program = [...process.execArgv, ...process.argv.slice(1)];
  // Passed descriptors keep their numbers (Node marks them close-on-exec, so only this list hands them on).
  const passed = options.passFds ?? [];
  const readyFd = Math.max(FIRST_FREE_FD, ...passed.map((fd) => fd + 1));
  const stdio: Array<'ignore' | 'pipe' | number> = ['ignore', stdout, stderr];
  for (let fd = 3; fd < readyFd; fd++) stdio.push(passed.includes(fd) ? fd : 'ignore');
  stdio.push('pipe');
  const child = spawn(
    options.orphan ? 'setsid' : process.execPath,
    options.orphan ? [process.execPath, ...program] : program,
    {
      detached: true,
      stdio,
      env: {
        ...(options.environment ?? process.env),
        [CHILD_MARKER]: `${readyFd}${options.orphan ? PID_WANTED : ''}`,
        ...(options.notifySocket ? { NOTIFY_SOCKET: options.notifySocket } : {}),
        ...options.supervision,
      },
    },
  );
  for (const fd of [stdout, stderr]) if (fd !== 'ignore') closeSync(fd);
  const daemon = options.orphan ? new OrphanedDaemon() : new ChildDaemon(child);

  return new Promise<number>((resolve, reject) => {
    let settled = false;
    /** A stop that came before an orphaned daemon said who it is: carried out once it does. */
    let pendingStop: unknown;
    const pipe = child.stdio[readyFd] as Readable;
    const timer = setTimeout(() => {
      fail(
        new FrameworkError(
          `The daemon (pid ${daemon.pid ?? child.pid}) did not report ready within ${options.timeoutMs / 1000} s; it was stopped.`,
        ),
        'SIGKILL',
      );
    }, options.timeoutMs);
    const onAbort = (): void => {
      if (settled) return;
      pendingStop = options.signal!.reason;
      if (daemon.pid !== undefined) fail(pendingStop, 'SIGTERM');
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });

    const finish = (): void => {
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      pipe.removeAllListeners();
      pipe.destroy();
    };
    /** Rejects with `error` once the daemon has ended: first sending it `signal`, if any, then SIGKILL after a grace period. */
    const fail = (error: unknown, signal?: NodeJS.Signals): void => {
      if (settled) return;
      finish();
      const pid = daemon.pid;
      if (pid !== undefined && daemon.isRunning()) {
        if (signal) daemon.kill(signal);
        const killer = setTimeout(() => daemon.kill('SIGKILL'), EXIT_GRACE_MS);
        daemon.whenGone(() => {
          clearTimeout(killer);
          options.onAbandon?.(pid);
          reject(error);
        });
        return;
      }
      if (pid !== undefined) options.onAbandon?.(pid);
      reject(error);
    };
    const succeed = (pid: number): void => {
      finish();
      child.unref();
      // An orphaned daemon is adopted only once the intermediate process has exited.
      if (!options.orphan || pid === child.pid || child.exitCode !== null || child.signalCode !== null) resolve(pid);
      else child.once('exit', () => resolve(pid));
    };

    child.once('error', (error) => {
      const reason = describeSystemError(error);
      fail(
        new FrameworkError(
          options.orphan
            ? `Cannot start the daemon through setsid(1), which --daemon needs when systemd waits for READY=1 (NOTIFY_SOCKET is set): ${reason}. ` +
                'Install util-linux, or drop --daemon: under Type=notify the program belongs in the foreground.'
            : `Cannot start the daemon: ${reason}.`,
        ),
      );
    });
    // Lines are split on the newline byte, which never occurs inside a UTF-8 sequence,
    // so each line decodes whole (and no string decoder needs loading).
    let buffer: Buffer = Buffer.alloc(0);
    pipe.on('data', (chunk: Buffer) => {
      buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
      let newline: number;
      while (!settled && (newline = buffer.indexOf(10)) !== -1) {
        const line = buffer.toString('utf8', 0, newline);
        buffer = buffer.subarray(newline + 1);
        const message = parse(line);
        if (!message) continue;
        if (message.type === 'started') {
          daemon.started(message.pid);
          if (pendingStop !== undefined) fail(pendingStop, 'SIGTERM');
        } else if (message.type === 'log') options.console.write(message.line);
        else if (message.type === 'error') fail(new FrameworkError(message.message));
        else succeed(message.pid);
      }
    });
    pipe.once('close', () => {
      if (settled) return;
      daemon.whenGone(() =>
        fail(pendingStop ?? new FrameworkError(`The daemon exited before it was ready${daemon.describeExit()}.`)),
      );
    });
  });
}

/** The daemon as the invoker sees it: the direct child, or an orphan known by the pid it reported. */
interface DaemonProcess {
  readonly pid: number | undefined;
  started(pid: number): void;
  isRunning(): boolean;
  /** Sends `signal`, only while it is still the daemon. */
  kill(signal: NodeJS.Signals): void;
  /** Calls back once the daemon has ended. */
  whenGone(callback: () => void): void;
  /** ` (exit code N)`, when known. */
  describeExit(): string;
}

/** The daemon as the invoker's own child: node tells when it ends, and how. */
class ChildDaemon implements DaemonProcess {
  private exit: string | undefined;

  constructor(private readonly child: ChildProcess) {
    child.once('exit', (code, signal) => {
      this.exit = signal ? `signal ${signal}` : `exit code ${code}`;
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  started(): void {
    // its pid is known from the start
  }

  isRunning(): boolean {
    return this.child.pid !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  kill(signal: NodeJS.Signals): void {
    if (this.isRunning()) this.child.kill(signal);
  }

  whenGone(callback: () => void): void {
    if (this.exit !== undefined || this.child.pid === undefined) callback();
    else this.child.once('exit', () => callback());
  }

  describeExit(): string {
    return ` (${this.exit ?? 'no exit status'})`;
  }
}

/**
 * A daemon started through setsid(1): not our child, known by the pid it
 * reported and recognised by its start time, so that a pid reused after it
 * ended is never signalled.
 */
class OrphanedDaemon implements DaemonProcess {
  pid: number | undefined;
  private startTicks: number | undefined;

  started(pid: number): void {
    this.pid = pid;
    this.startTicks = startTicksOf(pid);
  }

  isRunning(): boolean {
    if (this.pid === undefined || !PidFile.isAlive(this.pid)) return false;
    return this.startTicks === undefined || startTicksOf(this.pid) === this.startTicks;
  }

  kill(signal: NodeJS.Signals): void {
    if (!this.isRunning()) return;
    try {
      process.kill(this.pid!, signal);
    } catch {
      // ended meanwhile
    }
  }

  whenGone(callback: () => void): void {
    const check = (): void => {
      if (this.isRunning()) setTimeout(check, POLL_MS);
      else callback();
    };
    check();
  }

  describeExit(): string {
    return '';
  }
}

function parse(line: string): ReadinessMessage | undefined {
  try {
    const message = JSON.parse(line) as ReadinessMessage;
    return typeof message === 'object' && message !== null && typeof message.type === 'string' ? message : undefined;
  } catch {
    return undefined;
  }
}

function openOutput(path: string, name: string): number | 'ignore' {
  if (!path || path === '/dev/null') return 'ignore';
  try {
    return openDaemonFile(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT, 0o640);
  } catch (error) {
    throw new FrameworkError(`Cannot open the daemon's ${name} file ${path}: ${describeSystemError(error)}.`);
  }
}
