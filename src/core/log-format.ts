import type { LogLevel } from './log-level';
import { lazy } from './lazy';
import { isTerminal } from './output-stream';

/** Only JSON lines need the host's name. */
const os = lazy<typeof import('node:os')>(require, 'node:os');

/** How log lines are written: Cement's text, or JSON lines in pino's shape. */
export type LogFormat = 'text' | 'json';

/** The formats `[log] format` accepts. */
export const LOG_FORMATS: readonly LogFormat[] = ['text', 'json'];

/** One message, as the logger hands it to a format. */
export interface LogRecord {
  level: LogLevel;
  /** The message; for an error, its message. */
  message: string;
  /** The dotted namespace, starting with the app's label. */
  namespace: string;
  /** When it was logged, in ms since the epoch. */
  time: number;
  /** An error logged as the message (`app.log.error(error)`). */
  error?: Error;
}

const LEVEL_NAMES: Readonly<Record<LogLevel, string>> = {
  debug: 'DEBUG',
  info: 'INFO',
  warning: 'WARNING',
  error: 'ERROR',
  fatal: 'FATAL',
};

/** pino's level numbers. */
const PINO_LEVELS: Readonly<Record<LogLevel, number>> = { debug: 20, info: 30, warning: 40, error: 50, fatal: 60 };

/** Cement's `ext_colorlog` colours (colorlog's names: cyan, green, yellow, red, red on white). */
const COLOURS: Readonly<Record<LogLevel, string>> = {
  debug: '\x1b[36m',
  info: '\x1b[32m',
  warning: '\x1b[33m',
  error: '\x1b[31m',
  fatal: '\x1b[31m\x1b[47m',
};
const RESET = '\x1b[0m';

/** The text of a record's message: an error's stack (which starts with its message), else the message. */
function messageText(record: LogRecord): string {
  return record.error?.stack ?? record.message;
}

/** Cement's console format: `INFO: message`. */
export function shortLine(record: LogRecord): string {
  return `${LEVEL_NAMES[record.level]}: ${messageText(record)}\n`;
}

/** Cement's file and debug format: `2026-11-24 03:27:42,348 (INFO) myapp.core : message`. */
export function fullLine(record: LogRecord): string {
  return `${stampOf(record.time)} (${LEVEL_NAMES[record.level]}) ${record.namespace} : ${messageText(record)}\n`;
}

/** Fields every JSON line of this process carries after `time`: `,"pid":…,"hostname":…`. */
let processFields: string | undefined;
const quotedNames = new Map<string, string>();

/**
 * One JSON object on one line, in pino's shape: `level` (pino's numbers),
 * `time` (ms), `pid`, `hostname`, `name` (the namespace), `err`
 * (`{type, message, stack}`) for an error, `msg`.
 */
export function jsonLine(record: LogRecord): string {
  if (processFields === undefined) {
    processFields = `,"pid":${process.pid},"hostname":${JSON.stringify(os().hostname())}`;
  }
  let name = quotedNames.get(record.namespace);
  if (name === undefined) {
    name = JSON.stringify(record.namespace);
    if (quotedNames.size < 1000) quotedNames.set(record.namespace, name);
  }
  const err = record.error ? `,"err":${JSON.stringify(errorFields(record.error))}` : '';
  return `{"level":${PINO_LEVELS[record.level]},"time":${record.time}${processFields},"name":${name}${err},"msg":${quoted(record.message)}}\n`;
}

/** What JSON escapes in a string: quotes, backslashes, control characters, surrogates (a lone one is escaped). */
// eslint-disable-next-line no-control-regex -- JSON escapes the control characters, so the pattern names them
const NEEDS_ESCAPING = /["\\\u0000-\u001f\ud800-\udfff]/;

/** A string as JSON: most messages need no escaping, and quoting them is cheaper than `JSON.stringify`. */
function quoted(text: string): string {
  return NEEDS_ESCAPING.test(text) ? JSON.stringify(text) : `"${text}"`;
}

function errorFields(error: Error): Record<string, unknown> {
  const fields: Record<string, unknown> = {
    type: error.constructor?.name ?? 'Error',
    message: error.message,
    stack: error.stack,
  };
  const { code } = error as NodeJS.ErrnoException;
  if (code !== undefined) fields.code = code;
  return fields;
}

/** A line (or lines, of one record) in the level's colour, as Cement's `ext_colorlog` colours a console record. */
export function coloured(level: LogLevel, text: string): string {
  return `${COLOURS[level]}${text.endsWith('\n') ? text.slice(0, -1) : text}${RESET}\n`;
}

/**
 * Whether the console, on descriptor `fd`, gets colour: never when `NO_COLOR`
 * is set (and not empty); when `FORCE_COLOR` is set, unless it is `0` or
 * `false`; else only on a terminal.
 */
export function wantsColour(fd: number, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR) return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== '0' && force.toLowerCase() !== 'false';
  return isTerminal(fd);
}

let stampSecond = Number.NaN;
let stampPrefix = '';

/**
 * `2026-11-24 03:27:42,348`, in local time. The text up to the second is
 * computed once a second: local time offsets change only on whole seconds.
 */
export function stampOf(time: number): string {
  const second = Math.floor(time / 1000);
  if (second !== stampSecond) {
    stampSecond = second;
    stampPrefix = timestamp(new Date(second * 1000)).slice(0, -3);
  }
  const milli = time - second * 1000;
  return stampPrefix + (milli < 10 ? `00${milli}` : milli < 100 ? `0${milli}` : `${milli}`);
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
