/**
 * Helpers of the "operating a daemon" specs: the fixture apps of
 * spec/fixtures/operate, a real AF_UNIX datagram listener standing in for
 * systemd's notification socket, and waiting for a log file to say something.
 *
 * ```ts
 * const systemd = new NotifyListener(sandbox.path('notify.sock'));
 * sandbox.start(MYAPP, ['run-forever'], { env: { NOTIFY_SOCKET: systemd.address } });
 * await systemd.waitFor(/^READY=1$/m);
 * systemd.close();
 * ```
 */
import { readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { waitUntil } from './process';
import { loadAddon } from './addons';

/** The repository root (this file runs from build/spec/helpers). */
const ROOT = resolve(__dirname, '../../..');

/** A compiled fixture app from spec/fixtures/operate. */
export function operateFixture(name: string): string {
  return join(ROOT, 'build/spec/fixtures/operate', `${name}.js`);
}

/** The part of the optional `unix-dgram` addon these specs use. */
interface DatagramSocket {
  bind(path: string): void;
  close(): void;
  on(event: 'error', listener: (error: Error) => void): void;
}
interface UnixDgram {
  createSocket(type: 'unix_dgram', listener: (message: Buffer) => void): DatagramSocket;
}

function unixDgram(): UnixDgram {
  return loadAddon<UnixDgram>('unix-dgram');
}

/**
 * Why a {@link NotifyListener} cannot be made here, or undefined when it can:
 * it needs the optional `unix-dgram` addon in the test runner itself, which an
 * install with `--omit=optional` (or without a compiler) does not have.
 */
export function notifyListenerUnavailable(): string | undefined {
  try {
    unixDgram();
    return undefined;
  } catch (error) {
    return `the optional unix-dgram addon, which these specs listen with, is not installed (${(error as Error).message.split('\n')[0]})`;
  }
}

/**
 * A bound AF_UNIX datagram socket that keeps every message it receives, as
 * systemd's `NOTIFY_SOCKET` would. `name` is a path, or `\0name` for an
 * abstract socket (whose `NOTIFY_SOCKET` spelling is `@name`).
 */
export class NotifyListener {
  /** Every datagram received, decoded as UTF-8, in order. */
  readonly messages: string[] = [];
  /** When each message arrived, in ms of the monotonic clock (`performance.now()`). */
  readonly arrivals: number[] = [];
  private readonly socket: DatagramSocket;
  private isClosed = false;

  constructor(readonly name: string) {
    this.socket = unixDgram().createSocket('unix_dgram', (message) => {
      this.messages.push(message.toString('utf8'));
      this.arrivals.push(performance.now());
    });
    let failure: Error | undefined;
    this.socket.on('error', (error) => (failure = error));
    this.socket.bind(name);
    if (failure) {
      this.socket.close();
      throw new Error(`cannot bind a datagram socket to ${JSON.stringify(name)}: ${failure.message}`);
    }
  }

  /**
   * The messages that change the service's state, in order: every message but
   * the heartbeats (`EXTEND_TIMEOUT_USEC=` while starting or stopping) and the
   * watchdog's pings, which come as time passes.
   */
  get states(): string[] {
    return this.messages.filter((message) => !/^(EXTEND_TIMEOUT_USEC=\d+|WATCHDOG=1)$/.test(message));
  }

  /** The value of `NOTIFY_SOCKET` that names this socket. */
  get address(): string {
    return this.name.startsWith('\0') ? `@${this.name.slice(1)}` : this.name;
  }

  /** Resolves to the first message matching `pattern`; rejects after `timeoutMs`, listing what arrived. */
  async waitFor(pattern: RegExp, timeoutMs = 5000): Promise<string> {
    try {
      await waitUntil(
        () => this.messages.some((message) => pattern.test(message)),
        `a notification matching ${pattern}`,
        timeoutMs,
      );
    } catch (error) {
      throw new Error(`${(error as Error).message} on ${this.address}; received ${JSON.stringify(this.messages)}`);
    }
    return this.messages.find((message) => pattern.test(message))!;
  }

  /** Closes the socket and removes its file. Harmless when already closed. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.socket.close();
    if (!this.name.startsWith('\0')) rmSync(this.name, { force: true });
  }
}

/**
 * Whether the `unix-dgram` addon can bind an abstract socket under its own
 * name; when it cannot, the reason. Checked in `/proc/net/unix`, where an
 * abstract socket is listed as `@name`.
 */
export function abstractSocketSupport(): { readonly isSupported: boolean; readonly reason?: string } {
  const name = `mortar-probe-${process.pid}-${Date.now()}`;
  let listener: NotifyListener;
  try {
    listener = new NotifyListener(`\0${name}`);
  } catch (error) {
    return { isSupported: false, reason: (error as Error).message };
  }
  try {
    const table = readFileSync('/proc/net/unix', 'utf8');
    if (table.split('\n').some((line) => line.endsWith(` @${name}`))) return { isSupported: true };
    return {
      isSupported: false,
      reason:
        `unix-dgram bound '\\0${name}' but /proc/net/unix lists no '@${name}': ` +
        'the addon copies socket names with strncpy, so every abstract name becomes the all-zero address',
    };
  } finally {
    listener.close();
  }
}

/** Resolves to the file's text once it matches `pattern`; rejects after `timeoutMs` with what it held. */
export async function waitForText(path: string, pattern: RegExp, timeoutMs = 5000): Promise<string> {
  let text = '';
  const matches = (): boolean => {
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      text = '';
    }
    return pattern.test(text);
  };
  try {
    await waitUntil(matches, `${pattern} in ${path}`, timeoutMs);
  } catch (error) {
    throw new Error(`${(error as Error).message}; it holds:\n${text}`);
  }
  return text;
}

/** Whether a process ignores `signal` (its bit in `SigIgn` of `/proc/<pid>/status`). */
export function ignoresSignal(pid: number, signalNumber: number): boolean {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return false;
  }
  const mask = /^SigIgn:\s*([0-9a-f]+)$/m.exec(status)?.[1];
  return mask !== undefined && (BigInt(`0x${mask}`) & (1n << BigInt(signalNumber - 1))) !== 0n;
}
