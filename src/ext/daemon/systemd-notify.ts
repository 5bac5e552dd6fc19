import type { Logger } from '../../core/logger';

interface DatagramSocket {
  send(buffer: Buffer, offset: number, length: number, path: string, callback: (error?: Error) => void): void;
  close(): void;
}

const NAMESPACE = 'ext.daemon.systemd';

/**
 * Tells systemd about the daemon's state (`sd_notify`) when it started us
 * with `NOTIFY_SOCKET` (a `Type=notify` unit). The variable is taken out of
 * the environment at once, so processes the daemon starts don't inherit it.
 * Node's dgram has no AF_UNIX datagrams, so this uses the optional
 * `unix-dgram` addon; without it, notifications are skipped with a debug line.
 */
export class SystemdNotifier {
  private readonly socketPath: string | undefined;

  constructor(
    private readonly log: Logger,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    const value = env.NOTIFY_SOCKET;
    delete env.NOTIFY_SOCKET;
    if (value && (value.startsWith('/') || value.startsWith('@'))) {
      this.socketPath = value.startsWith('@') ? `\0${value.slice(1)}` : value;
    }
  }

  /** Whether systemd asked for notifications. */
  get isEnabled(): boolean {
    return this.socketPath !== undefined;
  }

  /** The `NOTIFY_SOCKET` value, to hand on to a re-executed daemon child. */
  get socket(): string | undefined {
    return this.socketPath?.replace(/^\0/, '@');
  }

  /** Sends `KEY=value` lines, e.g. `notify('READY=1', 'MAINPID=42')`. Resolves to whether it was sent. */
  notify(...assignments: string[]): boolean {
    if (!this.socketPath) return false;
    let dgram: { createSocket(type: 'unix_dgram'): DatagramSocket };
    try {
      dgram = require('unix-dgram');
    } catch {
      this.log.debug(`the optional 'unix-dgram' addon is not installed: not telling systemd ${assignments.join(' ')}`, NAMESPACE);
      return false;
    }
    const message = Buffer.from(assignments.join('\n'));
    const socket = dgram.createSocket('unix_dgram');
    let sent = true;
    socket.send(message, 0, message.length, this.socketPath, (error) => {
      if (error) {
        sent = false;
        this.log.warning(`cannot notify systemd at ${this.socket}: ${error.message}`, NAMESPACE);
      }
    });
    socket.close();
    if (sent) this.log.debug(`notified systemd: ${assignments.join(' ')}`, NAMESPACE);
    return sent;
  }
}
