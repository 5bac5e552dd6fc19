import { closeSync, openSync, writeSync } from 'node:fs';
import { FrameworkError } from './errors';
import { describeSystemError } from './system-error';

/** Log levels, lowest first. */
export type LogLevel = 'debug' | 'info' | 'warning' | 'error' | 'fatal';

const SEVERITY: Record<LogLevel, number> = { debug: 10, info: 20, warning: 30, error: 40, fatal: 50 };

/** What {@link Logger.configure} accepts; every field is optional and keeps its value when absent. */
export interface LoggerSettings {
  /** The lowest level written. Default: `info`. */
  level?: LogLevel;
  /** Whether lines go to the console stream (the app's stderr). Default: true. */
  toConsole?: boolean;
  /** A file lines are appended to, in the full timestamped format; `''` turns it off. */
  file?: string;
}

/** Whether a string names a log level. */
export function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === 'string' && Object.hasOwn(SEVERITY, value);
}

/**
 * The app's logger (`app.log`). Console lines read `INFO: message`; at level
 * `debug`, and always in the log file, they carry a timestamp, the level and
 * a dotted namespace: `2026-11-24 03:27:42,348 (DEBUG) myapp.core.hook : message`.
 *
 * Writes are synchronous so that lines are never lost when the process exits
 * or ends by a signal right after logging.
 */
export class Logger {
  private level: LogLevel = 'info';
  private toConsole = true;
  private filePath = '';
  private fd: number | undefined;
  private mirror: ((line: string) => void) | undefined;

  /**
   * @param label The app's label, the first part of every namespace.
   * @param console The console stream, or a function giving it (so that a
   *   process's stderr is only set up when something is written to it).
   */
  constructor(
    private readonly label: string,
    private readonly console: NodeJS.WritableStream | (() => NodeJS.WritableStream),
  ) {}

  /** Applies settings; opening a new log file may throw a {@link FrameworkError} naming it. */
  configure(settings: LoggerSettings): void {
    if (settings.level !== undefined) this.level = settings.level;
    if (settings.toConsole !== undefined) this.toConsole = settings.toConsole;
    if (settings.file !== undefined && settings.file !== this.filePath) {
      this.closeFile();
      this.filePath = settings.file;
      if (this.filePath) this.fd = openLogFile(this.filePath);
    }
  }

  /**
   * Also hands every console line to `mirror` (or stops, with `undefined`).
   * A detaching daemon uses it to show its start-up lines on the invoker's terminal.
   */
  setMirror(mirror: ((line: string) => void) | undefined): void {
    this.mirror = mirror;
  }

  /** The current level. */
  getLevel(): LogLevel {
    return this.level;
  }

  /** The log file's path, or `''` when there is none. */
  getFile(): string {
    return this.filePath;
  }

  /** Whether a line at that level would be written anywhere. */
  isEnabled(level: LogLevel): boolean {
    return SEVERITY[level] >= SEVERITY[this.level] && (this.toConsole || this.fd !== undefined);
  }

  debug(message: string, namespace?: string): void {
    this.write('debug', message, namespace);
  }

  info(message: string, namespace?: string): void {
    this.write('info', message, namespace);
  }

  warning(message: string, namespace?: string): void {
    this.write('warning', message, namespace);
  }

  error(message: string, namespace?: string): void {
    this.write('error', message, namespace);
  }

  fatal(message: string, namespace?: string): void {
    this.write('fatal', message, namespace);
  }

  /**
   * Closes and reopens the log file at the same path, so that after a rotation
   * (logrotate renames the file, then sends SIGHUP) lines go to the new file.
   * When the file cannot be reopened the old descriptor stays in use and a warning says why.
   */
  reopen(): void {
    if (!this.filePath) return;
    let fd: number;
    try {
      fd = openLogFile(this.filePath);
    } catch (error) {
      this.warning(`keeping the old log file open: ${(error as Error).message}`, 'core.log');
      return;
    }
    this.closeFile();
    this.fd = fd;
  }

  /** Closes the log file, if any. Console logging goes on. */
  close(): void {
    this.closeFile();
    this.filePath = '';
  }

  private closeFile(): void {
    if (this.fd === undefined) return;
    try {
      closeSync(this.fd);
    } catch {
      // already closed: nothing left to release
    }
    this.fd = undefined;
  }

  private write(level: LogLevel, message: string, namespace?: string): void {
    if (SEVERITY[level] < SEVERITY[this.level]) return;
    const full = this.toConsole && this.level !== 'debug' ? undefined : this.format(level, message, namespace);
    if (this.toConsole) {
      const line = full ?? `${level.toUpperCase()}: ${message}\n`;
      (typeof this.console === 'function' ? this.console() : this.console).write(line);
      this.mirror?.(line);
    }
    if (this.fd !== undefined) {
      try {
        writeSync(this.fd, full ?? this.format(level, message, namespace));
      } catch {
        // a full disk must not take the app down with it
      }
    }
  }

  private format(level: LogLevel, message: string, namespace?: string): string {
    return `${timestamp(new Date())} (${level.toUpperCase()}) ${this.qualify(namespace)} : ${message}\n`;
  }

  private qualify(namespace: string | undefined): string {
    if (!namespace) return this.label;
    return namespace === this.label || namespace.startsWith(`${this.label}.`) ? namespace : `${this.label}.${namespace}`;
  }
}

function openLogFile(path: string): number {
  try {
    return openSync(path, 'a', 0o640);
  } catch (error) {
    throw new FrameworkError(`Cannot open log file ${path}: ${describeSystemError(error)}.`);
  }
}

function pad(value: number, width = 2): string {
  return String(value).padStart(width, '0');
}

/** `2026-11-24 03:27:42,348`, in local time. */
export function timestamp(date: Date): string {
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())},${pad(date.getMilliseconds(), 3)}`
  );
}
