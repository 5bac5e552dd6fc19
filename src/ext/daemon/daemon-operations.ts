/**
 * Operating a running daemon from another process, found by its pid file:
 * `status()`, `stop()` and `reload()` (`myapp daemon status|stop|reload`).
 * A process is signalled only when it is seen holding the file, and only if
 * it is still that same process the moment the signal goes.
 */
import { FrameworkError } from '../../core/errors';
import type { Logger } from '../../core/logger';
import { lazy } from '../../core/lazy';
import type { PidFile, PidFileVerdict } from './pid-file';

/** The parts only an operation needs, loaded on first use. */
const part = {
  pidFile: lazy<typeof import('./pid-file')>(require, './pid-file'),
  processIdentity: lazy<typeof import('./process-identity')>(require, './process-identity'),
};

/** What `status()` finds. */
export interface DaemonStatus {
  /**
   * `running`: a live process holds the pid file (the daemon keeps it open);
   * `stale`: the file names no such process (no valid pid, a dead process, or
   * one proven not to hold it: see docs/daemon.md, "Pid file and identity");
   * `unknown`: it names a live process that may be the daemon, and this user
   * cannot tell; `stopped`: there is no pid file.
   */
  readonly state: 'running' | 'stopped' | 'stale' | 'unknown';
  /** The daemon's pid (with `running`), or the pid the file names. */
  readonly pid?: number;
  /** The pid file's path. */
  readonly pidFile: string;
  /**
   * One line: why the file is stale (`pid 42 is not running`), why the state
   * is unknown, or, with `running`, how the daemon was recognised when not by
   * seeing it hold the file.
   */
  readonly reason?: string;
}

/** Options of `stop()`. */
export interface StopOptions {
  /** How long to wait after SIGTERM before sending SIGKILL, in ms. Default: 10000. */
  timeout?: number;
}

/** What `stop()` did. */
export interface StopResult {
  /**
   * `stopped`: it ended after SIGTERM; `killed`: it needed SIGKILL;
   * `not-running`: there was no pid file; `stale`: the pid file named no
   * running daemon, so nothing was signalled (and the file was removed).
   */
  readonly outcome: 'stopped' | 'killed' | 'not-running' | 'stale';
  /** The pid the file named, when it named one. */
  readonly pid?: number;
  /** Whether `stop()` removed a pid file the daemon left behind (or a stale one). */
  readonly removedPidFile: boolean;
  /** Why the file was stale, for one line (`pid 1 is another program (/sbin/init)`); only with `stale`. */
  readonly reason?: string;
  /** With `stale`: whether its pid named a live process, which was left alone. */
  readonly isPidAlive?: boolean;
}

/** Whose daemon is operated: the app's label names it in messages; debug lines go to its log. */
export interface Operator {
  readonly label: string;
  readonly log: Logger;
}

type Held = Extract<PidFileVerdict, { state: 'held' }>;

const NAMESPACE = 'ext.daemon';
const POLL_MS = 25;

/** Reads the pid file: is the daemon running? */
export function daemonStatus(pidFile: PidFile): DaemonStatus {
  const content = pidFile.read();
  if (!content) return { state: 'stopped', pidFile: pidFile.path };
  const verdict = pidFile.judge(content);
  const path = pidFile.path;
  switch (verdict.state) {
    case 'held':
      return { state: 'running', pid: verdict.pid, pidFile: path, reason: describeRecognition(verdict, path) };
    case 'unverified':
      return { state: 'unknown', pid: verdict.pid, pidFile: path, reason: verdict.reason };
    default:
      return { state: 'stale', pid: content.pid, pidFile: path, reason: verdict.reason };
  }
}

/** Stops the daemon the pid file names: see `DaemonService.stop()`. */
export async function stopDaemon(pidFile: PidFile, operator: Operator, options: StopOptions = {}): Promise<StopResult> {
  const timeout = options.timeout ?? 10_000;
  const content = pidFile.read();
  if (!content) return { outcome: 'not-running', removedPidFile: false };
  const verdict = pidFile.judge(content);
  if (verdict.state === 'stale') {
    operator.log.debug(
      `pid file ${pidFile.path} is stale (${verdict.reason}): removing it, signalling nothing`,
      NAMESPACE,
    );
    return {
      outcome: 'stale',
      pid: verdict.pid,
      removedPidFile: pidFile.removeStale(),
      reason: verdict.reason,
      isPidAlive: verdict.isAlive,
    };
  }
  const held = signallable(verdict, operator, pidFile.path, `run as root or as its user, or remove ${pidFile.path}`);
  const { pid } = held;
  const written = held.writtenPid ?? pid;
  // Seen holding the file just now; from here on it is recognised by its start time, which a reused pid does not share.
  const isStillDaemon = (): boolean => sameProcess(pid, held);
  if (!signalDaemon(pid, 'SIGTERM', isStillDaemon)) return stopped(pidFile, written, pid, 'stopped', 0);
  operator.log.debug(`sent SIGTERM to pid ${pid}; waiting up to ${timeout} ms`, NAMESPACE);
  if (await waitFor(() => !isStillDaemon(), timeout)) return stopped(pidFile, written, pid, 'stopped', 1_000);
  operator.log.debug(`pid ${pid} is still running: sending SIGKILL`, NAMESPACE);
  if (!signalDaemon(pid, 'SIGKILL', isStillDaemon)) return stopped(pidFile, written, pid, 'stopped', 1_000);
  if (!(await waitFor(() => !isStillDaemon(), 5_000))) {
    throw new FrameworkError(`The daemon (pid ${pid}) did not end even after SIGKILL.`);
  }
  return stopped(pidFile, written, pid, 'killed', 0);
}

/** Sends SIGHUP to the daemon the pid file names: see `DaemonService.reload()`. */
export function reloadDaemon(
  pidFile: PidFile,
  operator: Operator,
): DaemonStatus & { state: 'running' | 'stopped' | 'stale' } {
  const content = pidFile.read();
  if (!content) return { state: 'stopped', pidFile: pidFile.path };
  const verdict = pidFile.judge(content);
  if (verdict.state === 'stale')
    return { state: 'stale', pid: content.pid, pidFile: pidFile.path, reason: verdict.reason };
  const held = signallable(verdict, operator, pidFile.path, 'run as root or as its user');
  if (!signalDaemon(held.pid, 'SIGHUP', () => sameProcess(held.pid, held)))
    return { state: 'stopped', pidFile: pidFile.path };
  return { state: 'running', pid: held.pid, pidFile: pidFile.path };
}

/**
 * The verdict of a process that may be signalled: one seen holding the file.
 * A process that may be the daemon but is not seen holding it is refused with
 * one line ending in `remedy`: it is never signalled on a guess.
 */
function signallable(
  verdict: Exclude<PidFileVerdict, { state: 'stale' }>,
  operator: Operator,
  path: string,
  remedy: string,
): Held {
  if (verdict.state === 'unverified') throw new FrameworkError(verdict.reason);
  if (!verdict.isVerified) {
    throw new FrameworkError(
      `pid ${verdict.pid} looks like ${operator.label}'s daemon (${describeRecognition(verdict, path)}), ` +
        `but is not signalled on that evidence: ${remedy}`,
    );
  }
  return verdict;
}

/**
 * How a running daemon was recognised, when not simply by seeing the pid it
 * names hold the file: undefined then.
 */
function describeRecognition(verdict: Held, path: string): string | undefined {
  if (verdict.writtenPid !== undefined) {
    return `the pid file says ${verdict.writtenPid}, written in another pid namespace; pid ${verdict.pid} holds ${path}`;
  }
  if (!verdict.isVerified) {
    return `not verified: its open files cannot be read as this user, so its start time and program were the evidence`;
  }
  return undefined;
}

/** What `stop()` resolves to once the daemon is gone, removing the pid file (naming `written`) it may have left. */
async function stopped(
  pidFile: PidFile,
  written: number,
  pid: number,
  outcome: 'stopped' | 'killed',
  graceMs: number,
): Promise<StopResult> {
  // A daemon that stopped cleanly removed its own pid file; give it a moment to finish doing so.
  await waitFor(() => pidFile.read()?.pid !== written, graceMs);
  return { outcome, pid, removedPidFile: pidFile.release(written) };
}

/** Signals the daemon if it still is the daemon; returns whether the signal was sent. */
function signalDaemon(pid: number, signal: NodeJS.Signals, isStillDaemon: () => boolean): boolean {
  if (!isStillDaemon()) return false;
  try {
    process.kill(pid, signal);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') return false;
    throw new FrameworkError(
      `Cannot send ${signal} to the daemon (pid ${pid}): ${code === 'EPERM' ? 'operation not permitted; run as its user or as root' : (error as Error).message}.`,
    );
  }
}

/** Whether `pid` is still the live process the verdict found (same start time, when known). */
function sameProcess(pid: number, verdict: Held): boolean {
  if (!part.pidFile().PidFile.isAlive(pid)) return false;
  return verdict.startTicks === undefined || part.processIdentity().startTicksOf(pid) === verdict.startTicks;
}

async function waitFor(condition: () => boolean, timeout: number): Promise<boolean> {
  const deadline = Date.now() + timeout;
  while (!condition()) {
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  return true;
}
