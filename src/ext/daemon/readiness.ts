import { closeSync, fstatSync, writeSync } from 'node:fs';

/**
 * The environment variable that marks a re-executed daemon child. It names the
 * readiness descriptor, followed by `:pid` when the invoker is not the child's
 * parent and learns its pid from a `started` message (see detach.ts).
 */
export const CHILD_MARKER = 'MORTAR_DAEMON_READY_FD';
/** What follows the descriptor in the marker when the invoker asks for the child's pid. */
export const PID_WANTED = ':pid';

/** What the daemon child tells the invoker, one JSON object per line. */
export type ReadinessMessage =
  | { readonly type: 'started'; readonly pid: number }
  | { readonly type: 'log'; readonly line: string }
  | { readonly type: 'ready'; readonly pid: number }
  | { readonly type: 'error'; readonly message: string };

/**
 * The daemon child's end of the pipe back to the invoker. Created once, from
 * the marker in the environment, which it removes at once so that nothing
 * the daemon starts inherits it.
 */
export class ReadinessChannel {
  private fd: number | undefined;

  private constructor(
    fd: number,
    /** Whether the invoker wants a `started` message with this process's pid (it is not its parent). */
    readonly isPidWanted: boolean,
  ) {
    this.fd = fd;
  }

  /** The channel, when this process is a daemon child started by an invoker; removes the marker. */
  static fromEnvironment(env: NodeJS.ProcessEnv = process.env): ReadinessChannel | undefined {
    const value = env[CHILD_MARKER];
    if (value === undefined) return undefined;
    delete env[CHILD_MARKER];
    const isPidWanted = value.endsWith(PID_WANTED);
    const fd = Number(isPidWanted ? value.slice(0, -PID_WANTED.length) : value);
    if (!Number.isInteger(fd) || fd < 3) return undefined;
    try {
      if (!fstatSync(fd).isSocket() && !fstatSync(fd).isFIFO()) return undefined;
    } catch {
      return undefined;
    }
    return new ReadinessChannel(fd, isPidWanted);
  }

  /** The descriptor, while the channel is open. */
  get descriptor(): number | undefined {
    return this.fd;
  }

  get isOpen(): boolean {
    return this.fd !== undefined;
  }

  send(message: ReadinessMessage): void {
    if (this.fd === undefined) return;
    try {
      writeSync(this.fd, `${JSON.stringify(message)}\n`);
    } catch {
      // the invoker is gone (killed, or timed out): nobody is listening any more
    }
  }

  /** Sends a last message and closes the channel; later sends are ignored. */
  finish(message: ReadinessMessage): void {
    this.send(message);
    if (this.fd === undefined) return;
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
    this.fd = undefined;
  }
}
