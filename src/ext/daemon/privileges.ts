/**
 * Who the daemon runs as: resolving `[daemon] user` and `group` to ids, and
 * switching to them. Names are looked up in the account database (see
 * accounts.ts: the optional posix addon, else getent, else /etc/passwd and
 * /etc/group), only when the user or group differs from the invoker's: a
 * daemon that keeps them pays nothing for it. Ids are switched with Node's
 * own `process.initgroups`, `setgroups`, `setgid` and `setuid`, so switching
 * needs no native code.
 */
import { closeSync, constants, fchownSync, fstatSync } from 'node:fs';
import { userInfo } from 'node:os';
import { FrameworkError } from '../../core/errors';
import { openDaemonFile } from '../../core/safe-files';
import { describeSystemError } from '../../core/system-error';
import {
  AccountLookupUnavailable,
  findGroup,
  findGroupInFile,
  findUser,
  isPosixLoaded,
  type GroupEntry,
  type UserEntry,
} from './accounts';

/** The account and group a daemon runs as. */
export interface Identity {
  /** The user name; the uid in decimal for a uid that has no account. */
  readonly user: string;
  readonly uid: number;
  readonly gid: number;
  /** The group name; the gid in decimal when the group has no name the lookup found. */
  readonly group: string;
  /** The user's home directory, from the account database; `/` for a uid that has no account. */
  readonly home: string;
  /** Whether the uid has an account, so its supplementary groups come from `initgroups`. */
  readonly hasAccount: boolean;
  /** Whether applying this identity changes the process's uid or gid. */
  readonly changes: boolean;
}

interface Account extends UserEntry {
  readonly hasAccount: boolean;
}

/** Node has `process.initgroups` and `setgroups` on POSIX systems; its type declarations mark them optional. */
interface ProcessWithGroups {
  initgroups(user: string | number, extraGroup: string | number): void;
  setgroups(groups: number[]): void;
}

/**
 * Resolves the daemon's user and group. `user` defaults to the invoking user,
 * `group` to the primary group of `user` (not of the invoker). Both accept a
 * name or a numeric id; an all-digit value is tried as a name first. A
 * numeric uid with no account is accepted when `group` is given too (it has
 * no primary group to default to); a numeric gid needs no group entry.
 */
export function resolveIdentity(user?: string, group?: string): Identity {
  const current = currentAccount();
  const account = !user || user === current.name || user === String(current.uid) ? current : lookUpUser(user, group);
  const target = group
    ? resolveGroup(group, current, account)
    : { gid: account.gid, name: groupName(account, current) };
  return {
    user: account.name,
    uid: account.uid,
    gid: target.gid,
    group: target.name,
    home: account.home,
    hasAccount: account.hasAccount,
    changes: account.uid !== process.getuid!() || target.gid !== process.getgid!(),
  };
}

/**
 * Switches the process to `identity`: the user's supplementary groups
 * (`initgroups`; only the gid for a uid with no account), then the gid, then
 * the uid, so no group of the invoker survives; then points HOME, USER and
 * LOGNAME at the user. Does nothing when the identity changes no id.
 * `options.hasGroups`: the groups were set already ({@link applyGroups}).
 */
export function applyIdentity(
  identity: Identity,
  env: NodeJS.ProcessEnv = process.env,
  options: { readonly hasGroups?: boolean } = {},
): void {
  if (!identity.changes) return;
  if (!options.hasGroups) applyGroups(identity);
  try {
    process.setgid!(identity.gid);
    process.setuid!(identity.uid);
  } catch (error) {
    throw switchError(identity, error);
  }
  env.HOME = identity.home;
  env.USER = identity.user;
  env.LOGNAME = identity.user;
}

/**
 * Sets the supplementary groups of `identity`'s user (`initgroups`, which
 * reads the account database; only the gid for a uid with no account): the
 * first step of {@link applyIdentity}, taken on its own before a change of
 * root, where the database is out of reach (then `hasGroups`).
 */
export function applyGroups(identity: Identity): void {
  if (!identity.changes) return;
  const groups = process as unknown as ProcessWithGroups;
  try {
    if (identity.hasAccount) groups.initgroups(identity.user, identity.gid);
    else groups.setgroups([identity.gid]);
  } catch (error) {
    throw switchError(identity, error);
  }
}

function switchError(identity: Identity, error: unknown): FrameworkError {
  const code = (error as NodeJS.ErrnoException).code;
  const reason = code === 'EPERM' ? 'operation not permitted' : error instanceof Error ? error.message : String(error);
  const culprit =
    identity.uid !== process.getuid!()
      ? `user '${identity.user}' (uid ${identity.uid})`
      : `group '${identity.group}' (gid ${identity.gid})`;
  const setting = culprit.startsWith('user') ? 'user' : 'group';
  return new FrameworkError(`Cannot switch to ${culprit}: ${reason}; run as root or leave [daemon] ${setting} unset.`, {
    cause: error,
  });
}

function currentAccount(): Account {
  try {
    const info = userInfo();
    return { name: info.username, uid: info.uid, gid: info.gid, home: info.homedir, hasAccount: true };
  } catch {
    // The invoking uid has no account entry (e.g. an arbitrary uid in a container).
    const uid = process.getuid!();
    return { name: String(uid), uid, gid: process.getgid!(), home: process.env.HOME ?? '/', hasAccount: false };
  }
}

function lookUpUser(user: string, group: string | undefined): Account {
  const isNumeric = /^\d+$/.test(user);
  // A uid with no account has no primary group, so it is usable only with an explicit group.
  const entry = lookUp(() => findUser(user), `daemon user '${user}'`, isNumeric && Boolean(group));
  if (entry) return { ...entry, hasAccount: true };
  if (isNumeric && group) return { name: user, uid: Number(user), gid: Number.NaN, home: '/', hasAccount: false };
  if (isNumeric) {
    throw new FrameworkError(
      `Daemon user '${user}' doesn't exist. To run as uid ${user} without an account, set [daemon] group as well.`,
    );
  }
  throw new FrameworkError(`Daemon user '${user}' doesn't exist.`);
}

function resolveGroup(group: string, current: Account, account: Account): { gid: number; name: string } {
  // Proving that no switch is needed must not cost loading the addon or starting getent.
  if (account === current) {
    const gid = process.getgid!();
    const listed = findGroupInFile(gid);
    if (listed && (listed.name === group || String(listed.gid) === group)) return listed;
    if (group === String(gid)) return { gid, name: group };
  }
  const isNumeric = /^\d+$/.test(group);
  const entry = lookUp(() => findGroup(group), `daemon group '${group}'`, isNumeric);
  if (entry) return entry;
  if (isNumeric) return { gid: Number(group), name: group };
  throw new FrameworkError(`Daemon group '${group}' doesn't exist.`);
}

/**
 * Runs an account lookup. A database that cannot be read is an error that
 * says how to fix it, unless `canDoWithout` (a numeric id, usable as it is).
 */
function lookUp<T extends UserEntry | GroupEntry>(
  find: () => T | undefined,
  subject: string,
  canDoWithout = false,
): T | undefined {
  try {
    return find();
  } catch (error) {
    if (canDoWithout && error instanceof AccountLookupUnavailable) return undefined;
    const reason = error instanceof AccountLookupUnavailable ? error.message : String(error);
    throw new FrameworkError(
      `Cannot look up ${subject}: ${reason}. Install the posix addon (npm install posix) or getent, ` +
        'or give [daemon] user and group as numeric ids.',
      { cause: error },
    );
  }
}

/**
 * The name of `account`'s primary group, for messages: from /etc/group when
 * it lists the gid, else from the account database (only for an account that
 * was looked up anyway), else the gid in decimal.
 */
function groupName(account: Account, current: Account): string {
  const gid = account.gid;
  const listed = findGroupInFile(gid);
  if (listed) return listed.name;
  if (account !== current || isPosixLoaded()) {
    try {
      const entry = findGroup(String(gid));
      if (entry?.gid === gid) return entry.name;
    } catch {
      // the name is only for messages
    }
  }
  return String(gid);
}

/**
 * What a daemon's environment keeps after a switch of user, whatever
 * `[daemon] keep_env` adds: the locale, time zone and search path, Node's own
 * settings, what systemd hands a service (notification and listening sockets,
 * watchdog, journal, its directories) and mortar's own variables. `HOME`,
 * `USER` and `LOGNAME` are set to the new user's. A name ending in `*` is a prefix.
 */
export const KEPT_ENVIRONMENT: readonly string[] = Object.freeze([
  'PATH',
  'LANG',
  'LANGUAGE',
  'LC_*',
  'TZ',
  'NODE_*',
  'NOTIFY_SOCKET',
  'LISTEN_*',
  'WATCHDOG_*',
  'JOURNAL_STREAM',
  'INVOCATION_ID',
  'RUNTIME_DIRECTORY',
  'STATE_DIRECTORY',
  'CACHE_DIRECTORY',
  'LOGS_DIRECTORY',
  'CONFIGURATION_DIRECTORY',
  'CREDENTIALS_DIRECTORY',
  'MORTAR_*',
  'HOME',
  'USER',
  'LOGNAME',
]);

/** A `keep_env` entry: a variable name, or a prefix ending in `*`. */
export const KEEP_ENV_ENTRY = /^[A-Za-z_][A-Za-z0-9_]*\*?$/;

/**
 * Removes from `env` every variable no entry of `keep` names (a name, or a
 * prefix ending in `*`), as sudo's `env_reset` does; returns the names removed.
 */
export function resetEnvironment(keep: readonly string[], env: NodeJS.ProcessEnv = process.env): string[] {
  const names = new Set(keep.filter((entry) => !entry.endsWith('*')));
  const prefixes = keep.filter((entry) => entry.endsWith('*')).map((entry) => entry.slice(0, -1));
  const removed: string[] = [];
  for (const name of Object.keys(env)) {
    if (names.has(name) || prefixes.some((prefix) => name.startsWith(prefix))) continue;
    delete env[name];
    removed.push(name);
  }
  return removed;
}

/**
 * Hands the log file root opened to the daemon's user and group, as its pid
 * file is theirs, so that the daemon can reopen it on SIGHUP after the switch.
 * The file is opened again as root with the checks of safe-files.ts.
 */
export function handOverLogFile(path: string, identity: Identity): void {
  if (!path) return;
  let fd: number | undefined;
  try {
    fd = openDaemonFile(path, constants.O_WRONLY | constants.O_APPEND);
    // A device such as /dev/null is no log file of the daemon's own.
    if (fstatSync(fd).isFile()) fchownSync(fd, identity.uid, identity.gid);
  } catch (error) {
    throw new FrameworkError(
      `Cannot hand log file ${path} to user '${identity.user}': ${describeSystemError(error)}.`,
      { cause: error },
    );
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
