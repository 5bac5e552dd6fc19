/**
 * python-daemon's hardening of a daemon (`DaemonContext`'s
 * `prevent_core`), and the descriptor limit: `[daemon] prevent_core`
 * (RLIMIT_CORE 0) and `rlimit_nofile = N` (RLIMIT_NOFILE N), applied in the
 * daemon before it switches user and before the command runs. Node has no
 * setrlimit(2): both need the optional `posix` addon, and a key that needs it
 * fails the start with one line when it is missing, never silently.
 * (python-daemon's `chroot_directory` is `[daemon] chroot`: chroot.ts.)
 */
import { readFileSync } from 'node:fs';
import type { Config } from '../../core/config';
import { isUnset } from '../../core/config-value';
import { FrameworkError } from '../../core/errors';
import { lazy } from '../../core/lazy';
import { describeSystemError } from '../../core/system-error';

/** The hardening keys of `[daemon]`, read and checked. */
export interface Hardening {
  /** `prevent_core`: no core file (RLIMIT_CORE 0, soft and hard). Default: false. */
  readonly preventCore: boolean;
  /** `rlimit_nofile`: the soft and hard limit of open descriptors. Default: unset (inherited). */
  readonly rlimitNofile?: number;
}

interface PosixLimits {
  setrlimit(resource: 'core' | 'nofile', limits: { soft?: number | null; hard?: number | null }): void;
  getrlimit(resource: 'core' | 'nofile'): { soft: number | null; hard: number | null };
}

const posixAddon = lazy<PosixLimits>(require, 'posix');

/** Reads `prevent_core` and `rlimit_nofile`; a wrong value is an error naming the key, value and file. */
export function readHardening(config: Config): Hardening {
  const preventCore = config.getBoolean('daemon', 'prevent_core', false);
  const written = config.get('daemon', 'rlimit_nofile');
  if (isUnset(written)) return { preventCore };
  const rlimitNofile = config.getInteger('daemon', 'rlimit_nofile');
  if (rlimitNofile === undefined || rlimitNofile < 1)
    throw config.invalid('daemon', 'rlimit_nofile', 'expected a number of descriptors, 1 or more');
  return { preventCore, rlimitNofile };
}

/** The keys set, by name, for messages. */
function keysOf(hardening: Hardening): string[] {
  return [
    ...(hardening.preventCore ? ['prevent_core'] : []),
    ...(hardening.rlimitNofile !== undefined ? ['rlimit_nofile'] : []),
  ];
}

/**
 * The posix addon, when a key needs it; throws the one line that says which
 * key needs the missing addon. Called before anything detaches, and again in the daemon.
 */
export function checkHardening(hardening: Hardening): void {
  if (keysOf(hardening).length > 0) posix(hardening);
}

/** Applies the settings to this process (needs root to raise a hard limit). */
export function applyHardening(hardening: Hardening): string[] {
  const keys = keysOf(hardening);
  if (keys.length === 0) return [];
  const addon = posix(hardening);
  const done: string[] = [];
  if (hardening.preventCore) {
    set(addon, 'core', 0, 'prevent_core');
    done.push('core files prevented (RLIMIT_CORE 0)');
  }
  if (hardening.rlimitNofile !== undefined) {
    set(addon, 'nofile', hardening.rlimitNofile, 'rlimit_nofile');
    done.push(`RLIMIT_NOFILE ${hardening.rlimitNofile}`);
  }
  return done;
}

function set(addon: PosixLimits, resource: 'core' | 'nofile', value: number, key: string): void {
  try {
    addon.setrlimit(resource, { soft: value, hard: value });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const hard = safeHard(addon, resource);
    const ceiling = resource === 'nofile' ? kernelCeiling() : undefined;
    const why =
      code === 'EPERM' && ceiling !== undefined && value > ceiling
        ? `more than the kernel allows (/proc/sys/fs/nr_open is ${ceiling})`
        : code === 'EPERM' && hard !== undefined && hard !== null && value > hard
          ? `raising the hard limit (${hard}) needs root with CAP_SYS_RESOURCE`
          : describeSystemError(error);
    throw new FrameworkError(`Cannot apply [daemon] ${key} = ${resource === 'core' ? 'true' : value}: ${why}.`);
  }
}

/** The most descriptors a process may have (`/proc/sys/fs/nr_open`), when it can be read. */
function kernelCeiling(): number | undefined {
  try {
    const value = Number(readFileSync('/proc/sys/fs/nr_open', 'utf8').trim());
    return Number.isInteger(value) && value > 0 ? value : undefined;
  } catch {
    return undefined;
  }
}

function safeHard(addon: PosixLimits, resource: 'core' | 'nofile'): number | null | undefined {
  try {
    return addon.getrlimit(resource).hard;
  } catch {
    return undefined;
  }
}

function posix(hardening: Hardening): PosixLimits {
  try {
    return posixAddon();
  } catch {
    const keys = keysOf(hardening);
    throw new FrameworkError(
      `[daemon] ${keys.join(' and ')} ${keys.length > 1 ? 'need' : 'needs'} the optional 'posix' addon (Node has no setrlimit), ` +
        'which is not installed or does not load: install it (npm install posix), or remove the key (systemd units: LimitCORE=0, LimitNOFILE=N).',
    );
  }
}
