/**
 * Whether the process a pid file names is the daemon that wrote it, judged
 * from `/proc`: it must be alive and not a zombie, must have started no later
 * than the file was last written, and must run the same program (a Node
 * binary running the same main script). A reused pid fails one of these.
 */
import { readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { basename, isAbsolute, normalize } from 'node:path';

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

/** The verdict on the process a pid file names. */
export type HolderVerdict =
  | { readonly isDaemon: true }
  | {
      readonly isDaemon: false;
      /** Whether the process is alive (so a signal would reach a process that is not the daemon). */
      readonly isAlive: boolean;
      /** Why it is not the daemon, for one line: `pid 42 is not running`. */
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
 * Judges the process `pid` that a pid file last written at `fileMtimeMs`
 * names. `facts` is undefined when the process does not exist. `resolve`
 * turns a path into its canonical form (`realpath`), when it can.
 */
export function judgeHolder(
  pid: number,
  fileMtimeMs: number,
  facts: ProcessFacts | undefined,
  clock: BootClock,
  program: Program,
  resolve: (path: string) => string | undefined = () => undefined,
): HolderVerdict {
  if (facts === undefined) return { isDaemon: false, isAlive: false, reason: `pid ${pid} is not running` };
  if (isDead(facts.state)) return { isDaemon: false, isAlive: false, reason: `pid ${pid} has exited (a zombie)` };
  const startedMs = clock.bootTimeMs + (facts.startTicks * 1000) / clock.ticksPerSecond;
  if (startedMs > fileMtimeMs + START_TOLERANCE_MS) {
    return {
      isDaemon: false,
      isAlive: true,
      reason: `pid ${pid} started after the pid file was written (${new Date(startedMs).toISOString()}), so its pid was reused`,
    };
  }
  if (!runsProgram(facts, program, resolve)) {
    return { isDaemon: false, isAlive: true, reason: `pid ${pid} is another program (${describeCommand(facts)})` };
  }
  return { isDaemon: true };
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
export function runsProgram(facts: ProcessFacts, program: Program, resolve: (path: string) => string | undefined): boolean {
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

/** A short description of what a process runs, for messages: its command line, cut at 60 characters. */
function describeCommand(facts: ProcessFacts): string {
  const command = facts.argv.length > 0 ? facts.argv.join(' ') : facts.executable ?? 'a kernel thread';
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
  const littleEndian = (require('node:os') as typeof import('node:os')).endianness() === 'LE';
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
