import { lazy } from '../../core/lazy';
import type { Logger } from '../../core/logger';

interface DatagramSocket {
  send(buffer: Buffer, offset: number, length: number, path: string, callback: (error?: Error) => void): void;
  /** On a connected socket: `send(buffer, callback)`. */
  send(buffer: Buffer, callback: (error?: Error) => void): void;
  connect(path: string): void;
  on(event: 'error', listener: (error: Error) => void): void;
  close(): void;
}

interface DatagramModule {
  createSocket(type: 'unix_dgram'): DatagramSocket;
}

const NAMESPACE = 'ext.daemon.systemd';

const unixDgram = lazy<DatagramModule>(require, 'unix-dgram');

/**
 * Tells systemd about the daemon's state (`sd_notify`) when it started us
 * with `NOTIFY_SOCKET` (a `Type=notify` unit). The variable is taken out of
 * the environment at once, so processes the daemon starts don't inherit it.
 * Node's dgram has no AF_UNIX datagrams, so this uses the optional
 * `unix-dgram` addon. Without it (or for an abstract socket name, which the
 * addon cannot address) nothing is sent: the first time with a warning, since
 * a `Type=notify` unit then waits for `READY=1` until its start times out.
 */
export class SystemdNotifier {
  /** The `NOTIFY_SOCKET` value as systemd gave it. */
  readonly socket: string | undefined;

  private hasWarned = false;
  /** The addon, once looked for (null: not installed). */
  private dgram: DatagramModule | null | undefined;
  /** A socket connected to systemd's, kept while the daemon runs in a new root (see {@link keepConnected}). */
  private connected: DatagramSocket | undefined;

  constructor(
    private readonly log: Logger,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    const value = env.NOTIFY_SOCKET;
    delete env.NOTIFY_SOCKET;
    this.socket = value && (value.startsWith('/') || value.startsWith('@')) ? value : undefined;
  }

  /**
   * Why nothing can be sent to the socket (`[reason, remedy]`), or undefined
   * when it can (or when there is no socket: then nothing is meant to be sent).
   */
  unavailable(): [reason: string, remedy: string] | undefined {
    if (!this.socket) return undefined;
    if (this.socket.startsWith('@')) {
      // unix-dgram copies socket names as C strings, so abstract names all collapse to one address.
      return [
        `NOTIFY_SOCKET ${this.socket} is an abstract socket name, which mortar cannot send to`,
        'use Type=simple',
      ];
    }
    if (this.dgram === undefined) {
      try {
        this.dgram = unixDgram();
      } catch {
        this.dgram = null;
      }
    }
    return this.dgram
      ? undefined
      : ["the optional 'unix-dgram' addon is not installed", 'install it, or use Type=simple'];
  }

  /** Whether messages reach systemd: there is a socket, and the means to send to it. */
  get canSend(): boolean {
    return this.socket !== undefined && this.unavailable() === undefined;
  }

  /** Sends `KEY=value` lines, e.g. `notify('READY=1', 'MAINPID=42')`. Returns whether it was sent. */
  notify(...assignments: string[]): boolean {
    if (!this.socket) return false;
    const what = assignments.join(' ');
    const unavailable = this.unavailable();
    if (unavailable) return this.cannotNotify(unavailable[0], unavailable[1], what);
    const dgram = this.dgram!;
    const message = Buffer.from(assignments.join('\n'));
    let sent = true;
    const done = (error?: Error): void => {
      if (error) {
        sent = false;
        this.log.warning(`cannot notify systemd at ${this.socket}: ${error.message}`, NAMESPACE);
      }
    };
    if (this.connected) {
      this.connected.send(message, done);
    } else {
      const socket = dgram.createSocket('unix_dgram');
      socket.send(message, 0, message.length, this.socket, done);
      socket.close();
    }
    if (sent) this.log.debug(`notified systemd: ${what}`, NAMESPACE);
    return sent;
  }

  /**
   * Connects a socket to systemd's now and sends through it from now on: the
   * daemon is about to change its root directory (`[daemon] chroot`), where
   * the socket's path no longer leads. The socket counts as pending work, so
   * {@link disconnect} must follow when the app has closed. Nothing happens
   * when there is no socket to send to; a failure is one warning, and
   * messages then go by path as before.
   */
  keepConnected(): void {
    if (!this.socket || this.connected || this.unavailable()) return;
    const socket = this.dgram!.createSocket('unix_dgram');
    let failure: Error | undefined;
    socket.on('error', (error) => (failure ??= error));
    socket.connect(this.socket);
    if (failure) {
      socket.close();
      this.log.warning(`cannot connect to systemd's socket ${this.socket}: ${failure.message}`, NAMESPACE);
      return;
    }
    this.connected = socket;
  }

  /** Closes the socket {@link keepConnected} connected, if any. */
  disconnect(): void {
    const socket = this.connected;
    this.connected = undefined;
    try {
      socket?.close();
    } catch {
      // closed already
    }
  }

  /**
   * Says once, as a warning, that systemd is not told: a `Type=notify` unit would otherwise
   * time out at start with nothing in its journal to say why. Later messages are debug lines.
   */
  private cannotNotify(reason: string, remedy: string, what: string): false {
    if (this.hasWarned) {
      this.log.debug(`${reason}: not telling systemd ${what}`, NAMESPACE);
    } else {
      this.hasWarned = true;
      this.log.warning(
        `${reason}: not telling systemd ${what}, so a Type=notify unit waits until its start times out; ${remedy}.`,
        NAMESPACE,
      );
    }
    return false;
  }
}
