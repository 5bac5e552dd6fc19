import { FrameworkError } from './errors';
import { LogFile, type LogRotation } from './log-file';
import { coloured, fullLine, jsonLine, shortLine, wantsColour, type LogFormat, type LogRecord } from './log-format';
import { SEVERITY, type LogLevel } from './log-level';
import { isJournalStream, withPriority } from './journal';

export { isLogLevel } from './log-level';
export type { LogLevel } from './log-level';
export type { LogFormat } from './log-format';

/** What {@link Logger.configure} accepts; every field is optional and keeps its value when absent. */
export interface LoggerSettings {
  /** The lowest level written. Default: `info`. */
  level?: LogLevel;
  /** Whether lines go to the console stream (the app's stderr). Default: true. */
  toConsole?: boolean;
  /** A file lines are appended to, in the full timestamped format; `''` turns it off. Default: `''`. */
  file?: string;
  /** `text` (Cement's format) or `json` (one pino-shaped object per line), on the console and in the file. Default: `text`. */
  format?: LogFormat;
  /** Whether the file is rotated by size (Cement's `[log] rotate`). Default: false. */
  rotate?: boolean;
  /** With `rotate`, a line that would bring the file to this many bytes first moves it to `<file>.1`; 0 never rotates. Default: 512000 (Cement's). */
  maxBytes?: number;
  /** With `rotate`, how many moved files are kept (`<file>.1` … `<file>.N`); 0 never rotates. Default: 4 (Cement's). */
  maxFiles?: number;
}

/**
 * A logger the app already has, such as a pino logger, that mortar writes
 * through instead of its own console and file output. Each method is called
 * as pino's are: an object of fields (`namespace`, and `err` for an error),
 * then the message. A logger without `fatal` gets fatal messages as errors.
 */
export interface LogAdapter {
  debug(fields: LogAdapterFields, message: string): unknown;
  info(fields: LogAdapterFields, message: string): unknown;
  warn(fields: LogAdapterFields, message: string): unknown;
  error(fields: LogAdapterFields, message: string): unknown;
  fatal?(fields: LogAdapterFields, message: string): unknown;
}

/** The fields mortar hands a {@link LogAdapter} with each message. */
export interface LogAdapterFields {
  /** The dotted namespace, starting with the app's label (`myapp.core.signal`). */
  namespace: string;
  /** The error, when one was logged. */
  err?: Error;
}

const ADAPTER_METHODS: Readonly<Record<LogLevel, keyof LogAdapter>> = {
  debug: 'debug',
  info: 'info',
  warning: 'warn',
  error: 'error',
  fatal: 'fatal',
};

/** How console lines are decorated: not at all, coloured (a terminal), or with journal priorities. */
type ConsoleMode = 'plain' | 'colour' | 'journal';

/**
 * The app's logger (`app.log`). Console lines read `INFO: message`; at level
 * `debug`, and always in the log file, they carry a timestamp, the level and
 * a dotted namespace: `2026-11-24 03:27:42,348 (DEBUG) myapp.core.hook : message`.
 * With `format = json` every line is one JSON object in pino's shape.
 *
 * Writes are synchronous so that lines are never lost when the process exits
 * or ends by a signal right after logging.
 */
export class Logger {
  private level: LogLevel = 'info';
  private threshold = SEVERITY.info;
  private toConsole = true;
  private format: LogFormat = 'text';
  private rotate = false;
  private maxBytes = 512_000;
  private maxFiles = 4;
  private file: LogFile | undefined;
  private mirror: ((line: string) => void) | undefined;
  private consoleStream: NodeJS.WritableStream | undefined;
  private consoleMode: ConsoleMode = 'plain';

  /**
   * @param label The app's label, the first part of every namespace.
   * @param console The console stream, or a function giving it (so that a
   *   process's stderr is only set up when something is written to it).
   * @param adapter A logger that gets every message instead of the console and the file.
   */
  constructor(
    private readonly label: string,
    private readonly console: NodeJS.WritableStream | (() => NodeJS.WritableStream),
    private readonly adapter?: LogAdapter,
  ) {}

  /**
   * Applies settings. A new log file is opened before the old one is closed:
   * when it cannot be, this throws a {@link FrameworkError} naming it and
   * nothing changes (the old file stays in use).
   */
  configure(settings: LoggerSettings): void {
    const rotate = settings.rotate ?? this.rotate;
    const maxBytes = settings.maxBytes ?? this.maxBytes;
    const maxFiles = settings.maxFiles ?? this.maxFiles;
    const rotation: LogRotation | undefined =
      rotate && maxBytes > 0 && maxFiles > 0 ? { maxBytes, maxFiles } : undefined;
    if (this.adapter && ((settings.file ?? '') !== '' || (settings.format ?? 'text') !== 'text' || rotate)) {
      throw new FrameworkError(
        'The app logs through its own logger (AppOptions.logger): [log] file, format and rotate do not apply; remove them from the config.',
      );
    }
    if (settings.file !== undefined && settings.file !== this.getFile()) {
      const next = settings.file ? LogFile.open(settings.file, rotation, this.reportFile) : undefined;
      this.file?.close();
      this.file = next;
    } else {
      this.file?.setRotation(rotation);
    }
    this.rotate = rotate;
    this.maxBytes = maxBytes;
    this.maxFiles = maxFiles;
    if (settings.level !== undefined) {
      this.level = settings.level;
      this.threshold = SEVERITY[settings.level];
    }
    if (settings.toConsole !== undefined) this.toConsole = settings.toConsole;
    if (settings.format !== undefined) this.format = settings.format;
    this.consoleStream = undefined;
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
    return this.file?.path ?? '';
  }

  /** The current format. */
  getFormat(): LogFormat {
    return this.format;
  }

  /** Whether a line at that level would be written anywhere. */
  isEnabled(level: LogLevel): boolean {
    return SEVERITY[level] >= this.threshold && (this.toConsole || this.file !== undefined);
  }

  debug(message: string | Error, namespace?: string): void {
    this.write('debug', message, namespace);
  }

  info(message: string | Error, namespace?: string): void {
    this.write('info', message, namespace);
  }

  warning(message: string | Error, namespace?: string): void {
    this.write('warning', message, namespace);
  }

  error(message: string | Error, namespace?: string): void {
    this.write('error', message, namespace);
  }

  fatal(message: string | Error, namespace?: string): void {
    this.write('fatal', message, namespace);
  }

  /**
   * Closes and reopens the log file at the same path, so that after a rotation
   * (logrotate renames the file, then sends SIGHUP) lines go to the new file.
   * When the file cannot be reopened the old descriptor stays in use and a warning says why.
   */
  reopen(): void {
    try {
      this.file?.reopen();
    } catch (error) {
      this.warning(`keeping the old log file open: ${(error as Error).message}`, 'core.log');
    }
  }

  /** Closes the log file, if any. Console logging goes on. */
  close(): void {
    this.file?.close();
    this.file = undefined;
  }

  private write(level: LogLevel, message: string | Error, namespace?: string): void {
    if (SEVERITY[level] < this.threshold) return;
    const error = typeof message === 'string' ? undefined : message;
    const record: LogRecord = {
      level,
      message: error ? error.message : (message as string),
      namespace: this.qualify(namespace),
      time: Date.now(),
      error,
    };
    if (this.adapter) {
      if (this.toConsole) this.writeAdapter(this.adapter, record);
      return;
    }
    const json = this.format === 'json';
    let full: string | undefined;
    if (this.toConsole)
      this.writeConsole(
        record,
        json ? (full = jsonLine(record)) : this.level === 'debug' ? (full = fullLine(record)) : shortLine(record),
      );
    this.file?.write(full ?? (json ? jsonLine(record) : fullLine(record)), record.time);
  }

  private writeConsole(record: LogRecord, text: string): void {
    const stream = typeof this.console === 'function' ? this.console() : this.console;
    if (stream !== this.consoleStream) {
      this.consoleStream = stream;
      this.consoleMode = consoleModeOf(stream);
    }
    const mode = this.consoleMode;
    stream.write(
      mode === 'plain' ? text : mode === 'journal' ? withPriority(record.level, text) : coloured(record.level, text),
    );
    this.mirror?.(text);
  }

  private writeAdapter(adapter: LogAdapter, record: LogRecord): void {
    const fields: LogAdapterFields = record.error
      ? { namespace: record.namespace, err: record.error }
      : { namespace: record.namespace };
    const method = adapter[ADAPTER_METHODS[record.level]] ?? adapter.error;
    method.call(adapter, fields, record.message);
  }

  /** One line on the console about the log file (whatever `to_console` says: the file may be where lines are lost); a recovery also goes to the file. */
  private readonly reportFile = (level: 'error' | 'warning', message: string): void => {
    const record: LogRecord = { level, message, namespace: `${this.label}.core.log`, time: Date.now() };
    const json = this.format === 'json';
    this.writeConsole(record, json ? jsonLine(record) : this.level === 'debug' ? fullLine(record) : shortLine(record));
    if (level === 'warning') this.file?.write(json ? jsonLine(record) : fullLine(record), record.time);
  };

  private qualify(namespace: string | undefined): string {
    if (!namespace) return this.label;
    return namespace === this.label || namespace.startsWith(`${this.label}.`)
      ? namespace
      : `${this.label}.${namespace}`;
  }
}

function consoleModeOf(stream: NodeJS.WritableStream): ConsoleMode {
  if (isJournalStream(stream)) return 'journal';
  // Colour only on the process's own streams (which have a descriptor), never a stream in memory.
  const { fd } = stream as { fd?: unknown };
  return typeof fd === 'number' && wantsColour(fd) ? 'colour' : 'plain';
}
