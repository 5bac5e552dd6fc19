/**
 * `[daemon] chroot = DIR`, python-daemon's `chroot_directory`: the daemon
 * changes its root directory to DIR before the command runs, as root, before
 * it switches user. Node has no chroot(2): it needs the optional `posix`
 * addon, and a start that asks for it without the addon fails in one line.
 *
 * Nothing may silently go wrong inside the new root, where the host's files
 * are out of reach:
 * - the pid file and the log file must lie inside DIR (symbolic links
 *   resolved), or the start is refused; the daemon then removes, reopens and
 *   rotates them by their path inside DIR (core/process-root.ts), while
 *   `daemon status` and `stop` on the host use the host's path;
 * - the parts of mortar it may load later (closing, rendering, a reload's
 *   config reading, the workers' single-process parts) are loaded before the
 *   change, since node_modules does not lie inside DIR;
 * - what needs the host's files is done before the change: the supplementary
 *   groups (initgroups reads /etc/group), a stale pid file judged through
 *   /proc, systemd's notification socket connected;
 * - `[daemon] dir` is a directory inside the new root (`/` by default), as
 *   systemd's `WorkingDirectory=` is with `RootDirectory=`;
 * - `[daemon] workers` > 1 is refused: cluster workers are started by
 *   running node again by its path, which DIR does not hold.
 */
import { existsSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import type { Config } from '../../core/config';
import { isUnset } from '../../core/config-value';
import { FrameworkError } from '../../core/errors';
import { lazy } from '../../core/lazy';
import type { Logger } from '../../core/logger';
import { setProcessRoot, type ProcessRoot } from '../../core/process-root';
import { describeSystemError } from '../../core/system-error';

interface PosixRoot {
  chroot(path: string): void;
}

const posixAddon = lazy<Partial<PosixRoot>>(require, 'posix');
const workerSettings = lazy<typeof import('../workers/worker-settings')>(require, '../workers/worker-settings');
const nodeModule = lazy<typeof import('node:module')>(require, 'node:module');

/**
 * mortar's own modules that a daemon may still load after it changed root,
 * loaded before (relative to this file). A spec checks that every module
 * mortar loads lazily is here or in {@link NEVER_AFTER_CHROOT}.
 */
export const LOADED_BEFORE_CHROOT: readonly string[] = Object.freeze([
  '../../core/config-file',
  '../../core/ini-file',
  '../../core/renderer',
  '../../core/json-output',
  '../../core/text-output',
  '../../controller/dispatcher',
  '../../controller/help',
  '../../controller/suggest',
  '../../controller/option-from-config',
  '../../controller/registry',
  '../../controller/global-arguments',
  '../daemon/accounts',
  '../daemon/daemon-operations',
  '../daemon/inherited-fds',
  '../daemon/inspector',
  '../daemon/pid-file',
  '../daemon/privileges',
  '../daemon/process-identity',
  '../daemon/umask',
  '../systemd/hardening',
  '../workers/worker-settings',
  '../workers/single-process',
  '../workers/health-server',
  '../workers/http-drain',
]);

/** mortar's lazily loaded modules a chrooted daemon never needs, and why. */
export const NEVER_AFTER_CHROOT: Readonly<Record<string, string>> = Object.freeze({
  'core/plugin-loader': 'plugins load during set-up, before any daemon',
  'controller/completion-controller': 'printing a completion script is no daemon',
  'controller/completion-fish': 'printing a completion script is no daemon',
  'controller/completion-sh': 'printing a completion script is no daemon',
  'controller/completion-table': 'printing a completion script is no daemon',
  'ext/daemon/detach': "the --daemon invoker's, which never changes root",
  'ext/daemon/run-invoker': "the --daemon invoker's, which never changes root",
  'ext/daemon/become-daemon': 'loaded to become the daemon, before the change',
  'ext/systemd/chroot': 'loaded to read the settings, before the change',
  'ext/daemon/daemon-controller': 'daemon status/stop/reload run on the host',
  'ext/daemon/daemon-extension': 'loaded at start',
  'ext/daemon/daemon-service': 'loaded at start',
  'ext/daemon/daemonize': 'loaded at start',
  'ext/workers/cluster-primary': '[daemon] workers > 1 is refused with chroot',
  'ext/workers/cluster-worker': '[daemon] workers > 1 is refused with chroot',
  'ext/workers/run-primary': '[daemon] workers > 1 is refused with chroot',
  'ext/workers/workers-status': 'daemon status runs on the host',
});

/**
 * Reads `[daemon] chroot`: the directory, absolute (a relative one resolves
 * against `invocationDir`), or undefined when unset. With `[daemon] workers`
 * above 1 it is an error naming the key.
 */
export function readChroot(config: Config, invocationDir: string): string | undefined {
  const written = config.get('daemon', 'chroot');
  if (isUnset(written)) return undefined;
  if (typeof written !== 'string') throw config.invalid('daemon', 'chroot', 'expected a directory');
  if (workerSettings().readWorkerSettings(config).isCluster) {
    throw config.invalid(
      'daemon',
      'chroot',
      'cannot be combined with [daemon] workers above 1: cluster workers start by running node again by its path, which the new root does not hold',
    );
  }
  return resolve(invocationDir, written);
}

/** What the change of root needs, checked before anything changes. */
export interface ChrootPlan extends ProcessRoot {
  /** The working directory inside the new root (`[daemon] dir`). */
  readonly workingDirectory: string;
}

/** The files that must lie inside the new root, each with the key that names it. */
export interface RootedFiles {
  /** `[daemon] pid_file`, absolute. */
  readonly pidFile?: string;
  /** `[log] file`, absolute (the log file open now). */
  readonly logFile?: string;
  /** `[daemon] dir`: a directory inside the new root. */
  readonly workingDirectory: string;
}

/**
 * Refuses, in one line, a change of root that cannot work: not root, no
 * `posix` addon, DIR missing, the pid file or log file outside DIR (symbolic
 * links resolved), `dir` missing inside it. Called before anything detaches,
 * and again in the daemon.
 */
export function planChroot(dir: string, files: RootedFiles): ChrootPlan {
  if (process.geteuid?.() !== 0) {
    throw new FrameworkError(
      `[daemon] chroot = ${dir} needs root (chroot(2) is root's): start the daemon as root, with [daemon] user to run as another ` +
        "user after the change, or use systemd's RootDirectory=.",
    );
  }
  posix();
  let real: string;
  try {
    real = realpathSync(dir);
    if (!statSync(real).isDirectory()) throw new FrameworkError(`[daemon] chroot ${dir} is not a directory.`);
  } catch (error) {
    if (error instanceof FrameworkError) throw error;
    throw new FrameworkError(`[daemon] chroot ${dir}: ${describeSystemError(error)}.`);
  }
  const directories = new Map<string, string>();
  const place = (key: string, path: string | undefined, what: string): void => {
    if (!path) return;
    const full = resolve(path);
    const resolved = resolveExisting(dirname(full));
    const inside = relative(real, resolved);
    if (inside === '..' || inside.startsWith('../') || isAbsolute(inside)) {
      const via = resolved === dirname(full) ? '' : ` (its directory is ${resolved})`;
      throw new FrameworkError(
        `${key} ${path} lies outside [daemon] chroot ${dir}${via}: the daemon could not ${what} it after the change of root; put it inside ${dir}.`,
      );
    }
    directories.set(dirname(full), inside === '' ? '/' : `/${inside}`);
  };
  place('[daemon] pid_file', files.pidFile, 'remove');
  place('[log] file', files.logFile, 'reopen');
  const working = join(real, files.workingDirectory);
  if (!isDirectory(working)) {
    throw new FrameworkError(
      `Daemon dir '${files.workingDirectory}' doesn't exist in [daemon] chroot ${dir} (as ${working}); [daemon] dir is a path inside the new root.`,
    );
  }
  return { configured: dir, real, directories, workingDirectory: files.workingDirectory };
}

/** What the daemon does right before the change, while the host's files are in reach. */
export interface BeforeChroot {
  /** Connects systemd's notification socket, which lies outside the new root. */
  readonly keepNotifySocket?: () => void;
  /** Sets the supplementary groups and hands the log file over (a switch of user reads /etc/group). */
  readonly prepareUser?: () => void;
  /** Removes a stale pid file, judged through /proc, which the new root seldom has. */
  readonly removeStalePidFile?: () => void;
}

/**
 * Loads what the daemon may need later, does `before`, then changes the root
 * directory to the plan's (and the working directory to its `/`); from then
 * on mortar reaches the host's files by their path inside it.
 */
export function changeRoot(plan: ChrootPlan, before: BeforeChroot, log: Logger): void {
  const addon = posix();
  for (const id of LOADED_BEFORE_CHROOT) lazy(require, id)();
  keepLoadedModulesReachable();
  // The time zone is read once, from /etc/localtime of the host: log lines keep their local time.
  new Date().toString();
  before.removeStalePidFile?.();
  before.keepNotifySocket?.();
  before.prepareUser?.();
  log.debug(`changing root directory to ${plan.real}`, 'ext.daemon');
  try {
    addon.chroot(plan.real);
  } catch (error) {
    throw new FrameworkError(
      `Cannot change root to [daemon] chroot ${plan.configured}: ${describeSystemError(error)}.`,
    );
  }
  setProcessRoot(plan);
  process.chdir('/');
}

/**
 * In the build of one file per module (not the single-file bundle the package
 * ships, whose modules are all in memory), Node resolves `require('./x')`
 * with a `stat` of the file, which fails inside the new root even for a module
 * loaded already, under another name, before the change: there, a relative
 * name that no longer resolves is given the loaded module it names.
 */
function keepLoadedModulesReachable(): void {
  if (typeof require.resolve !== 'function') return;
  type FindPath = (request: string, paths: readonly string[], ...rest: unknown[]) => string | false;
  const loader = nodeModule() as unknown as { _findPath?: FindPath };
  const findPath = loader._findPath;
  if (typeof findPath !== 'function') return;
  loader._findPath = function (request, paths, ...rest) {
    const found = findPath.call(this, request, paths, ...rest);
    if (found !== false || !request.startsWith('.') || paths.length !== 1) return found;
    const target = resolve(paths[0], request);
    return [target, `${target}.js`].find((file) => require.cache[file] !== undefined) ?? false;
  };
}

/** The deepest existing directory of `path`, resolved, with what does not exist yet appended. */
function resolveExisting(path: string): string {
  if (existsSync(path)) return realpathSync(path);
  const parent = dirname(path);
  return parent === path ? path : join(resolveExisting(parent), basename(path));
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function posix(): PosixRoot {
  try {
    const addon = posixAddon();
    if (typeof addon.chroot === 'function') return addon as PosixRoot;
  } catch {
    // not installed, or built for another Node
  }
  throw new FrameworkError(
    "[daemon] chroot needs the optional 'posix' addon (Node has no chroot), which is not installed or does not load: " +
      'install it (npm install posix), or remove the key (systemd units: RootDirectory=).',
  );
}
