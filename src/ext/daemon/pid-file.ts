/**
 * The daemon's pid file: the decimal pid and a newline, created exclusively,
 * never through a symbolic link, and never visible half-written. A file that
 * does not name its writer — no pid at all, a dead or zombie process, or a
 * process that is not the daemon that wrote it (see `process-identity.ts`) —
 * is stale and may be replaced; of several processes replacing it at once
 * exactly one wins.
 */
import {
  closeSync,
  constants,
  fstatSync,
  linkSync,
  lstatSync,
  openSync,
  readSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { FrameworkError } from '../../core/errors';
import { describeSystemError } from '../../core/system-error';
import {
  bootClock,
  currentProgram,
  existsBySignal,
  isDead,
  judgeHolder,
  readProcess,
  readStat,
  realPath,
  type Program,
} from './process-identity';

const { O_CREAT, O_EXCL, O_NOFOLLOW, O_NONBLOCK, O_RDONLY, O_WRONLY } = constants;

/** A replacement lock older than this was left by a crashed starter and may be broken. */
const LOCK_ABANDONED_AFTER_MS = 10_000;
/** How often a stale file may be judged, removed and raced for before giving up (about a second at most). */
const MAX_ATTEMPTS = 200;
/** The largest pid any system hands out (a signed 32-bit pid_t). */
const MAX_PID = 0x7fffffff;
/** The longest a pid file worth reading can be; anything longer is garbage anyway. */
const MAX_READ_BYTES = 4096;

/** What a pid file holds: its pid when it holds one, and its text as read. */
export interface PidFileContent {
  /** The pid, when the file holds exactly one decimal number. */
  readonly pid?: number;
  /** The file's text (at most 4 KiB of it). */
  readonly raw: string;
  /** When the file was last written, in ms since the epoch. */
  readonly mtimeMs: number;
}

/** What a pid file's content means. */
export type PidFileVerdict =
  | {
      /** The file names the live daemon that wrote it. */
      readonly state: 'held';
      readonly pid: number;
      /** The daemon's start time in clock ticks after boot, to recognise it again later (unknown without /proc). */
      readonly startTicks?: number;
    }
  | {
      /** The file names no live daemon: it may be replaced, and its pid must not be signalled. */
      readonly state: 'stale';
      readonly pid?: number;
      /** Why, for one line: `pid 42 is not running`, `it holds no valid pid`... */
      readonly reason: string;
      /** Whether the pid names a live process (one that is not the daemon). */
      readonly isAlive: boolean;
    };

/**
 * One pid file. Besides the file itself it uses, in the same directory,
 * `<path>.<pid>.tmp` (named after the calling process, written then
 * hard-linked into place, always removed) and `<path>.lock` (held for the few
 * microseconds it takes to replace a stale file). The file is created mode
 * 0644 less the umask, owned by whoever calls `acquire()`.
 */
export class PidFile {
  /**
   * @param path The pid file's absolute path.
   * @param program The program the daemon runs. Default: the one this process runs.
   */
  constructor(
    readonly path: string,
    private readonly program?: Program,
  ) {}

  /**
   * Whether `pid` names a running process: one that exists (even if it belongs
   * to another user) and is not a zombie waiting to be reaped.
   */
  static isAlive(pid: number): boolean {
    if (!Number.isInteger(pid) || pid <= 0 || pid > MAX_PID) return false;
    const stat = readStat(pid);
    if (stat === 'gone') return false;
    if (stat === 'unknown') return existsBySignal(pid);
    return !isDead(stat.state);
  }

  /**
   * Whether `content` names the daemon that wrote it: a live process, not a
   * zombie, that started no later than the file was written and runs the same
   * program. Where /proc cannot tell, liveness alone decides.
   */
  judge(content: PidFileContent): PidFileVerdict {
    const pid = content.pid;
    if (pid === undefined) return { state: 'stale', reason: 'it holds no valid pid', isAlive: false };
    const facts = readProcess(pid);
    if (facts === 'gone') return { state: 'stale', pid, reason: `pid ${pid} is not running`, isAlive: false };
    const clock = facts === 'unknown' ? undefined : bootClock();
    if (facts === 'unknown' || clock === undefined) {
      if (existsBySignal(pid)) return { state: 'held', pid };
      return { state: 'stale', pid, reason: `pid ${pid} is not running`, isAlive: false };
    }
    const verdict = judgeHolder(pid, content.mtimeMs, facts, clock, this.program ?? currentProgram(), realPath);
    if (verdict.isDaemon) return { state: 'held', pid, startTicks: facts.startTicks };
    return { state: 'stale', pid, reason: verdict.reason, isAlive: verdict.isAlive };
  }

  /** Reads the file; `undefined` when there is none. Refuses a symbolic link. */
  read(): PidFileContent | undefined {
    let fd: number;
    try {
      fd = openSync(this.path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return undefined;
      if (code === 'ELOOP') throw this.symlinkError();
      throw new FrameworkError(`Cannot read pid file ${this.path}: ${describe(error, this.path)}`, { cause: error });
    }
    try {
      const stat = fstatSync(fd);
      if (!stat.isFile()) throw new FrameworkError(`Pid file ${this.path} is not a regular file.`);
      const buffer = Buffer.alloc(MAX_READ_BYTES);
      const length = readSync(fd, buffer, 0, buffer.length, 0);
      const raw = buffer.toString('utf8', 0, length);
      const match = /^\s*(\d{1,10})\s*$/.exec(raw);
      const pid = match ? Number(match[1]) : undefined;
      const mtimeMs = stat.mtimeMs;
      return pid !== undefined && pid > 0 && pid <= MAX_PID ? { pid, raw, mtimeMs } : { raw, mtimeMs };
    } finally {
      closeSync(fd);
    }
  }

  /** Refuses to go on when the file names another running daemon, or is a symbolic link. */
  check(): void {
    this.throwIfHeld(this.read(), process.pid);
  }

  /**
   * Writes `pid` to the file, replacing a stale one, or throws `already
   * running` when the file names another running daemon. Resolves to the
   * verdict on the stale file it replaced whose pid named a live process
   * (a reused pid), if any, so that the caller can say so.
   */
  acquire(pid: number = process.pid): PidFileVerdict | undefined {
    let isLockBusy = false;
    let replaced: PidFileVerdict | undefined;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      if (this.tryCreate(pid)) return replaced;
      const content = this.read();
      if (content === undefined) continue;
      if (content.pid === pid) return replaced;
      const verdict = this.throwIfHeld(content, pid);
      if (verdict?.state === 'stale' && verdict.isAlive) replaced = verdict;
      isLockBusy = !this.removeIfStale(pid);
    }
    throw new FrameworkError(
      isLockBusy
        ? `Cannot write pid file ${this.path}: ${this.path}.lock is held by another starter; ` +
          'remove it if no other instance is starting (it is ignored once 10 seconds old).'
        : `Cannot write pid file ${this.path}: it keeps changing; another instance may be starting.`,
    );
  }

  /**
   * Removes the file if it still holds `pid`; returns whether it removed it.
   * Throws a {@link FrameworkError} saying why when the file holds `pid` but
   * cannot be removed (its directory is not writable, for instance).
   */
  release(pid: number = process.pid): boolean {
    let content: PidFileContent | undefined;
    try {
      content = this.read();
    } catch {
      return false;
    }
    if (content?.pid !== pid) return false;
    try {
      unlinkSync(this.path);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw new FrameworkError(`Cannot remove pid file ${this.path}: ${describe(error, this.path)}.`, { cause: error });
    }
  }

  /**
   * Removes the file if it is stale (see {@link judge}). Never throws;
   * returns whether it removed it.
   */
  removeStale(): boolean {
    try {
      if (this.read() === undefined) return false;
      // 0 is never a pid the file can hold, so every stale content is removed.
      return this.removeIfStale(0) && this.read() === undefined;
    } catch {
      return false;
    }
  }

  /**
   * Creates the file complete or not at all: a private temporary file is
   * written and then hard-linked into place, and `link` neither replaces an
   * existing path nor follows a symbolic link there.
   */
  private tryCreate(pid: number): boolean {
    const temporary = `${this.path}.${process.pid}.tmp`;
    const fd = this.createExclusive(temporary, 0o644);
    try {
      try {
        writeSync(fd, `${pid}\n`);
      } finally {
        closeSync(fd);
      }
      linkSync(temporary, this.path);
      return true;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return false;
      if (code === 'EPERM' && (error as NodeJS.ErrnoException).syscall === 'link') {
        throw new FrameworkError(
          `Cannot write pid file ${this.path}: the file system does not support hard links; choose another directory.`,
          { cause: error },
        );
      }
      throw this.writeError(error);
    } finally {
      unlinkQuietly(temporary);
    }
  }

  /** Opens a new file exclusively; a leftover of a dead process with this pid is removed first. */
  private createExclusive(file: string, mode: number): number {
    const flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW;
    try {
      return openSync(file, flags, mode);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw this.writeError(error);
    }
    unlinkQuietly(file);
    try {
      return openSync(file, flags, mode);
    } catch (error) {
      throw this.writeError(error);
    }
  }

  /**
   * Removes a stale file under a short lock, judging it again there, so only
   * one replacer removes it. Returns false when another process held the lock.
   */
  private removeIfStale(pid: number): boolean {
    if (!this.lock()) return false;
    try {
      const content = this.read();
      if (content !== undefined && content.pid !== pid) {
        this.throwIfHeld(content, pid);
        try {
          unlinkSync(this.path);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw this.writeError(error);
        }
      }
      return true;
    } finally {
      unlinkQuietly(`${this.path}.lock`);
    }
  }

  /** Takes the replacement lock, or waits a moment and returns false when another process holds it. */
  private lock(): boolean {
    const lockPath = `${this.path}.lock`;
    try {
      closeSync(openSync(lockPath, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600));
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw this.writeError(error);
    }
    try {
      if (Date.now() - lstatSync(lockPath).mtimeMs > LOCK_ABANDONED_AFTER_MS) unlinkQuietly(lockPath);
    } catch {
      // released meanwhile
    }
    sleep(5);
    return false;
  }

  /** Throws `already running` when the file names a running daemon other than `pid`; else returns the verdict. */
  private throwIfHeld(content: PidFileContent | undefined, pid: number): PidFileVerdict | undefined {
    if (content === undefined || content.pid === pid) return undefined;
    const verdict = this.judge(content);
    if (verdict.state === 'held') throw new FrameworkError(`already running (pid ${verdict.pid}, ${this.path})`);
    return verdict;
  }

  private symlinkError(): FrameworkError {
    return new FrameworkError(`Pid file ${this.path} is a symbolic link; refusing to use it.`);
  }

  private writeError(error: unknown): FrameworkError {
    if (error instanceof FrameworkError) return error;
    return new FrameworkError(`Cannot write pid file ${this.path}: ${describe(error, this.path)}`, { cause: error });
  }
}

function describe(error: unknown, path: string): string {
  switch ((error as NodeJS.ErrnoException).code) {
    case 'ENOENT':
      return `directory ${dirname(path)} does not exist`;
    case 'ENOTDIR':
      return `a component of ${dirname(path)} is not a directory`;
    default:
      return describeSystemError(error);
  }
}

function unlinkQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // already gone, or never created
  }
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

function sleep(milliseconds: number): void {
  Atomics.wait(sleeper, 0, 0, milliseconds);
}
