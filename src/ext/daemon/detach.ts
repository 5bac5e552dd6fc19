import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { FrameworkError } from '../../core/errors';
import { describeSystemError } from '../../core/system-error';
import { CHILD_MARKER, type ReadinessMessage } from './readiness';

/** What the invoker needs to start the daemon child. */
export interface DetachOptions {
  /** systemd's `NOTIFY_SOCKET`, handed on so the daemon can report STOPPING=1 itself. */
  readonly notifySocket?: string;
  /** File the daemon's stdout is appended to (`/dev/null` discards it). */
  readonly stdout: string;
  /** File the daemon's stderr is appended to. */
  readonly stderr: string;
  /** How long to wait for the daemon to report ready, in ms. */
  readonly timeoutMs: number;
  /** Where the daemon's start-up log lines are shown. */
  readonly console: NodeJS.WritableStream;
  /** Called when the daemon was killed for not getting ready in time (to remove what it left). */
  readonly onAbandon?: (pid: number) => void;
}

/** The descriptor the daemon child reads its readiness pipe from. */
const READY_FD = 3;
/** How long a child that reported an error gets to exit by itself before it is killed. */
const EXIT_GRACE_MS = 3000;

/**
 * Starts the same program again as a detached child (new session, no
 * controlling terminal, stdin on /dev/null) and waits until it reports ready.
 * Resolves to the daemon's pid; rejects with the daemon's own error, or with
 * why it never got ready. A child that fails is never left running.
 */
export function startDaemon(options: DetachOptions): Promise<number> {
  const stdout = openOutput(options.stdout, 'stdout');
  let stderr: number | 'ignore';
  try {
    stderr = openOutput(options.stderr, 'stderr');
  } catch (error) {
    if (stdout !== 'ignore') closeSync(stdout);
    throw error;
  }
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    detached: true,
    stdio: ['ignore', stdout, stderr, 'pipe'],
    env: {
      ...process.env,
      [CHILD_MARKER]: String(READY_FD),
      ...(options.notifySocket ? { NOTIFY_SOCKET: options.notifySocket } : {}),
    },
  });
  for (const fd of [stdout, stderr]) if (fd !== 'ignore') closeSync(fd);

  return new Promise<number>((resolve, reject) => {
    let settled = false;
    let exit: string | undefined;
    const pipe = child.stdio[READY_FD] as Readable;
    const timer = setTimeout(() => {
      fail(new FrameworkError(`The daemon (pid ${child.pid}) did not report ready within ${options.timeoutMs / 1000} s; it was stopped.`), true);
    }, options.timeoutMs);

    const finish = (): void => {
      settled = true;
      clearTimeout(timer);
      pipe.removeAllListeners();
      pipe.destroy();
    };
    const fail = (error: Error, kill = false): void => {
      if (settled) return;
      finish();
      const pid = child.pid;
      if (pid !== undefined && child.exitCode === null && child.signalCode === null) {
        if (kill) child.kill('SIGKILL');
        const killer = setTimeout(() => child.kill('SIGKILL'), EXIT_GRACE_MS);
        child.once('exit', () => {
          clearTimeout(killer);
          options.onAbandon?.(pid);
          reject(error);
        });
        return;
      }
      if (pid !== undefined) options.onAbandon?.(pid);
      reject(error);
    };

    child.once('error', (error) => fail(new FrameworkError(`Cannot start the daemon: ${describeSystemError(error)}.`)));
    child.once('exit', (code, signal) => {
      exit = signal ? `signal ${signal}` : `exit code ${code}`;
    });
    // Lines are split on the newline byte, which never occurs inside a UTF-8 sequence,
    // so each line decodes whole (and no string decoder needs loading).
    let buffer: Buffer = Buffer.alloc(0);
    pipe.on('data', (chunk: Buffer) => {
      buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
      let newline: number;
      while (!settled && (newline = buffer.indexOf(10)) !== -1) {
        const line = buffer.toString('utf8', 0, newline);
        buffer = buffer.subarray(newline + 1);
        const message = parse(line);
        if (!message) continue;
        if (message.type === 'log') options.console.write(message.line);
        else if (message.type === 'error') fail(new FrameworkError(message.message));
        else {
          finish();
          child.unref();
          resolve(message.pid);
        }
      }
    });
    pipe.once('close', () => {
      if (settled) return;
      const report = (): void =>
        fail(new FrameworkError(`The daemon exited before it was ready (${exit ?? 'no exit status'}).`));
      if (exit !== undefined || child.pid === undefined) report();
      else child.once('exit', report);
    });
  });
}

function parse(line: string): ReadinessMessage | undefined {
  try {
    const message = JSON.parse(line) as ReadinessMessage;
    return typeof message === 'object' && message !== null && typeof message.type === 'string' ? message : undefined;
  } catch {
    return undefined;
  }
}

function openOutput(path: string, name: string): number | 'ignore' {
  if (!path || path === '/dev/null') return 'ignore';
  try {
    return openSync(path, 'a', 0o640);
  } catch (error) {
    throw new FrameworkError(`Cannot open the daemon's ${name} file ${path}: ${describeSystemError(error)}.`);
  }
}
