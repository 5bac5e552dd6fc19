import { EventEmitter } from 'node:events';
import { fstatSync, writeSync } from 'node:fs';
import { lazy } from './lazy';

type Callback = (error?: Error | null) => void;

const tty = lazy<typeof import('node:tty')>(require, 'node:tty');

/**
 * The app's default stdout and stderr: writes go straight to the file
 * descriptor, synchronously. Setting up `process.stdout` costs several
 * milliseconds of start-up (Node loads its whole stream stack for it), and a
 * command-line program pays that on every run; this costs nothing. Writes are
 * synchronous either way on Linux for files, pipes and terminals.
 *
 * A descriptor that cannot take more right now (EAGAIN, a non-blocking pipe
 * that is full) hands the rest, and everything after, to the process's own
 * stream. A reader that went away (EPIPE, `myapp list | head -1`) ends the
 * output quietly.
 */
export class OutputStream extends EventEmitter implements NodeJS.WritableStream {
  writable = true;
  private fallback: NodeJS.WritableStream | undefined;

  /** @param fd 1 for stdout, 2 for stderr. */
  constructor(private readonly fd: 1 | 2) {
    super();
  }

  /**
   * The terminal's width when the descriptor is a terminal (help wraps to it),
   * else undefined. Only then is the process's own stream set up, to ask.
   */
  get columns(): number | undefined {
    if (!isTerminal(this.fd)) return undefined;
    return (this.fd === 1 ? process.stdout : process.stderr).columns;
  }

  write(chunk: string | Uint8Array, encoding?: BufferEncoding | Callback, callback?: Callback): boolean {
    const done = typeof encoding === 'function' ? encoding : callback;
    const data =
      typeof chunk === 'string' ? Buffer.from(chunk, typeof encoding === 'string' ? encoding : 'utf8') : chunk;
    if (this.fallback) return this.fallback.write(data, done);
    if (!this.writable) {
      if (done) process.nextTick(done);
      return false;
    }
    let offset = 0;
    try {
      while (offset < data.length) offset += writeSync(this.fd, data, offset);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') {
        this.fallback = this.fd === 1 ? process.stdout : process.stderr;
        return this.fallback.write(data.subarray(offset), done);
      }
      if (code !== 'EPIPE') {
        done?.(error as Error);
        return false;
      }
      this.writable = false;
    }
    if (done) process.nextTick(done);
    return true;
  }

  end(chunk?: string | Uint8Array | Callback, encoding?: BufferEncoding | Callback, callback?: Callback): this {
    const done = [chunk, encoding, callback].find((argument): argument is Callback => typeof argument === 'function');
    if (chunk !== undefined && typeof chunk !== 'function') {
      this.write(chunk, typeof encoding === 'string' ? encoding : undefined);
    }
    if (done) process.nextTick(done);
    return this;
  }
}

/**
 * Whether a descriptor is a terminal. Only a character device can be one: a
 * pipe or a file is told with a stat, without loading node:tty, which loads
 * the stream stack.
 */
export function isTerminal(fd: number): boolean {
  try {
    if (!fstatSync(fd).isCharacterDevice()) return false;
  } catch {
    return false;
  }
  return tty().isatty(fd);
}
