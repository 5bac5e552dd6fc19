/**
 * What `/proc` tells about the process a pid file names: whether it holds the
 * file open (the daemon keeps its pid file open for its lifetime, so that is
 * what makes a process the daemon, whatever the clocks say and however the
 * program was started), and, where its descriptors cannot be read, what its
 * start time and program suggest.
 */
import { readFileSync, readdirSync, readlinkSync, realpathSync, statSync, type BigIntStats } from 'node:fs';
import { basename, isAbsolute, normalize } from 'node:path';
import { lazy } from '../../core/lazy';

const os = lazy<typeof import('node:os')>(require, 'node:os');

/** What `/proc/<pid>` tells about a process. */
export interface ProcessFacts {
  /** The state letter of `/proc/<pid>/stat` (`R`, `S`, `D`, `Z`...). */
  readonly state: string;
  /** When it started, in clock ticks after boot (field 22 of `/proc/<pid>/stat`). */
  readonly startTicks: number;
  /** Its command line; empty for a kernel thread or a zombie. */
  readonly argv: readonly string[];
  /** Its executable (`/proc/<pid>/exe`), when this process may read it (same user, or root). */
  readonly executable?: string;
}

/** The program this app's daemon runs: its Node binary and its main script, each under every name it goes by. */
export interface Program {
  /** The binary's paths (as started, and resolved). */
  readonly executables: readonly string[];
  /** The main script's absolute paths (as started, and resolved); empty when there is none (`node -e`). */
  readonly scripts: readonly string[];
}

/** How to turn start ticks into wall-clock time. */
export interface BootClock {
  /** When the system booted, in ms since the epoch (`btime` of `/proc/stat`). */
  readonly bootTimeMs: number;
  /** Clock ticks per second (`getconf CLK_TCK`; 100 on Linux). */
  readonly ticksPerSecond: number;
}

/**
 * What start time and program say about a process a pid file names, where
 * its descriptors cannot be read (see {@link holdsFile}): `daemon` when both
 * agree it is, `another-program` when it runs something else (conclusive),
 * `inconclusive` otherwise — clocks move and files get touched, so a start
 * after the file's mtime proves nothing.
 */
export type Evidence =
  | { readonly evidence: 'daemon' }
  | {
      readonly evidence: 'another-program' | 'inconclusive';
      /** Why, for one line: `pid 42 is another program (sleep 30)`. */
      readonly reason: string;
    };

/**
 * How much later than the pid file's mtime a process may seem to have started
 * and still be its writer: `btime` and start ticks are rounded down, but a
 * file's mtime comes from a coarse clock and some file systems keep whole or
 * even seconds only.
 */
export const START_TOLERANCE_MS = 2000;

/**
 * Weighs the evidence about the live process `facts` describes, named by a
 * pid file last written at `fileMtimeMs`: the fallback for a process whose
 * descriptors this process may not read. `resolve` turns a path into its
 * canonical form (`realpath`), when it can.
 */
export function weighEvidence(
  pid: number,
  fileMtimeMs: number,
  facts: ProcessFacts,
  clock: BootClock | undefined,
  program: Program,
  resolve: (path: string) => string | undefined = () => undefined,
): Evidence {
  if (!runsProgram(facts, program, resolve)) {
    return { evidence: 'another-program', reason: `pid ${pid} is another program (${describeCommand(facts)})` };
  }
  if (clock === undefined) return { evidence: 'inconclusive', reason: `its start time is unknown` };
  const startedMs = clock.bootTimeMs + (facts.startTicks * 1000) / clock.ticksPerSecond;
  if (startedMs > fileMtimeMs + START_TOLERANCE_MS) {
    return {
      evidence: 'inconclusive',
      reason: `it started (${new Date(startedMs).toISOString()}) after the pid file was last written`,
    };
  }
  return { evidence: 'daemon' };
}

/** A file as the kernel knows it: device and inode. */
export interface FileIdentity {
  readonly dev: bigint;
  readonly ino: bigint;
}

/**
 * Whether process `pid` holds `file` open: one of `/proc/<pid>/fd/*` is that
 * file (`stat` follows the magic link to the open file itself, whatever its
 * path). `'unreadable'` when this process may not read that directory
 * (another user's process, or one that switched user and so is not
 * dumpable: only root reads it then) or there is no `/proc`; `'gone'` when
 * the process has ended. Only descriptors whose link names a path are
 * stat'ed: a Node daemon has a dozen or more sockets, pipes and event
 * descriptors, and a handful of files.
 */
export function holdsFile(pid: number, file: FileIdentity): boolean | 'unreadable' | 'gone' {
  const found = descriptorOf(pid, file);
  return typeof found === 'number' ? true : found;
}

/**
 * The flag a daemon opens its pid file with to hold it: `O_PATH` (Linux), a
 * descriptor that pins the file without reading it, and that nothing else
 * that opens a pid file (a `status`, a starter, `cat`, `tail -f`) uses, so a
 * process that merely reads the file at some moment is never taken for its
 * holder.
 */
export const HOLD_FLAG = 0o10000000;

/** {@link holdsFile}, with the number of the descriptor that holds the file. */
function descriptorOf(pid: number, file: FileIdentity): number | false | 'unreadable' | 'gone' {
  const dir = `/proc/${pid}/fd`;
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' && hasProc() ? 'gone' : 'unreadable';
  }
  for (const entry of entries) {
    const link = `${dir}/${entry}`;
    let stat: BigIntStats;
    try {
      // Sockets, pipes, event descriptors and devices read as `socket:[N]`, `anon_inode:[...]`, `/dev/...`:
      // reading the link is cheaper than a stat, and only a path can be the file.
      const target = readlinkSync(link);
      if (!target.startsWith('/') || target.startsWith('/dev/')) continue;
      stat = statSync(link, { bigint: true });
    } catch {
      continue; // closed while listing
    }
    if (stat.ino === file.ino && stat.dev === file.dev) return Number(entry);
  }
  return false;
}

/**
 * A process other than this one and `except` that holds `file` open and runs
 * `program`'s binary, found by searching every `/proc/<pid>/fd` this process
 * may read; undefined when there is none. This is how a daemon is recognised
 * whose pid file was written in another pid namespace (a container shares
 * the file, not the pid: the file says 1). The holder must run `program`'s
 * binary and hold the file by a descriptor opened with {@link HOLD_FLAG}, as
 * the daemon does: a `tail -f` of the file, or a `status` reading it at that
 * very moment, is never taken for the daemon.
 */
export function findHolder(file: FileIdentity, program: Program, except: number): number | undefined {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return undefined;
  }
  const names = new Set(program.executables.map((path) => basename(path)));
  for (const entry of entries) {
    if (!/^[1-9]\d*$/.test(entry)) continue;
    const pid = Number(entry);
    // The binary first: reading one link is far cheaper than every descriptor of every process.
    if (pid === process.pid || pid === except || !names.has(basename(binaryOf(pid)))) continue;
    const before = startTicksOf(pid);
    const fd = descriptorOf(pid, file);
    if (typeof fd !== 'number' || !hasFlag(pid, fd, HOLD_FLAG)) continue;
    const stat = readStat(pid);
    if (typeof stat === 'object' && !isDead(stat.state) && stat.startTicks === before) return pid;
  }
  return undefined;
}

/** Whether a `/proc/<pid>/stat` state letter means the process has exited (a zombie, or dead). */
export function isDead(state: string): boolean {
  return state === 'Z' || state === 'X' || state === 'x';
}

/**
 * Whether a process runs `program`: its binary is the same (or has the same
 * name: another Node installation), and one of its arguments names the same
 * main script (a relative argument must be a tail of the script's path).
 */
export function runsProgram(
  facts: ProcessFacts,
  program: Program,
  resolve: (path: string) => string | undefined,
): boolean {
  const binary = (facts.executable ?? facts.argv[0] ?? '').replace(/ \(deleted\)$/, '');
  if (!binary) return false;
  const names = new Set(program.executables.map((path) => basename(path)));
  if (!program.executables.includes(binary) && !names.has(basename(binary))) return false;
  if (program.scripts.length === 0) return true;
  return facts.argv.slice(1).some((argument) => {
    if (argument === '' || argument.startsWith('-')) return false;
    if (isAbsolute(argument)) {
      if (program.scripts.includes(argument)) return true;
      const real = resolve(argument);
      return real !== undefined && program.scripts.includes(real);
    }
    const tail = normalize(argument);
    return !tail.startsWith('..') && program.scripts.some((script) => script.endsWith(`/${tail}`));
  });
}

/** Whether descriptor `fd` of process `pid` was opened with `flag` (the octal `flags:` of `/proc/<pid>/fdinfo/<fd>`). */
function hasFlag(pid: number, fd: number, flag: number): boolean {
  try {
    const flags = /^flags:\s*([0-7]+)$/m.exec(readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'))?.[1];
    return flags !== undefined && (parseInt(flags, 8) & flag) !== 0;
  } catch {
    return false;
  }
}

/** The path of the binary a process runs (its command line's first word when `/proc/<pid>/exe` is closed to this user); '' when gone. */
function binaryOf(pid: number): string {
  try {
    return readlinkSync(`/proc/${pid}/exe`).replace(/ \(deleted\)$/, '');
  } catch {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      const end = argv.indexOf('\0');
      return end === -1 ? argv : argv.slice(0, end);
    } catch {
      return '';
    }
  }
}

/**
 * A short description of what a process runs, for messages: its command line
 * on one line (any run of white space or control characters as one space),
 * cut at 60 characters.
 */
export function describeCommand(facts: ProcessFacts): string {
  const command = (facts.argv.length > 0 ? facts.argv.join(' ') : (facts.executable ?? 'a kernel thread'))
    // eslint-disable-next-line no-control-regex -- a command line can hold control characters, which a message must not
    .replace(/[\s\x00-\x1f\x7f]+/g, ' ')
    .trim();
  return command.length > 60 ? `${command.slice(0, 57)}...` : command;
}

/** The state letter and start time of `/proc/<pid>/stat`. */
export interface ProcessStat {
  readonly state: string;
  readonly startTicks: number;
}

/**
 * Reads `/proc/<pid>/stat`: `'gone'` when there is no such process, or
 * `'unknown'` when `/proc` cannot tell (not mounted, or the process is hidden
 * from this user by `hidepid`).
 */
export function readStat(pid: number): ProcessStat | 'gone' | 'unknown' {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || !hasProc()) return 'unknown';
    return existsBySignal(pid) ? 'unknown' : 'gone';
  }
  // The command name in parentheses may itself contain ')' or spaces: the fields follow the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const startTicks = Number(fields[19]);
  return Number.isFinite(startTicks) ? { state: fields[0] ?? '', startTicks } : 'unknown';
}

/** {@link readStat}, with the command line and the executable. */
export function readProcess(pid: number): ProcessFacts | 'gone' | 'unknown' {
  const stat = readStat(pid);
  if (typeof stat !== 'object') return stat;
  let argv: string[] = [];
  try {
    const text = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    argv = text === '' ? [] : text.replace(/\0$/, '').split('\0');
  } catch {
    // exited meanwhile: the state read above still stands
  }
  let executable: string | undefined;
  try {
    executable = readlinkSync(`/proc/${pid}/exe`);
  } catch {
    // another user's process (or a kernel thread): the command line's first word stands in
  }
  return { ...stat, argv, executable };
}

/** The start time of a process in clock ticks after boot, or undefined when it cannot be read. */
export function startTicksOf(pid: number): number | undefined {
  const stat = readStat(pid);
  return typeof stat === 'object' ? stat.startTicks : undefined;
}

/** The boot time and tick rate of this system, or undefined without `/proc`. */
export function bootClock(): BootClock | undefined {
  try {
    const match = /^btime\s+(\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'));
    if (!match) return undefined;
    return { bootTimeMs: Number(match[1]) * 1000, ticksPerSecond: ticksPerSecond() };
  } catch {
    return undefined;
  }
}

let programOfThisProcess: Program | undefined;

/** The program this process runs (`process.execPath` and `process.argv[1]`). */
export function currentProgram(): Program {
  return (programOfThisProcess ??= {
    executables: withRealPath(process.execPath),
    scripts: process.argv[1] && isAbsolute(process.argv[1]) ? withRealPath(process.argv[1]) : [],
  });
}

/** `realpath`, or undefined when the path cannot be resolved. */
export function realPath(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}

function withRealPath(path: string): string[] {
  const real = realPath(path);
  return real === undefined || real === path ? [path] : [path, real];
}

let ticks: number | undefined;

/**
 * Clock ticks per second: `AT_CLKTCK` from this process's auxiliary vector
 * (what `getconf CLK_TCK` reports), else 100, the value on every common Linux.
 */
function ticksPerSecond(): number {
  return (ticks ??= auxiliaryValue(17) ?? 100);
}

function auxiliaryValue(type: number): number | undefined {
  let vector: Buffer;
  try {
    vector = readFileSync('/proc/self/auxv');
  } catch {
    return undefined;
  }
  const word = process.arch.endsWith('64') ? 8 : 4;
  const littleEndian = os().endianness() === 'LE';
  const at = (offset: number): number =>
    word === 8
      ? Number(littleEndian ? vector.readBigUInt64LE(offset) : vector.readBigUInt64BE(offset))
      : littleEndian
        ? vector.readUInt32LE(offset)
        : vector.readUInt32BE(offset);
  for (let offset = 0; offset + 2 * word <= vector.length; offset += 2 * word) {
    const key = at(offset);
    if (key === 0) break;
    if (key === type) {
      const value = at(offset + word);
      return value > 0 ? value : undefined;
    }
  }
  return undefined;
}

function hasProc(): boolean {
  try {
    return readlinkSync('/proc/self') !== '';
  } catch {
    return false;
  }
}

/** Whether a process exists, as `kill(pid, 0)` tells (another user's process counts). */
export function existsBySignal(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
