import { closeSync, constants, fstatSync, openSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { FrameworkError } from './errors';
import { pathInRoot } from './process-root';
import { openDaemonFile } from './safe-files';
import { describeSystemError } from './system-error';

/** Size-based rotation, as Python's `RotatingFileHandler` (Cement's `[log] rotate`) does it. */
export interface LogRotation {
  /** A line that would bring the file to this many bytes or more first moves it to `<file>.1`. */
  maxBytes: number;
  /** How many moved files are kept: `<file>.1` (newest) … `<file>.<maxFiles>`. */
  maxFiles: number;
}

/** A problem with the log file worth one line on the console: `error` when it starts, `warning` when it is over. */
export type LogFileReport = (level: 'error' | 'warning', message: string) => void;

/** How long a process waits for another to finish rotating before it gives up for now. */
const LOCK_WAIT_MS = 2000;
/** A lock file this old was left by a process that died while rotating. */
const STALE_LOCK_MS = 10_000;
/** How long after a failed rotation the next attempt waits. */
const ROTATION_RETRY_MS = 1000;

/**
 * Opens a log file for appending, creating it without group write or any
 * access for others. Every log file mortar opens is opened here; as root,
 * refusing what another user could redirect (safe-files.ts).
 */
export function openLogFile(path: string): number {
  try {
    return openDaemonFile(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT, 0o640);
  } catch (error) {
    throw new FrameworkError(`Cannot open log file ${path}: ${describeSystemError(error)}.`);
  }
}

/**
 * An open log file: appends whole lines (each in one `write`, which a file
 * opened for appending never interleaves with another process's), rotates
 * it, reopens it, and reports a failing disk once per episode.
 *
 * Several processes may write and rotate one file. A rotation happens under
 * a lock file (`<file>.lock`, created exclusively), after checking that the
 * file at the path is still the one this process writes to; a process that
 * finds another rotated it opens the new file instead. The size is read from
 * the disk at most once a millisecond and counted in between, so that
 * rotation costs no system call per line.
 */
export class LogFile {
  /** Bytes in the file: as last read from the disk, plus what this process wrote since. */
  private size = 0;
  /** The open file's device and inode, to tell whether the path still names it. */
  private dev = 0;
  private ino = 0;
  /** The millisecond `size` was last read from the disk. */
  private syncedAt = Number.NaN;
  /** Why writing fails, during an episode of failing writes. */
  private writeFailure: string | undefined;
  private dropped = 0;
  /** Why rotating fails, during an episode of failing rotations. */
  private rotationFailure: string | undefined;
  private rotationRetryAt = 0;

  private fd = -1;

  private constructor(
    readonly path: string,
    fd: number,
    private rotation: LogRotation | undefined,
    private readonly report: LogFileReport,
  ) {
    this.adopt(fd);
  }

  /** Opens the file at `path`; throws a {@link FrameworkError} naming it when it cannot. */
  static open(path: string, rotation: LogRotation | undefined, report: LogFileReport): LogFile {
    return new LogFile(path, openLogFile(path), rotation, report);
  }

  /** Changes the rotation (`undefined`: none) of the open file. */
  setRotation(rotation: LogRotation | undefined): void {
    this.rotation = rotation;
  }

  /** Appends text (whole lines), rotating first when it would fill the file; `now` is the line's time in ms. */
  write(text: string, now: number): void {
    const { rotation } = this;
    if (rotation) {
      if (now !== this.syncedAt) this.resync(now);
      if (this.size > 0 && this.size + text.length >= rotation.maxBytes && now >= this.rotationRetryAt)
        this.rotate(rotation, text.length, now);
    }
    let written: number;
    try {
      written = writeSync(this.fd, text);
    } catch (error) {
      this.writeFailed(error);
      return;
    }
    this.size += written;
    if (this.writeFailure !== undefined) this.writeRecovered();
  }

  /**
   * Opens the file at the path again and writes there from now on (after
   * logrotate renamed it). Throws a {@link FrameworkError} when it cannot; the old file stays in use.
   */
  reopen(): void {
    this.adopt(openLogFile(this.path));
  }

  /** Closes the file. */
  close(): void {
    try {
      closeSync(this.fd);
    } catch {
      // already closed: nothing left to release
    }
  }

  /**
   * Reads the size from the disk (one `stat` of the path), and follows the
   * path when another process has rotated the file.
   */
  private resync(now: number): void {
    this.syncedAt = now;
    try {
      const onDisk = statSync(pathInRoot(this.path), { throwIfNoEntry: false });
      // renamed away and not replaced yet (logrotate before its SIGHUP): go on counting
      if (!onDisk) return;
      if (onDisk.ino !== this.ino || onDisk.dev !== this.dev) this.adopt(openLogFile(this.path));
      else this.size = onDisk.size;
    } catch {
      // the counted size stays: the next millisecond tries again, and a rotation reports its own failure
    }
  }

  /** Moves `<file>.N` to `<file>.N+1` … `<file>` to `<file>.1` and opens a new `<file>`, under the lock. */
  private rotate(rotation: LogRotation, length: number, now: number): void {
    let lockPath = `${this.path}.lock`;
    let lock: number | undefined;
    try {
      // After a change of root (`[daemon] chroot`) the file is reached by its path inside it.
      const at = pathInRoot(this.path);
      lockPath = `${at}.lock`;
      lock = acquireLock(lockPath);
      // Under the lock, the truth from the disk: another process may have rotated already.
      const onDisk = statSync(at, { throwIfNoEntry: false });
      if (!onDisk || onDisk.ino !== this.ino || onDisk.dev !== this.dev) this.adopt(openLogFile(this.path));
      else this.size = onDisk.size;
      if (this.size > 0 && this.size + length >= rotation.maxBytes) {
        for (let index = rotation.maxFiles - 1; index >= 1; index--)
          renameIfPresent(`${at}.${index}`, `${at}.${index + 1}`);
        renameSync(at, `${at}.1`);
        this.adopt(openLogFile(this.path));
      }
      if (this.rotationFailure !== undefined) {
        this.rotationFailure = undefined;
        this.report('warning', `rotating the log file ${this.path} works again`);
      }
    } catch (error) {
      this.rotationRetryAt = now + ROTATION_RETRY_MS;
      if (this.rotationFailure === undefined) {
        this.rotationFailure = reason(error);
        this.report(
          'error',
          `cannot rotate the log file ${this.path}: ${this.rotationFailure}; logging goes on in the file as it is`,
        );
      }
    } finally {
      if (lock !== undefined) releaseLock(lock, lockPath);
    }
  }

  /** Writes to `fd` from now on (closing the file in use), with its identity and size. */
  private adopt(fd: number): void {
    let dev = 0;
    let ino = 0;
    let size = 0;
    try {
      ({ dev, ino, size } = fstatSync(fd));
    } catch {
      // unknown identity: the next check of the path reopens it
    }
    if (this.fd >= 0) this.close();
    this.fd = fd;
    this.dev = dev;
    this.ino = ino;
    this.size = size;
  }

  private writeFailed(error: unknown): void {
    this.dropped++;
    if (this.writeFailure !== undefined) return;
    this.writeFailure = reason(error);
    this.report(
      'error',
      `cannot write to the log file ${this.path}: ${this.writeFailure}; log lines are dropped until it can be written again`,
    );
  }

  private writeRecovered(): void {
    const { dropped } = this;
    this.writeFailure = undefined;
    this.dropped = 0;
    this.report(
      'warning',
      `the log file ${this.path} is written again; ${dropped} line${dropped === 1 ? ' was' : 's were'} dropped`,
    );
  }
}

function reason(error: unknown): string {
  return error instanceof FrameworkError ? error.message.replace(/\.$/, '') : describeSystemError(error);
}

function renameIfPresent(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

const pause = new Int32Array(new SharedArrayBuffer(4));

/** Creates the lock file exclusively, waiting while another process holds it; breaks a stale one. */
function acquireLock(lockPath: string): number {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      return openSync(lockPath, 'wx', 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const held = statSync(lockPath, { throwIfNoEntry: false });
    if (held && Date.now() - held.mtimeMs > STALE_LOCK_MS) {
      try {
        unlinkSync(lockPath);
      } catch {
        // another process broke it first
      }
      continue;
    }
    if (Date.now() > deadline) throw new FrameworkError(`another process has held ${lockPath} for ${LOCK_WAIT_MS} ms`);
    Atomics.wait(pause, 0, 0, 1);
  }
}

function releaseLock(fd: number, lockPath: string): void {
  try {
    closeSync(fd);
    unlinkSync(lockPath);
  } catch {
    // a lock file left behind is broken as stale by the next rotation
  }
}
