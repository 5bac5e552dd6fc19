/**
 * Paths a process running as root must not let another local user redirect:
 * the files it opens, creates or removes for a daemon (log file, `[daemon]
 * stdout`/`stderr`, pid and lock files), and the config files and plugins it
 * reads (see docs/security.md).
 *
 * Every directory from `/` down is opened one at a time, never through a
 * symbolic link another user owns, and checked on its descriptor: owned by a
 * trusted account and writable by no one else, unless sticky (`/tmp`), where
 * no one can rename or replace what a trusted account owns. The file itself
 * is then opened relative to the verified directory, through
 * `/proc/self/fd/<fd>/<name>`, which the kernel resolves to that very
 * directory (Node has no `openat`), with `O_NOFOLLOW`, and checked with
 * `fstat`. Trusted accounts: root and the effective user, and for daemon
 * files the daemon's `[daemon] user`/`group` as well.
 *
 * The checks apply only while the effective user is root, the one account
 * whose files another user could gain from: an unprivileged program reads and
 * writes as its own user, with the permissions that user already has, and its
 * ordinary use (a symlinked log file, a group-shared directory) goes on as before.
 */
import {
  closeSync,
  constants,
  existsSync,
  fstatSync,
  linkSync,
  lstatSync,
  openSync,
  readlinkSync,
  unlinkSync,
  type Stats,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { FrameworkError } from './errors';
import { pathInRoot, processRoot, type ProcessRoot } from './process-root';

const { O_DIRECTORY, O_NOCTTY, O_NOFOLLOW, O_NONBLOCK, O_RDONLY, O_WRONLY, O_RDWR } = constants;
/**
 * Linux's `O_PATH` (Node does not export it): a directory is opened only to be
 * checked and looked into, which needs no read permission on it.
 */
const O_PATH = process.platform === 'linux' ? 0o10000000 : 0;
/** As many symbolic links as Linux follows in one path. */
const MAX_SYMLINKS = 40;

/** An account besides root and the effective user that may own what root opens for a daemon. */
export interface DaemonAccount {
  readonly uid: number;
  readonly gid: number;
}

/** A path refused by the checks; its message is the reason, for callers' `Cannot open X: <reason>` lines. */
export class UnsafePathError extends FrameworkError {
  /** Whether the path itself is a symbolic link (which `O_NOFOLLOW` refused). */
  readonly isSymbolicLink: boolean;

  constructor(message: string, options: { isSymbolicLink?: boolean } = {}) {
    super(message);
    this.isSymbolicLink = options.isSymbolicLink ?? false;
  }
}

let daemonAccount: (() => DaemonAccount | undefined) | undefined;
let hasProcFd: boolean | undefined;
/** The root `hasProcFd` was found under. */
let procFdRoot: ProcessRoot | undefined;

/**
 * Names the daemon's account (`[daemon] user`/`group`), asked only when a daemon
 * file or directory belongs to neither root nor the effective user; `undefined` forgets it.
 */
export function setDaemonAccount(provider: (() => DaemonAccount | undefined) | undefined): void {
  daemonAccount = provider;
}

/** Whether the checks apply: the effective user is root. */
export function isGuarded(): boolean {
  return process.geteuid?.() === 0;
}

/**
 * Opens a file root uses for a daemon. As root: every directory of its path
 * verified, the file itself never a symbolic link (`O_NOFOLLOW`), never waited
 * on (`O_NONBLOCK`, should it be a FIFO), never a controlling terminal; then it
 * must be a regular file (or a character device root owns, such as `/dev/null`),
 * owned by root or the daemon's user, writable by no one else, and, when opened
 * for writing, have no second name. Otherwise the same as `openSync`.
 * Throws the system error as `openSync` does, or an {@link UnsafePathError}.
 */
export function openDaemonFile(path: string, flags: number, mode?: number): number {
  return withinRoot(path, (at) => openChecked(at, flags, mode));
}

function openChecked(path: string, flags: number, mode?: number): number {
  if (!isGuarded()) return openSync(path, flags, mode);
  return inVerifiedDirectory(path, true, (entry) => {
    let fd: number;
    try {
      fd = openSync(entry, flags | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY, mode);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ELOOP')
        throw new UnsafePathError(`${path} is a symbolic link, which root does not follow here`, {
          isSymbolicLink: true,
        });
      // A FIFO no one reads (O_NONBLOCK keeps the open from waiting), or a device no driver serves.
      if (code === 'ENXIO') throw new UnsafePathError(`${path} is not a regular file`);
      throw error;
    }
    try {
      checkFile(fstatSync(fd), path, true, (flags & (O_WRONLY | O_RDWR)) !== 0);
      return fd;
    } catch (error) {
      closeSync(fd);
      throw error;
    }
  });
}

/** Removes a daemon file; as root, only through its verified directory (never following a symbolic link to another one). */
export function unlinkDaemonFile(path: string): void {
  withinRoot(path, (at) =>
    isGuarded() ? inVerifiedDirectory(at, true, (entry) => unlinkSync(entry)) : unlinkSync(at),
  );
}

/** Hard-links `existing` to `path`, both in the same directory; as root, through that verified directory. */
export function linkDaemonFile(existing: string, path: string): void {
  const from = withinRoot(existing, (at) => at);
  withinRoot(path, (at) => {
    if (!isGuarded() || dirname(resolve(from)) !== dirname(resolve(at))) return linkSync(from, at);
    inVerifiedDirectory(at, true, (entry) => linkSync(join(dirname(entry), basename(from)), entry));
  });
}

/**
 * Refuses, as root, a config file, config directory or plugin that another
 * account could have written or could still replace: it, and every directory
 * above it, must belong to root or the effective user and be writable by no one
 * else (sticky directories such as `/tmp` excepted). A symbolic link on the
 * way is followed only when root or the effective user owns it. Throws an
 * {@link UnsafePathError} naming the culprit and the fix; a path that does not
 * exist passes (reading it then fails as it would have).
 *
 * @param options.always Check whoever the effective user is (for code, which
 *   another account must never get to run as this one), not only as root.
 */
export function checkTrusted(path: string, options: { always?: boolean } = {}): void {
  if (!options.always && !isGuarded()) return;
  withinRoot(path, (at) => checkTrustedPath(at));
}

function checkTrustedPath(path: string): void {
  let current = resolve(path);
  for (let links = 0; ; links++) {
    let found: Stats | undefined;
    try {
      found = inVerifiedDirectory(current, false, (entry) => lstatSync(entry, { throwIfNoEntry: false }));
    } catch (error) {
      if (['ENOENT', 'ENOTDIR'].includes((error as NodeJS.ErrnoException).code ?? '')) return;
      throw error;
    }
    if (found === undefined) return;
    if (!found.isSymbolicLink()) {
      if (found.isDirectory()) checkDirectory(found, current, false);
      else checkFile(found, current, false, false);
      return;
    }
    if (!isTrustedUid(found.uid, false))
      throw new UnsafePathError(`${current} is a symbolic link owned by uid ${found.uid}, not by root`);
    if (links >= MAX_SYMLINKS) throw new UnsafePathError(`${path}: too many symbolic links`);
    current = resolve(dirname(current), readlinkSync(current));
  }
}

/**
 * Runs `act` on the place of `path` inside the root this process changed to
 * (`[daemon] chroot`; `path` itself before any change), naming `path` in the
 * errors it throws; a path outside that root is an error.
 */
function withinRoot<T>(path: string, act: (at: string) => T): T {
  const at = pathInRoot(path);
  if (at === path) return act(path);
  try {
    return act(at);
  } catch (error) {
    if (error instanceof Error) error.message = error.message.split(at).join(path);
    throw error;
  }
}

/**
 * Runs `act` on `/proc/self/fd/<fd>/<name>`, where `fd` is the verified
 * directory of `path`; the directory is closed afterwards.
 */
function inVerifiedDirectory<T>(path: string, withDaemon: boolean, act: (entry: string) => T): T {
  const full = resolve(path);
  const directory = openVerifiedDirectory(dirname(full), withDaemon);
  const entry = join(entryBase(directory.fd, directory.path), basename(full));
  try {
    return act(entry);
  } catch (error) {
    // A system error names the path it was given: the user's, not the one through /proc.
    if (error instanceof Error && !(error instanceof UnsafePathError))
      error.message = error.message.split(entry).join(full);
    throw error;
  } finally {
    closeSync(directory.fd);
  }
}

/**
 * Opens `dir` one component at a time from `/`, each with `O_NOFOLLOW` and
 * checked on its descriptor; a symbolic link is followed (the walk starting
 * again from `/` at its target) only when root or the effective user owns it.
 */
function openVerifiedDirectory(dir: string, withDaemon: boolean): { fd: number; path: string } {
  let pending = components(dir);
  let at = '/';
  let fd = openSync('/', O_PATH | O_RDONLY | O_DIRECTORY);
  let links = 0;
  try {
    checkDirectory(fstatSync(fd), at, withDaemon);
    while (pending.length > 0) {
      const name = pending.shift()!;
      const child = join(at, name);
      const entry = join(entryBase(fd, at), name);
      let next: number;
      try {
        next = openSync(entry, O_PATH | O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
      } catch (error) {
        const link = ['ELOOP', 'ENOTDIR'].includes((error as NodeJS.ErrnoException).code ?? '')
          ? lstatSync(entry, { throwIfNoEntry: false })
          : undefined;
        if (!link?.isSymbolicLink()) throw error;
        if (!isTrustedUid(link.uid, false)) {
          throw new UnsafePathError(
            `${child} is a symbolic link owned by uid ${link.uid}, not by root; root does not follow it`,
          );
        }
        if (++links > MAX_SYMLINKS) throw new UnsafePathError(`${dir}: too many symbolic links`);
        pending = components(resolve(at, readlinkSync(entry), ...pending));
        closeSync(fd);
        at = '/';
        fd = openSync('/', O_PATH | O_RDONLY | O_DIRECTORY);
        continue;
      }
      closeSync(fd);
      fd = next;
      at = child;
      checkDirectory(fstatSync(fd), at, withDaemon);
    }
    return { fd, path: at };
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}

function components(path: string): string[] {
  return resolve(path)
    .split('/')
    .filter((part) => part !== '');
}

/** How to name an entry of the directory open as `fd`: through /proc when it is mounted, else by its path. */
function entryBase(fd: number, path: string): string {
  // Looked at again after a change of root: /proc is seldom mounted inside a chroot.
  const root = processRoot();
  if (hasProcFd === undefined || procFdRoot !== root) {
    hasProcFd = existsSync('/proc/self/fd');
    procFdRoot = root;
  }
  return hasProcFd ? `/proc/self/fd/${fd}` : path;
}

function checkDirectory(stats: Stats, path: string, withDaemon: boolean): void {
  if (!stats.isDirectory()) throw new UnsafePathError(`${path} is not a directory`);
  checkOwnerAndMode(stats, `directory ${path}`, path, withDaemon, (stats.mode & 0o1000) !== 0);
}

function checkFile(stats: Stats, path: string, withDaemon: boolean, isWrite: boolean): void {
  if (stats.isCharacterDevice() && stats.uid === 0) return;
  if (!stats.isFile()) throw new UnsafePathError(`${path} is not a regular file`);
  checkOwnerAndMode(stats, path, path, withDaemon, false);
  if (isWrite && stats.nlink > 1) {
    throw new UnsafePathError(
      `${path} has ${stats.nlink} hard links: one of them may name a file it must not write to; give it a name of its own`,
    );
  }
}

function checkOwnerAndMode(stats: Stats, what: string, path: string, withDaemon: boolean, isSticky: boolean): void {
  if (!isTrustedUid(stats.uid, withDaemon)) {
    const owners = withDaemon ? "root or the daemon's user" : 'root';
    throw new UnsafePathError(`${what} belongs to uid ${stats.uid}, not to ${owners} (chown root ${path})`);
  }
  if (isSticky) return;
  if ((stats.mode & 0o002) !== 0) throw new UnsafePathError(`${what} is writable by every user (chmod o-w ${path})`);
  if ((stats.mode & 0o020) !== 0 && !isTrustedGid(stats.gid, withDaemon)) {
    throw new UnsafePathError(`${what} is writable by group ${stats.gid} (chmod g-w ${path})`);
  }
}

function isTrustedUid(uid: number, withDaemon: boolean): boolean {
  return uid === 0 || uid === process.geteuid?.() || (withDaemon && account()?.uid === uid);
}

function isTrustedGid(gid: number, withDaemon: boolean): boolean {
  return gid === 0 || gid === process.getegid?.() || (withDaemon && account()?.gid === gid);
}

function account(): DaemonAccount | undefined {
  try {
    return daemonAccount?.();
  } catch {
    // an account that cannot be resolved trusts no one more; the daemon's start says why
    return undefined;
  }
}
