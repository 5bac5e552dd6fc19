import { closeSync, constants, fstatSync, openSync, readSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import type { WorkerState } from './cluster-primary';

/** What the primary writes next to its pid file for `daemon status`. */
interface WorkersStateFile {
  /** The primary's pid: the file counts only while the pid file names the same live process. */
  readonly pid: number;
  readonly workers: readonly WorkerState[];
}

const MAX_BYTES = 1 << 20;

/** `<pid_file>.workers`: the workers of the daemon that pid file names. */
export function workersStatePath(pidFile: string): string {
  return `${pidFile}.workers`;
}

/**
 * Replaces the state file in one step: written to a new file of its own
 * (created exclusively, never through a symbolic link) in the pid file's
 * directory, then renamed over the old one, so a reader sees the old or the
 * new state, never half of one, and nothing else is ever written through.
 */
export function writeWorkersState(path: string, workers: readonly WorkerState[]): void {
  const temporary = `${path}.${process.pid}.tmp`;
  const fd = openSync(
    temporary,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    0o644,
  );
  try {
    writeSync(fd, `${JSON.stringify({ pid: process.pid, workers } satisfies WorkersStateFile)}\n`);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(temporary, path);
  } catch (error) {
    unlinkSync(temporary);
    throw error;
  }
}

/**
 * The workers the state file lists, when it was written by `primaryPid` (the
 * live daemon the pid file names); undefined for no file, a file of another
 * process (a daemon that was killed), or one that is not a small regular file
 * of the expected shape.
 */
export function readWorkersState(path: string, primaryPid: number): WorkerState[] | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile() || stat.size > MAX_BYTES) return undefined;
    const buffer = Buffer.alloc(stat.size);
    const length = readSync(fd, buffer, 0, stat.size, 0);
    const state = JSON.parse(buffer.toString('utf8', 0, length)) as Partial<WorkersStateFile>;
    if (state.pid !== primaryPid || !Array.isArray(state.workers)) return undefined;
    return state.workers.filter(
      (worker) =>
        typeof worker?.pid === 'number' && typeof worker.slot === 'number' && typeof worker.startedAt === 'number',
    );
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** Removes the state file if this process wrote it. */
export function removeWorkersState(path: string): void {
  if (readWorkersState(path, process.pid) === undefined) return;
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}
