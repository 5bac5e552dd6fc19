import { fstatSync } from 'node:fs';

/** The first descriptor systemd passes (`SD_LISTEN_FDS_START`). */
export const LISTEN_FDS_START = 3;
/** The variables of socket activation (sd_listen_fds(3)). */
export const LISTEN_VARIABLES = ['LISTEN_FDS', 'LISTEN_PID', 'LISTEN_FDNAMES'] as const;

/** Descriptors passed by systemd's socket activation, by name (`FileDescriptorName=`, else the socket unit's name). */
export type ListenFds = ReadonlyMap<string, readonly number[]>;

/**
 * The descriptors systemd passed this process (sd_listen_fds_with_names(3)):
 * `LISTEN_FDS` of them from descriptor 3 on, meant for `LISTEN_PID`, named by
 * `LISTEN_FDNAMES` (`unknown` where a name is missing). The three variables
 * are taken out of the environment whatever they say, so that children never
 * take the descriptors for theirs. A daemon child started by `--daemon` gets
 * them from its invoker without `LISTEN_PID` (its pid was not known yet):
 * `isHandedOn` accepts that.
 */
export function takeListenFds(
  env: NodeJS.ProcessEnv = process.env,
  pid: number = process.pid,
  isHandedOn = false,
): ListenFds {
  const count = env.LISTEN_FDS;
  const owner = env.LISTEN_PID;
  const names = env.LISTEN_FDNAMES;
  for (const name of LISTEN_VARIABLES) delete env[name];
  const fds = new Map<string, number[]>();
  if (count === undefined || !/^\d+$/.test(count) || Number(count) === 0) return fds;
  const isOurs = owner === undefined || owner === '' ? isHandedOn : /^\d+$/.test(owner) && Number(owner) === pid;
  if (!isOurs) return fds;
  const nameList = names === undefined ? [] : names.split(':');
  for (let index = 0; index < Number(count); index++) {
    const fd = LISTEN_FDS_START + index;
    if (!isOpen(fd)) continue;
    const name = nameList[index] || 'unknown';
    fds.set(name, [...(fds.get(name) ?? []), fd]);
  }
  return fds;
}

/** The variables and descriptor list that hand `fds` on to a daemon child, at the same numbers. */
export function handOnListenFds(fds: ListenFds): { env: Record<string, string>; descriptors: number[] } {
  const byFd = [...fds].flatMap(([name, list]) => list.map((fd) => ({ fd, name }))).sort((a, b) => a.fd - b.fd);
  if (byFd.length === 0) return { env: {}, descriptors: [] };
  return {
    env: { LISTEN_FDS: String(byFd.length), LISTEN_FDNAMES: byFd.map(({ name }) => name).join(':') },
    descriptors: byFd.map(({ fd }) => fd),
  };
}

function isOpen(fd: number): boolean {
  try {
    fstatSync(fd);
    return true;
  } catch {
    return false;
  }
}
