import { fstatSync } from 'node:fs';
import { FrameworkError } from '../../core/errors';
import { handOnListenFds, type ListenFds } from '../systemd/listen-fds';

/**
 * The sockets systemd passed the cluster primary (socket activation), handed
 * on to every worker at the same descriptor numbers with `LISTEN_FDS` and
 * `LISTEN_FDNAMES`, so that `app.listenFds()` in a worker gives what it gives
 * in the primary. A worker's `server.listen({ fd })` is then shared through
 * the primary as any listening socket of Node's cluster: the primary listens
 * on its own descriptor and hands each connection to one worker.
 *
 * Node's cluster closes that descriptor in the primary when the last worker
 * listening on it ends (all workers gone at once: a crash of the only one).
 * No later worker could serve it then, so {@link lost} tells.
 */
export class ActivatedSockets {
  /** Device and inode of each descriptor, as it was when the primary started. */
  private readonly identities: ReadonlyMap<number, string>;
  private readonly names: ReadonlyMap<number, string>;

  constructor(private readonly fds: ListenFds) {
    const identities = new Map<number, string>();
    const names = new Map<number, string>();
    for (const [name, list] of fds) {
      for (const fd of list) {
        identities.set(fd, identity(fd) ?? '');
        names.set(fd, name);
      }
    }
    this.identities = identities;
    this.names = names;
  }

  /** Whether systemd passed any socket. */
  get isEmpty(): boolean {
    return this.identities.size === 0;
  }

  /**
   * The workers' stdio: their stdin, stdout and stderr are the primary's, each
   * passed socket keeps its number, and the cluster's channel comes after them.
   */
  stdio(): (number | 'ipc' | 'ignore')[] {
    const highest = Math.max(2, ...this.identities.keys());
    const stdio: (number | 'ipc' | 'ignore')[] = [0, 1, 2];
    for (let fd = 3; fd <= highest; fd++) stdio.push(this.identities.has(fd) ? fd : 'ignore');
    stdio.push('ipc');
    return stdio;
  }

  /** The variables that tell a worker which descriptors are which (`LISTEN_FDS`, `LISTEN_FDNAMES`). */
  environment(): Record<string, string> {
    return handOnListenFds(this.fds).env;
  }

  /** The error that stops the daemon when a passed socket is no longer open in the primary; undefined while all are. */
  lost(): FrameworkError | undefined {
    for (const [fd, was] of this.identities) {
      if (identity(fd) === was) continue;
      return new FrameworkError(
        `The socket systemd passed (fd ${fd}, ${this.names.get(fd)}) was closed when the last worker serving it ended ` +
          "(Node's cluster closes a shared socket with its last worker), so no new worker can serve it; " +
          'the daemon stops: restart the service (Restart=on-failure does), and run 2 workers or more so that one crash never ends them all.',
      );
    }
    return undefined;
  }
}

/** `dev:ino` of an open descriptor, or undefined when it is closed. */
function identity(fd: number): string | undefined {
  try {
    const stat = fstatSync(fd);
    return `${stat.dev}:${stat.ino}`;
  } catch {
    return undefined;
  }
}
