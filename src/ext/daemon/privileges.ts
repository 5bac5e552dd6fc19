/**
 * Who the daemon runs as: resolving `[daemon] user` and `group` to ids, and
 * switching to them. Account lookups go through the `posix` addon (the C
 * library, so NSS sources such as LDAP count), which is loaded only when the
 * user or group differs from the invoker's: a daemon that keeps them pays
 * nothing for it. Ids are switched with Node's own `process.initgroups`,
 * `setgid` and `setuid`.
 */
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { FrameworkError } from '../../core/errors';

/** The account and group a daemon runs as. */
export interface Identity {
  /** The user name. */
  readonly user: string;
  readonly uid: number;
  readonly gid: number;
  /** The group name; the gid in decimal when the group has no name the cheap lookup can find. */
  readonly group: string;
  /** The user's home directory, from the account database. */
  readonly home: string;
  /** Whether applying this identity changes the process's uid or gid. */
  readonly changes: boolean;
}

interface Account {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
}

/** Node has `process.initgroups` on POSIX systems; its type declarations lack it. */
interface ProcessWithInitgroups {
  initgroups(user: string | number, extraGroup: string | number): void;
}

interface PosixAccounts {
  getpwnam(user: string | number): { name: string; uid: number; gid: number; dir: string };
  getgrnam(group: string | number): { name: string; gid: number };
}

/**
 * Resolves the daemon's user and group. `user` defaults to the invoking user,
 * `group` to the primary group of `user` (not of the invoker). Both accept a
 * name or a numeric id; an all-digit value is tried as a name first.
 */
export function resolveIdentity(user?: string, group?: string): Identity {
  const current = currentAccount();
  const account = !user || user === current.name || user === String(current.uid) ? current : lookUpUser(user);
  const target = group ? resolveGroup(group, current, account) : { gid: account.gid, name: groupName(account.gid) };
  return {
    user: account.name,
    uid: account.uid,
    gid: target.gid,
    group: target.name,
    home: account.home,
    changes: account.uid !== process.getuid!() || target.gid !== process.getgid!(),
  };
}

/**
 * Switches the process to `identity`: the user's supplementary groups
 * (`initgroups`), then the gid, then the uid, so no group of the invoker
 * survives; then points HOME, USER and LOGNAME at the user. Does nothing when
 * the identity changes no id.
 */
export function applyIdentity(identity: Identity, env: NodeJS.ProcessEnv = process.env): void {
  if (!identity.changes) return;
  try {
    (process as unknown as ProcessWithInitgroups).initgroups(identity.user, identity.gid);
    process.setgid!(identity.gid);
    process.setuid!(identity.uid);
  } catch (error) {
    throw switchError(identity, error);
  }
  env.HOME = identity.home;
  env.USER = identity.user;
  env.LOGNAME = identity.user;
}

function switchError(identity: Identity, error: unknown): FrameworkError {
  const code = (error as NodeJS.ErrnoException).code;
  const reason = code === 'EPERM' ? 'operation not permitted' : error instanceof Error ? error.message : String(error);
  const culprit =
    identity.uid !== process.getuid!()
      ? `user '${identity.user}' (uid ${identity.uid})`
      : `group '${identity.group}' (gid ${identity.gid})`;
  const setting = culprit.startsWith('user') ? 'user' : 'group';
  return new FrameworkError(
    `Cannot switch to ${culprit}: ${reason}; run as root or leave [daemon] ${setting} unset.`,
    { cause: error },
  );
}

function currentAccount(): Account {
  try {
    const info = userInfo();
    return { name: info.username, uid: info.uid, gid: info.gid, home: info.homedir };
  } catch {
    // The invoking uid has no account entry (e.g. an arbitrary uid in a container).
    const uid = process.getuid!();
    return { name: String(uid), uid, gid: process.getgid!(), home: process.env.HOME ?? '/' };
  }
}

function lookUpUser(user: string): Account {
  const entry = lookUp(user, (key) => posix().getpwnam(key), `Daemon user '${user}'`);
  return { name: entry.name, uid: entry.uid, gid: entry.gid, home: entry.dir };
}

function resolveGroup(group: string, current: Account, account: Account): { gid: number; name: string } {
  // Proving that no switch is needed must not cost loading the addon.
  if (account === current) {
    const listed = groupFile().find((entry) => entry.name === group || String(entry.gid) === group);
    if (listed?.gid === process.getgid!()) return listed;
    if (group === String(process.getgid!())) return { gid: process.getgid!(), name: group };
  }
  return lookUp(group, (key) => posix().getgrnam(key), `Daemon group '${group}'`);
}

/** Looks a name up, then, for an all-digit value that is no name, the id. */
function lookUp<T>(key: string, find: (key: string | number) => T, subject: string): T {
  try {
    return find(key);
  } catch (error) {
    if (/^\d+$/.test(key)) {
      try {
        return find(Number(key));
      } catch {
        // fall through to the error about the name
      }
    }
    if (error instanceof Error && /does not exist/.test(error.message)) {
      throw new FrameworkError(`${subject} doesn't exist.`);
    }
    throw new FrameworkError(`${subject} could not be looked up: ${String(error)}`, { cause: error });
  }
}

function groupName(gid: number): string {
  if (loadedPosix) {
    try {
      return loadedPosix.getgrnam(gid).name;
    } catch {
      return String(gid);
    }
  }
  return groupFile().find((entry) => entry.gid === gid)?.name ?? String(gid);
}

/** The local group database; a default group's name is not worth loading the addon for. */
function groupFile(): { name: string; gid: number }[] {
  let text: string;
  try {
    text = readFileSync('/etc/group', 'utf8');
  } catch {
    return [];
  }
  const groups: { name: string; gid: number }[] = [];
  for (const line of text.split('\n')) {
    const [name, , gid] = line.split(':');
    if (name && gid && /^\d+$/.test(gid)) groups.push({ name, gid: Number(gid) });
  }
  return groups;
}

let loadedPosix: PosixAccounts | undefined;

function posix(): PosixAccounts {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  loadedPosix ??= require('posix') as PosixAccounts;
  return loadedPosix;
}
