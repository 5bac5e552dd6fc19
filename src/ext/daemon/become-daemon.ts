/**
 * Becoming a daemon, as python-daemon's `DaemonContext.open()` does it: one
 * pre-flight that refuses what would fail (before anything detaches, and
 * again in the daemon), then named steps in order: inspector, hardening,
 * root directory, privileges, working directory, umask, pid file.
 */
import { statSync } from 'node:fs';
import { FrameworkError } from '../../core/errors';
import type { Logger } from '../../core/logger';
import { lazy } from '../../core/lazy';
import type { DaemonSettings } from './daemon-settings';
import type { PidFile } from './pid-file';
import type { Identity } from './privileges';
import type { ChrootPlan } from '../systemd/chroot';

/** The daemon's working parts, each loaded on first use: a daemon that keeps its user never looks one up. */
const part = {
  pidFile: lazy<typeof import('./pid-file')>(require, './pid-file'),
  privileges: lazy<typeof import('./privileges')>(require, './privileges'),
  inspector: lazy<typeof import('./inspector')>(require, './inspector'),
  hardening: lazy<typeof import('../systemd/hardening')>(require, '../systemd/hardening'),
  chroot: lazy<typeof import('../systemd/chroot')>(require, '../systemd/chroot'),
};

const NAMESPACE = 'ext.daemon';

/** What the pre-flight found: the account to switch to and the pid file to write, each when configured. */
export interface DaemonPlan {
  readonly settings: DaemonSettings;
  /** The account `user`/`group` name (undefined when neither is set: nothing to look up). */
  readonly identity?: Identity;
  /** The pid file, checked but not written yet. */
  readonly pidFile?: PidFile;
  /** The change of root (`[daemon] chroot`), checked, when configured. */
  readonly root?: ChrootPlan;
}

/**
 * Refuses what would fail anyway, before anything changes: the account must
 * exist, the hardening keys must be appliable, a change of root possible with
 * the pid and log files inside it, `dir` must be a directory and the pid file
 * must not name the live daemon (`already running ...`). `logFile`: the log
 * file open now, if any.
 */
export function preflight(settings: DaemonSettings, label: string, logFile = ''): DaemonPlan {
  // Without a user or group to switch to there is nothing to look up.
  const identity =
    settings.user || settings.group ? part.privileges().resolveIdentity(settings.user, settings.group) : undefined;
  part.hardening().checkHardening(settings.hardening);
  const root =
    settings.chroot === undefined
      ? undefined
      : part.chroot().planChroot(settings.chroot, {
          pidFile: settings.pidFile,
          logFile: logFile || undefined,
          workingDirectory: settings.dir,
        });
  if (!root) checkDirectory(settings.dir);
  const pidFile = settings.pidFile ? new (part.pidFile().PidFile)(settings.pidFile, { name: label }) : undefined;
  pidFile?.check();
  return { settings, identity, pidFile, root };
}

/** Who becomes the daemon, for the steps that log or depend on it. */
export interface Becoming {
  readonly label: string;
  readonly log: Logger;
  /** Whether this process is a detached daemon (it then keeps the inspector shut as one that drops root does). */
  readonly isDetached: boolean;
  /** Connects systemd's notification socket before a change of root, which leaves its path behind. */
  readonly keepNotifySocket?: () => void;
}

/**
 * Turns this process into the daemon the plan describes, step by step; returns
 * the pid file it wrote (which names this process from now on), if any.
 */
export function becomeDaemon(plan: DaemonPlan, who: Becoming): PidFile | undefined {
  const { settings, identity } = plan;
  shutInspector(plan, who);
  harden(settings, who.log);
  if (plan.root) changeRoot(plan, plan.root, who);
  if (identity?.changes) switchUser(identity, settings, who, plan.root !== undefined);
  changeDirectory(settings.dir, identity);
  process.umask(settings.umask);
  who.log.debug(`working directory ${settings.dir}, umask ${settings.umask.toString(8).padStart(4, '0')}`, NAMESPACE);
  return writePidFile(plan.pidFile, who.log);
}

/**
 * Removes from `env` what a daemon that switches user does not keep: all but
 * the built-in list, the app's own `<LABEL>_*` config variables (read again
 * by a reload) and `[daemon] keep_env`. Returns `env`.
 */
export function keptEnvironment(settings: DaemonSettings, label: string, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const prefix = `${label.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_*`;
  part.privileges().resetEnvironment([...part.privileges().KEPT_ENVIRONMENT, prefix, ...settings.keepEnv], env);
  return env;
}

/** A detached daemon, or a process that drops root, keeps SIGUSR1 from opening the inspector (inspector.ts). */
function shutInspector(plan: DaemonPlan, who: Becoming): void {
  if (!(who.isDetached || plan.identity?.changes) || plan.settings.inspector) return;
  part
    .inspector()
    .shutInspectorDoor(() =>
      who.log.debug('SIGUSR1 ignored: the inspector stays closed ([daemon] inspector = true opens it)', NAMESPACE),
    );
}

/** Before the switch of user: raising a hard limit needs root. */
function harden(settings: DaemonSettings, log: Logger): void {
  const hardened = part.hardening().applyHardening(settings.hardening);
  if (hardened.length > 0) log.debug(`hardening: ${hardened.join(', ')}`, NAMESPACE);
}

/**
 * As root, before the switch of user: the root directory becomes `[daemon]
 * chroot`, after what needs the host's files (see chroot.ts).
 */
function changeRoot(plan: DaemonPlan, root: ChrootPlan, who: Becoming): void {
  const { identity, pidFile } = plan;
  part.chroot().changeRoot(
    root,
    {
      keepNotifySocket: who.keepNotifySocket,
      removeStalePidFile: pidFile && (() => pidFile.removeStale()),
      prepareUser:
        identity?.changes === true
          ? () => {
              part.privileges().handOverLogFile(who.log.getFile(), identity);
              part.privileges().applyGroups(identity);
            }
          : undefined,
    },
    who.log,
  );
}

function switchUser(identity: Identity, settings: DaemonSettings, who: Becoming, isRooted: boolean): void {
  const log = who.log;
  // In a new root the groups were set and the log file handed over before the change.
  if (!isRooted) part.privileges().handOverLogFile(log.getFile(), identity);
  log.debug(
    `setting process uid(${identity.uid}) and gid(${identity.gid}) (${identity.user}:${identity.group})`,
    NAMESPACE,
  );
  part.privileges().applyIdentity(identity, process.env, { hasGroups: isRooted });
  keptEnvironment(settings, who.label, process.env);
  log.debug(
    `environment reset for user '${identity.user}': kept ${Object.keys(process.env).sort().join(', ')}`,
    NAMESPACE,
  );
}

function changeDirectory(dir: string, identity: Identity | undefined): void {
  try {
    process.chdir(dir);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'EACCES' ? 'permission denied' : (error as Error).message;
    throw new FrameworkError(
      `Cannot change to daemon dir '${dir}'${identity ? ` as user '${identity.user}'` : ''}: ${reason}.`,
    );
  }
}

function writePidFile(pidFile: PidFile | undefined, log: Logger): PidFile | undefined {
  if (!pidFile) return undefined;
  log.debug(`writing pid (${process.pid}) out to ${pidFile.path}`, NAMESPACE);
  const replaced = pidFile.acquire(process.pid);
  if (replaced?.state === 'stale')
    log.warning(`replaced the stale pid file ${pidFile.path}: ${replaced.reason}`, NAMESPACE);
  return pidFile;
}

function checkDirectory(dir: string): void {
  let isDirectory = false;
  try {
    isDirectory = statSync(dir).isDirectory();
  } catch {
    throw new FrameworkError(`Daemon dir '${dir}' doesn't exist.`);
  }
  if (!isDirectory) throw new FrameworkError(`Daemon dir '${dir}' is not a directory.`);
}
