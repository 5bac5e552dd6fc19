/**
 * Closing the descriptors a daemon inherited from whoever started it: a
 * caller's pipe held open by a daemon keeps that caller waiting for an end of
 * file that never comes.
 *
 * Everything Node and libuv open is close-on-exec; a descriptor that is not
 * was inherited. Node marks descriptors 0 to 15 (and any open right after
 * them) close-on-exec itself at startup, so those cannot be told apart here
 * and their flags are not even read (each read costs a start); they also
 * never reach an exec'd child, which is why an inherited descriptor that
 * survives into a re-executed daemon always lies above them.
 */
import { closeSync, readFileSync, readdirSync } from 'node:fs';

const O_CLOEXEC = 0o2000000;
/** The highest descriptor Node marks close-on-exec at startup whether it is open or not. */
const MARKED_BY_NODE = 15;

/**
 * Closes every inherited descriptor above 15 (see above) that is not in `keep`, and
 * returns the ones it closed. Linux only: does nothing where `/proc` is missing.
 * The process's IPC channel to its parent, if any, is always kept.
 */
export function closeInheritedFds(keep: readonly number[]): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc/self/fd');
  } catch {
    return [];
  }
  const kept = new Set(keep);
  const channelFd = (process.channel as { fd?: unknown } | undefined)?.fd;
  if (typeof channelFd === 'number') kept.add(channelFd);

  const closed: number[] = [];
  for (const entry of entries) {
    const fd = Number(entry);
    if (!Number.isInteger(fd) || fd <= MARKED_BY_NODE || kept.has(fd)) continue;
    // The descriptor that listed the directory is closed by now, or reused by
    // Node's own close-on-exec ones: reading its flags tells which.
    const flags = descriptorFlags(fd);
    if (flags === undefined || (flags & O_CLOEXEC) !== 0) continue;
    try {
      closeSync(fd);
      closed.push(fd);
    } catch {
      // closed meanwhile
    }
  }
  return closed;
}

function descriptorFlags(fd: number): number | undefined {
  try {
    const match = /^flags:\s*([0-7]+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
    return match ? parseInt(match[1], 8) : undefined;
  } catch {
    return undefined;
  }
}
