/**
 * The `[daemon]` section read into one plain, checked object: the first step
 * of every daemon operation (becoming one, and operating one by its pid file).
 */
import { resolve } from 'node:path';
import type { Config } from '../../core/config';
import { isUnset } from '../../core/config-value';
import { lazy } from '../../core/lazy';
import { DEFAULT_START_TIMEOUT, DEFAULT_STOP_TIMEOUT } from '../systemd/supervisor';
import type { Hardening } from '../systemd/hardening';

/** The parts that only some settings need, each loaded on first use. */
const part = {
  privileges: lazy<typeof import('./privileges')>(require, './privileges'),
  umask: lazy<typeof import('./umask')>(require, './umask'),
  hardening: lazy<typeof import('../systemd/hardening')>(require, '../systemd/hardening'),
  chroot: lazy<typeof import('../systemd/chroot')>(require, '../systemd/chroot'),
};

/** The `[daemon]` settings, checked and with paths made absolute. */
export interface DaemonSettings {
  readonly user?: string;
  readonly group?: string;
  readonly dir: string;
  /** Absolute pid file path, or undefined for none. */
  readonly pidFile?: string;
  readonly umask: number;
  readonly stdout: string;
  readonly stderr: string;
  /** How long the invoker waits for the daemon to be ready, in seconds. */
  readonly readyTimeout: number;
  /** Variables (names, or prefixes ending in `*`) kept after a switch of user besides the built-in list. */
  readonly keepEnv: readonly string[];
  /** Whether SIGUSR1 may still open Node's inspector in the daemon. */
  readonly inspector: boolean;
  /** How long systemd's start timeout is extended while the app starts, in seconds (0: not at all). */
  readonly startTimeout: number;
  /** How long systemd's stop timeout is extended while the app stops, in seconds (0: not at all). */
  readonly stopTimeout: number;
  /** `prevent_core` and `rlimit_nofile` (see docs/daemon.md, "Hardening"). */
  readonly hardening: Hardening;
  /**
   * `chroot`: the directory the daemon makes its root before the command runs,
   * absolute; `dir` is then a path inside it. Default: unset (no change of root).
   */
  readonly chroot?: string;
}

/** `[daemon] start_timeout` and `stop_timeout`, in seconds. */
export interface DaemonTimeouts {
  /** `start_timeout`: how long systemd's start timeout is extended while the app starts (0: not at all). Default: 90. */
  startTimeout: number;
  /** `stop_timeout`: how long systemd's stop timeout is extended while the app stops (0: not at all). Default: 90. */
  stopTimeout: number;
}

const DEFAULT_UMASK = 0o022;

/**
 * Reads and checks the `[daemon]` section; relative paths resolve against
 * `invocationDir`. An empty value means the key's default (docs/daemon.md);
 * a wrong one is an error naming the key, the value and the file and line it
 * was read from.
 */
export function readDaemonSettings(config: Config, invocationDir: string): DaemonSettings {
  const text = (key: string): string | undefined => {
    const value = config.get('daemon', key);
    if (isUnset(value)) return undefined;
    if (typeof value !== 'string' && typeof value !== 'number') throw config.invalid('daemon', key, 'expected text');
    return String(value);
  };
  const pidFile = text('pid_file');
  const readyTimeout = config.getNumber('daemon', 'ready_timeout', 30);
  if (readyTimeout <= 0) throw config.invalid('daemon', 'ready_timeout', 'expected seconds, more than 0');
  const written = config.get('daemon', 'umask');
  const umask = isUnset(written) ? DEFAULT_UMASK : part.umask().toUmask(written);
  if (umask === undefined) throw config.invalid('daemon', 'umask', part.umask().UMASK_EXPECTED);
  const keepEnv = (text('keep_env') ?? '').split(/[\s,]+/).filter((entry) => entry !== '');
  const wrong = keepEnv.find((entry) => !part.privileges().KEEP_ENV_ENTRY.test(entry));
  if (wrong !== undefined)
    throw config.invalid(
      'daemon',
      'keep_env',
      `'${wrong}' is no variable name: give names or prefixes ending in *, separated by commas`,
    );
  const { startTimeout, stopTimeout } = readDaemonTimeouts(config);
  const chroot = part.chroot().readChroot(config, invocationDir);
  return {
    user: text('user'),
    group: text('group'),
    // Inside a new root, the working directory is a path in it (as systemd's WorkingDirectory= with RootDirectory=).
    dir: resolve(chroot === undefined ? invocationDir : '/', text('dir') ?? '/'),
    pidFile: pidFile === undefined ? undefined : resolve(invocationDir, pidFile),
    umask,
    stdout: resolve(invocationDir, text('stdout') ?? '/dev/null'),
    stderr: resolve(invocationDir, text('stderr') ?? '/dev/null'),
    readyTimeout,
    keepEnv,
    inspector: config.getBoolean('daemon', 'inspector', false),
    startTimeout,
    stopTimeout,
    hardening: part.hardening().readHardening(config),
    ...(chroot === undefined ? {} : { chroot }),
  };
}

/**
 * `[daemon] start_timeout` and `stop_timeout`: seconds, 0 or more (0 turns the
 * heartbeats off); a wrong value is an error naming the key.
 */
export function readDaemonTimeouts(config: Config): DaemonTimeouts {
  const seconds = (key: string, fallback: number): number => {
    const value = config.getNumber('daemon', key, fallback);
    if (!(value >= 0) || !Number.isFinite(value)) throw config.invalid('daemon', key, 'expected seconds, 0 or more');
    return value;
  };
  return {
    startTimeout: seconds('start_timeout', DEFAULT_START_TIMEOUT),
    stopTimeout: seconds('stop_timeout', DEFAULT_STOP_TIMEOUT),
  };
}
