/**
 * The account database, for resolving `[daemon] user` and `group`. Three
 * sources, tried in order:
 *
 * 1. the optional `posix` addon (`getpwnam`/`getgrnam` in process, through
 *    the C library, so every NSS source counts: files, LDAP, systemd, sss);
 * 2. `getent passwd|group KEY`, which asks the same NSS sources without
 *    native code in this process;
 * 3. `/etc/passwd` and `/etc/group`, read directly, when neither of the
 *    others is there (a minimal container with no addon and no getent).
 *
 * A source that answers "no such entry" is believed; the next one is asked
 * only when a source cannot answer at all.
 */
import { readFileSync } from 'node:fs';
import { lazy } from '../../core/lazy';

/** A user database entry. */
export interface UserEntry {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
}

/** A group database entry. */
export interface GroupEntry {
  readonly name: string;
  readonly gid: number;
}

/** Thrown when no source can answer: no addon, no getent, and the file is unreadable. */
export class AccountLookupUnavailable extends Error {
  override readonly name = 'AccountLookupUnavailable';
}

interface PosixAccounts {
  getpwnam(key: string | number): { name: string; uid: number; gid: number; dir: string };
  getgrnam(key: string | number): { name: string; gid: number };
}

/** Errors getpwnam(3)/getgrnam(3) may leave in errno for an entry that simply does not exist. */
const NOT_FOUND_CODES = new Set(['ENOENT', 'ESRCH', 'EBADF', 'EPERM']);

const posixAddon = lazy<PosixAccounts>(require, 'posix');
// child_process (with net and streams) is loaded only when a lookup needs getent.
const childProcess = lazy<typeof import('node:child_process')>(require, 'node:child_process');

let posixModule: PosixAccounts | null | undefined;

/** The posix addon, or null when it is not installed or does not load (built for another Node). */
function posix(): PosixAccounts | null {
  if (posixModule === undefined) {
    try {
      posixModule = posixAddon();
    } catch {
      posixModule = null;
    }
  }
  return posixModule;
}

/** Whether the posix addon has been loaded by an earlier lookup (reading it never loads it). */
export function isPosixLoaded(): boolean {
  return posixModule !== undefined && posixModule !== null;
}

/**
 * The user named `key`, or, for an all-digit key that names no user, the
 * user with that uid; undefined when there is none.
 */
export function findUser(key: string): UserEntry | undefined {
  return find(
    'passwd',
    key,
    (addon, k) => {
      const entry = addon.getpwnam(k);
      return { name: entry.name, uid: entry.uid, gid: entry.gid, home: entry.dir };
    },
    parsePasswdLine,
  );
}

/**
 * The group named `key`, or, for an all-digit key that names no group, the
 * group with that gid; undefined when there is none.
 */
export function findGroup(key: string): GroupEntry | undefined {
  return find(
    'group',
    key,
    (addon, k) => {
      const entry = addon.getgrnam(k);
      return { name: entry.name, gid: entry.gid };
    },
    parseGroupLine,
  );
}

/**
 * The group with id `gid` from `/etc/group` alone: naming a group that needs
 * no switching is not worth loading the addon or starting getent.
 */
export function findGroupInFile(gid: number): GroupEntry | undefined {
  return readDatabase('/etc/group', parseGroupLine)?.find(({ id }) => id === gid)?.entry;
}

type Database = 'passwd' | 'group';

/** One line of a database file: the entry, and its name and numeric id for matching. */
interface Parsed<T> {
  readonly entry: T;
  readonly name: string;
  readonly id: number;
}

function find<T>(
  database: Database,
  key: string,
  fromAddon: (addon: PosixAccounts, key: string | number) => T,
  parseLine: (line: string) => Parsed<T> | undefined,
): T | undefined {
  if (key === '' || /[:\n\0]/.test(key) || key.startsWith('-')) return undefined;
  const isNumeric = /^\d+$/.test(key);
  const addon = posix();
  if (addon) {
    const byName = askAddon(() => fromAddon(addon, key));
    if (byName !== undefined || !isNumeric) return byName;
    return askAddon(() => fromAddon(addon, Number(key)));
  }
  const answer = askGetent(database, key, parseLine);
  if (answer !== NO_GETENT) return answer;
  const lines = readDatabase(`/etc/${database}`, parseLine);
  if (!lines) {
    throw new AccountLookupUnavailable(
      `the optional posix addon is not installed, there is no getent command, and /etc/${database} cannot be read`,
    );
  }
  const found =
    lines.find(({ name }) => name === key) ?? (isNumeric ? lines.find(({ id }) => id === Number(key)) : undefined);
  return found?.entry;
}

function askAddon<T>(lookUp: () => T): T | undefined {
  try {
    return lookUp();
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    if (/does not exist/.test(message) || (code !== undefined && NOT_FOUND_CODES.has(code))) return undefined;
    throw error;
  }
}

const NO_GETENT = Symbol('no getent');

/**
 * `getent DATABASE KEY`: exit 0 with the entry, 2 when there is none. glibc's
 * getent takes an all-digit key as an id, others as a name. When there is no
 * getent to run, the files are read instead; when it runs but fails (an NSS
 * source that does not answer), nothing is guessed.
 */
function askGetent<T>(
  database: Database,
  key: string,
  parseLine: (line: string) => Parsed<T> | undefined,
): T | undefined | typeof NO_GETENT {
  let output: string;
  try {
    output = childProcess().execFileSync('getent', [database, key], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: GETENT_TIMEOUT_MS,
    });
  } catch (error) {
    const failure = error as NodeJS.ErrnoException & {
      status?: number | null;
      signal?: string | null;
      stderr?: string;
    };
    if (failure.status === 2) return undefined;
    if (failure.code === 'ENOENT' || failure.code === 'EACCES') return NO_GETENT;
    const why =
      failure.signal === 'SIGTERM'
        ? `timed out after ${GETENT_TIMEOUT_MS / 1000} s`
        : failure.status != null
          ? `exit ${failure.status}${failure.stderr?.trim() ? `: ${failure.stderr.trim().split('\n')[0]}` : ''}`
          : failure.message;
    throw new AccountLookupUnavailable(`'getent ${database} ${key}' failed (${why})`);
  }
  const parsed = parseLine(output.split('\n')[0] ?? '');
  if (!parsed) throw new AccountLookupUnavailable(`'getent ${database} ${key}' printed no ${database} entry`);
  return parsed.entry;
}

const GETENT_TIMEOUT_MS = 10_000;

function readDatabase<T>(path: string, parseLine: (line: string) => T | undefined): T[] | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  const entries: T[] = [];
  for (const line of text.split('\n')) {
    const entry = parseLine(line);
    if (entry) entries.push(entry);
  }
  return entries;
}

/** `name:password:uid:gid:gecos:home:shell`. */
function parsePasswdLine(line: string): Parsed<UserEntry> | undefined {
  const [name, , uid, gid, , home] = line.split(':');
  if (!name || !/^\d+$/.test(uid ?? '') || !/^\d+$/.test(gid ?? '')) return undefined;
  return { entry: { name, uid: Number(uid), gid: Number(gid), home: home || '/' }, name, id: Number(uid) };
}

/** `name:password:gid:members`. */
function parseGroupLine(line: string): Parsed<GroupEntry> | undefined {
  const [name, , gid] = line.split(':');
  if (!name || !/^\d+$/.test(gid ?? '')) return undefined;
  return { entry: { name, gid: Number(gid) }, name, id: Number(gid) };
}
