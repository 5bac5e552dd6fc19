/**
 * The root directory of this process, once a daemon has changed it (`[daemon]
 * chroot`): files named by their path on the host — the pid file, the log
 * file, config files, as the config and `daemon status` on the host name them
 * — are then reached by their path inside the new root. Every file mortar
 * opens, removes or renames for the daemon after the change goes through
 * {@link pathInRoot}; a path outside the root is refused in one line, never
 * silently taken for the file of the same name inside it.
 */
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { FrameworkError } from './errors';

/** The root this process changed to. */
export interface ProcessRoot {
  /** The root directory as configured (`[daemon] chroot`), for messages. */
  readonly configured: string;
  /** The same, with every symbolic link resolved (`realpath`): the directory the process now sees as `/`. */
  readonly real: string;
  /**
   * Directories of the host whose place inside the root was found before the
   * change, with symbolic links resolved (the pid file's and the log file's):
   * host path → path inside the root.
   */
  readonly directories: ReadonlyMap<string, string>;
}

let current: ProcessRoot | undefined;

/** Records that this process's root directory is now `root.real` (called right after chroot(2)). */
export function setProcessRoot(root: ProcessRoot): void {
  current = root;
}

/** The root this process changed to, or undefined when it sees the host's `/`. */
export function processRoot(): ProcessRoot | undefined {
  return current;
}

/** A path that lies outside the root this process changed to. */
export class OutsideRootError extends FrameworkError {}

/**
 * Where this process finds the file the host calls `path`: `path` itself
 * when the root is the host's; else its place inside the root (a directory
 * resolved before the change, or the path under the root directory as
 * configured or resolved). Throws an {@link OutsideRootError} for a path
 * outside the root.
 */
export function pathInRoot(path: string): string {
  const root = current;
  if (root === undefined) return path;
  const full = resolve(path);
  const known = root.directories.get(dirname(full));
  if (known !== undefined) return join(known, basename(full));
  for (const base of [root.real, root.configured]) {
    const inside = relative(base, full);
    if (inside === '') return '/';
    if (inside !== '..' && !inside.startsWith(`..${sep}`)) return `/${inside}`;
  }
  throw new OutsideRootError(
    `${path} lies outside the daemon's root directory ${root.configured} ([daemon] chroot), which it can no longer reach`,
  );
}

/** Whether `path` lies outside the root this process changed to (never, before a change). */
export function isOutsideRoot(path: string): boolean {
  try {
    pathInRoot(path);
    return false;
  } catch (error) {
    if (error instanceof OutsideRootError) return true;
    throw error;
  }
}
