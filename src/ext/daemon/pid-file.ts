/**
 * The daemon's pid file: the decimal pid and a newline, created exclusively,
 * never through a symbolic link, and never visible half-written. The daemon
 * keeps it open (an `O_PATH` descriptor, which cannot even read it) for its
 * lifetime, from before the file appears under its name until after it is
 * removed: a process *is the daemon* when it holds that very file (same
 * device and inode among `/proc/<pid>/fd`), which no clock, `touch`, copy or
 * entry point changes and no reused pid fakes.
 *
 * A file that names no live holder — no pid at all, a dead or zombie process,
 * or a process proven not to hold it — is stale and may be replaced; of
 * several processes replacing it at once exactly one wins. Where the named
 * process's descriptors cannot be read (another user's, or one that switched
 * user), its start time and program are the evidence, and evidence that does
 * not decide is a refusal, never "stale".
 */
import { closeSync, constants, existsSync, fstatSync, lstatSync, readSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { FrameworkError } from '../../core/errors';
// After a change of root ([daemon] chroot) the file is reached by its path inside it.
import { pathInRoot } from '../../core/process-root';
// As root, every open, link and unlink goes through the verified directory (safe-files.ts).
import {
  linkDaemonFile as linkSync,
  openDaemonFile as openSync,
  unlinkDaemonFile as unlinkSync,
  UnsafePathError,
} from '../../core/safe-files';
import { describeSystemError } from '../../core/system-error';
import {
  bootClock,
  currentProgram,
  describeCommand,
  existsBySignal,
  findHolder,
  HOLD_FLAG,
  holdsFile,
  isDead,
  readProcess,
  readStat,
  realPath,
  startTicksOf,
  weighEvidence,
  type Program,
} from './process-identity';

const { O_CREAT, O_EXCL, O_NOFOLLOW, O_NONBLOCK, O_RDONLY, O_WRONLY } = constants;

/** A replacement lock older than this was left by a crashed starter and may be broken. */
const LOCK_ABANDONED_AFTER_MS = 10_000;
/** How often a stale file may be judged, removed and raced for before giving up (about a second on an idle machine). */
const MAX_ATTEMPTS = 200;
/**
 * How long those attempts may take at most, in ms: judging a stale file may
 * read the descriptors of every Node process, which on a loaded machine makes
 * 200 attempts last long enough for a waiting starter to break a fresh lock.
 */
const GIVE_UP_AFTER_MS = 2_000;
/** The largest pid any system hands out (a signed 32-bit pid_t). */
const MAX_PID = 0x7fffffff;
/** How long a search that found no process holding a file is trusted (see `PidFile.unlessHeldElsewhere`). */
const UNHELD_MEMORY_MS = 1000;
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
  /** The file's device, which with its inode is what the daemon holds open. */
  readonly dev: bigint;
  /** The file's inode. */
  readonly ino: bigint;
}

/** What a pid file's content means. */
export type PidFileVerdict =
  | {
      /** A live process holds the file: the daemon. */
      readonly state: 'held';
      /** The daemon's pid, as this process sees it. */
      readonly pid: number;
      /** The daemon's start time in clock ticks after boot, to recognise it again later. */
      readonly startTicks?: number;
      /**
       * Whether the daemon was seen holding the file. False when its
       * descriptors could not be read and its start time and program were the
       * evidence: enough to refuse a second start, not to signal it.
       */
      readonly isVerified: boolean;
      /**
       * The pid the file names, when the holder is another process: a file
       * written in another pid namespace (a container), whose pid means
       * nothing here.
       */
      readonly writtenPid?: number;
    }
  | {
      /** A live process the file names may be the daemon, and this process cannot tell: refuse, remove nothing. */
      readonly state: 'unverified';
      readonly pid: number;
      /** One line: `pid 42 (node main.js) may be myapp's daemon; cannot verify as this user: run as root or remove <path>`. */
      readonly reason: string;
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
  /** The descriptor this process holds the file by, once it has acquired it. */
  private held: number | undefined;
  /** The file last found held by no process at all, and when: the search of every process is not repeated for a second. */
  private unheld: { readonly dev: bigint; readonly ino: bigint; readonly atMs: number } | undefined;

  /**
   * @param path The pid file's absolute path.
   * @param options.program The program the daemon runs. Default: the one this process runs.
   * @param options.name Whose daemon, for messages (`myapp's daemon`). Default: `the`.
   */
  constructor(
    readonly path: string,
    private readonly options: { readonly program?: Program; readonly name?: string } = {},
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
   * What `content` (read from this file) means. `held`: the process it names
   * holds this very file open, or — where its descriptors cannot be read —
   * runs the same program and started before the file was written; also when
   * another process of the program holds it (a file written in another pid
   * namespace). `stale`: no pid, a dead or zombie process, or a process proven
   * not to be the daemon (it does not hold the file, or runs another
   * program). `unverified`: anything else.
   */
  judge(content: PidFileContent): PidFileVerdict {
    const pid = content.pid;
    if (pid === undefined) return { state: 'stale', reason: 'it holds no valid pid', isAlive: false };
    for (let attempt = 0; attempt < 4; attempt++) {
      const before = readStat(pid);
      if (before === 'gone')
        return this.unlessHeldElsewhere(content, {
          state: 'stale',
          pid,
          reason: `pid ${pid} is not running`,
          isAlive: false,
        });
      if (before !== 'unknown' && isDead(before.state)) {
        return this.unlessHeldElsewhere(content, {
          state: 'stale',
          pid,
          reason: `pid ${pid} has exited (a zombie)`,
          isAlive: false,
        });
      }
      if (before === 'unknown') {
        if (!existsBySignal(pid)) return { state: 'stale', pid, reason: `pid ${pid} is not running`, isAlive: false };
        // /proc is missing, or hides other users' processes (hidepid).
        return this.unverified(pid, undefined, existsSync('/proc/self/stat') ? 'as this user' : 'without /proc');
      }
      const holds = holdsFile(pid, content);
      // The process that was read is the one whose descriptors were: a pid reused meanwhile is read again.
      if (holds === 'gone' || startTicksOf(pid) !== before.startTicks) continue;
      if (holds === true) return { state: 'held', pid, startTicks: before.startTicks, isVerified: true };
      const facts = readProcess(pid);
      if (typeof facts !== 'object') continue;
      if (holds === false) {
        const reason = `pid ${pid} (${describeCommand(facts)}) does not hold the pid file`;
        return this.unlessHeldElsewhere(content, { state: 'stale', pid, reason, isAlive: true });
      }
      const evidence = weighEvidence(pid, content.mtimeMs, facts, bootClock(), this.program, realPath);
      if (evidence.evidence === 'another-program')
        return { state: 'stale', pid, reason: evidence.reason, isAlive: true };
      if (evidence.evidence === 'daemon')
        return { state: 'held', pid, startTicks: facts.startTicks, isVerified: false };
      return this.unverified(pid, facts, 'as this user');
    }
    return this.unverified(pid, undefined, 'while its pid keeps changing hands');
  }

  /** Reads the file; `undefined` when there is none. Refuses a symbolic link. */
  read(): PidFileContent | undefined {
    let fd: number;
    try {
      fd = openSync(this.path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return undefined;
      if (code === 'ELOOP' || (error instanceof UnsafePathError && error.isSymbolicLink)) throw this.symlinkError();
      throw new FrameworkError(`Cannot read pid file ${this.path}: ${describe(error, this.path)}`, { cause: error });
    }
    try {
      const stat = fstatSync(fd, { bigint: true });
      if (!stat.isFile()) throw new FrameworkError(`Pid file ${this.path} is not a regular file.`);
      const buffer = Buffer.alloc(MAX_READ_BYTES);
      const length = readSync(fd, buffer, 0, buffer.length, 0);
      const raw = buffer.toString('utf8', 0, length);
      const match = /^\s*(\d{1,10})\s*$/.exec(raw);
      const pid = match ? Number(match[1]) : undefined;
      const file = { raw, mtimeMs: Number(stat.mtimeMs), dev: stat.dev, ino: stat.ino };
      return pid !== undefined && pid > 0 && pid <= MAX_PID ? { pid, ...file } : file;
    } finally {
      closeSync(fd);
    }
  }

  /** Refuses to go on when the file names another running daemon (or may), or is a symbolic link. */
  check(): void {
    this.throwIfHeld(this.read(), process.pid);
  }

  /**
   * Writes `pid` to the file, replacing a stale one, or throws `already
   * running` when the file names another running daemon (and the one-line
   * refusal when it may). With this process's own pid, the file is then held
   * open until {@link release}, which is what makes this process the daemon.
   * Returns the verdict on the stale file it replaced whose pid named a live
   * process (a reused pid), if any, so that the caller can say so.
   */
  acquire(pid: number = process.pid): PidFileVerdict | undefined {
    let isLockBusy = false;
    let replaced: PidFileVerdict | undefined;
    const deadline = performance.now() + GIVE_UP_AFTER_MS;
    for (let attempt = 0; attempt < MAX_ATTEMPTS && (attempt === 0 || performance.now() < deadline); attempt++) {
      if (this.tryCreate(pid)) return replaced;
      const content = this.read();
      if (content === undefined) continue;
      if (content.pid === pid) {
        if (pid === process.pid && this.held === undefined) this.hold(this.openToHold());
        return replaced;
      }
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
   * Then lets go of the file if this process held it (only once it is gone
   * from its name, so that it never names this live process unheld).
   * Throws a {@link FrameworkError} saying why when the file holds `pid` but
   * cannot be removed (its directory is not writable, for instance).
   */
  release(pid: number = process.pid): boolean {
    try {
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
        throw new FrameworkError(`Cannot remove pid file ${this.path}: ${describe(error, this.path)}.`, {
          cause: error,
        });
      }
    } finally {
      if (pid === process.pid) this.hold(undefined);
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
   * existing path nor follows a symbolic link there. With this process's own
   * pid, the file is held open before it is linked, so it never names this
   * process without being held by it.
   */
  private tryCreate(pid: number): boolean {
    const temporary = `${this.path}.${process.pid}.tmp`;
    const fd = this.createExclusive(temporary, 0o644);
    let holder: number | undefined;
    try {
      try {
        writeSync(fd, `${pid}\n`);
        if (pid === process.pid) holder = openSync(temporary, HOLD_FLAG | O_NOFOLLOW);
      } finally {
        closeSync(fd);
      }
      linkSync(temporary, this.path);
      this.hold(holder);
      holder = undefined;
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
      if (holder !== undefined) closeSync(holder);
      unlinkQuietly(temporary);
    }
  }

  /** Keeps `fd` as the descriptor this process holds the file by, closing the one it held before. */
  private hold(fd: number | undefined): void {
    const previous = this.held;
    this.held = fd;
    if (previous !== undefined && previous !== fd) {
      try {
        closeSync(previous);
      } catch {
        // already closed
      }
    }
  }

  /** Opens the file to hold it (see `HOLD_FLAG`). */
  private openToHold(): number {
    let fd: number;
    try {
      fd = openSync(this.path, HOLD_FLAG | O_NOFOLLOW);
    } catch (error) {
      throw this.writeError(error);
    }
    // O_PATH with O_NOFOLLOW opens a symbolic link itself rather than failing.
    if (!fstatSync(fd).isFile()) {
      closeSync(fd);
      throw this.symlinkError();
    }
    return fd;
  }

  private get program(): Program {
    return this.options.program ?? currentProgram();
  }

  /**
   * `verdict`, unless another live process of the program holds the file: the
   * daemon as this pid namespace sees it, the file having been written in
   * another one (or rewritten with another pid). Never "stale" for a file a
   * live daemon holds, so a host's `stop` never removes a container's file.
   */
  private unlessHeldElsewhere(content: PidFileContent, verdict: PidFileVerdict): PidFileVerdict {
    const { dev, ino } = content;
    const unheld = this.unheld;
    if (unheld !== undefined && unheld.dev === dev && unheld.ino === ino && Date.now() - unheld.atMs < UNHELD_MEMORY_MS)
      return verdict;
    const holder = findHolder(content, this.program, content.pid ?? 0);
    if (holder === undefined) {
      // acquire() judges a file again on each of its attempts while another starter holds the lock.
      this.unheld = { dev, ino, atMs: Date.now() };
      return verdict;
    }
    // Once the file is gone from its name its inode number may already be another file's, held by someone else.
    if (!this.stillNames(content)) return verdict;
    const stat = readStat(holder);
    return {
      state: 'held',
      pid: holder,
      startTicks: typeof stat === 'object' ? stat.startTicks : undefined,
      isVerified: true,
      writtenPid: content.pid,
    };
  }

  /** Whether the path still names the file `content` was read from (same device and inode). */
  private stillNames(content: PidFileContent): boolean {
    const stat = lstatSync(pathInRoot(this.path), { bigint: true, throwIfNoEntry: false });
    return stat !== undefined && stat.dev === content.dev && stat.ino === content.ino;
  }

  private unverified(
    pid: number,
    facts: Parameters<typeof describeCommand>[0] | undefined,
    how: string,
  ): PidFileVerdict {
    const who = facts ? `pid ${pid} (${describeCommand(facts)})` : `pid ${pid}`;
    const whose = this.options.name ? `${this.options.name}'s` : 'the';
    return {
      state: 'unverified',
      pid,
      reason: `${who} may be ${whose} daemon; cannot verify ${how}: run as root or remove ${this.path}`,
    };
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
      if (Date.now() - lstatSync(pathInRoot(lockPath)).mtimeMs > LOCK_ABANDONED_AFTER_MS) unlinkQuietly(lockPath);
    } catch {
      // released meanwhile
    }
    sleep(5);
    return false;
  }

  /**
   * Throws `already running` when the file names a running daemon other than
   * `pid`, and the one-line refusal when it may; else returns the verdict.
   */
  private throwIfHeld(content: PidFileContent | undefined, pid: number): PidFileVerdict | undefined {
    if (content === undefined || content.pid === pid) return undefined;
    const verdict = this.judge(content);
    if (verdict.state === 'held') throw new FrameworkError(`already running (pid ${verdict.pid}, ${this.path})`);
    if (verdict.state === 'unverified') throw new FrameworkError(verdict.reason);
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
