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
  /** The `NOTIFY_SOCKET` value as systemd gave it. */
  readonly socket: string | undefined;

  constructor(
    private readonly log: Logger,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    const value = env.NOTIFY_SOCKET;
    delete env.NOTIFY_SOCKET;
    this.socket = value && (value.startsWith('/') || value.startsWith('@')) ? value : undefined;
  }

  /** Sends `KEY=value` lines, e.g. `notify('READY=1', 'MAINPID=42')`. Returns whether it was sent. */
  notify(...assignments: string[]): boolean {
    if (!this.socket) return false;
    const what = assignments.join(' ');
    if (this.socket.startsWith('@')) {
      // unix-dgram copies socket names as C strings, so abstract names all collapse to one address.
      this.log.debug(`abstract NOTIFY_SOCKET ${this.socket} is not supported: not telling systemd ${what}`, NAMESPACE);
      return false;
    }
    let dgram: { createSocket(type: 'unix_dgram'): DatagramSocket };
    try {
      dgram = require('unix-dgram');
    } catch {
      this.log.debug(`the optional 'unix-dgram' addon is not installed: not telling systemd ${what}`, NAMESPACE);
      return false;
    }
    const message = Buffer.from(assignments.join('\n'));
    const socket = dgram.createSocket('unix_dgram');
    let sent = true;
    socket.send(message, 0, message.length, this.socket, (error) => {
      if (error) {
        sent = false;
        this.log.warning(`cannot notify systemd at ${this.socket}: ${error.message}`, NAMESPACE);
      }
    });
    socket.close();
    if (sent) this.log.debug(`notified systemd: ${what}`, NAMESPACE);
    return sent;
  }
}
