import { resolve } from 'node:path';
import type { Config } from './config';
import { isUnset } from './config-value';
import { LOG_FORMATS, type LogFormat } from './log-format';
import { isLogLevel } from './log-level';
import type { Logger, LoggerSettings } from './logger';

/** Cement's `[log.logging]` defaults for the keys mortar reads. */
export const LOG_DEFAULTS = {
  level: 'info',
  file: '',
  to_console: true,
  rotate: false,
  max_bytes: 512_000,
  max_files: 4,
  format: 'text',
} as const;

/**
 * The `[log]` section (Cement's `[log.logging]`) as logger settings: `level`
 * (any case; Cement's deprecated `WARN` is `warning`), `to_console`, `file`
 * (resolved against `baseDir`, so that reopening after a daemon changed
 * directory finds the same file), `rotate`, `max_bytes`, `max_files`, `format`.
 * An invalid value is a {@link FrameworkError} naming the key and where it was read.
 */
export function readLogSettings(config: Config, baseDir: string): Required<LoggerSettings> {
  const written = config.get('log', 'level');
  const level = isUnset(written)
    ? 'info'
    : typeof written === 'string'
      ? written
          .trim()
          .toLowerCase()
          .replace(/^warn$/, 'warning')
      : written;
  if (!isLogLevel(level)) throw config.invalid('log', 'level', 'use debug, info, warning, error or fatal');
  const file = config.get('log', 'file') ?? '';
  if (typeof file !== 'string') throw config.invalid('log', 'file', 'expected a path');
  const maxBytes = config.getInteger('log', 'max_bytes', LOG_DEFAULTS.max_bytes);
  if (maxBytes < 0) throw config.invalid('log', 'max_bytes', 'expected a size in bytes, 0 or more (0 never rotates)');
  const maxFiles = config.getInteger('log', 'max_files', LOG_DEFAULTS.max_files);
  if (maxFiles < 0) throw config.invalid('log', 'max_files', 'expected a number of files, 0 or more (0 never rotates)');
  const writtenFormat = config.get('log', 'format');
  const format = isUnset(writtenFormat) ? 'text' : String(writtenFormat).trim().toLowerCase();
  if (!LOG_FORMATS.includes(format as LogFormat))
    throw config.invalid('log', 'format', `use ${LOG_FORMATS.join(' or ')}`);
  return {
    level,
    toConsole: config.getBoolean('log', 'to_console', LOG_DEFAULTS.to_console),
    file: file && resolve(baseDir, file),
    format: format as LogFormat,
    rotate: config.getBoolean('log', 'rotate', LOG_DEFAULTS.rotate),
    maxBytes,
    maxFiles,
  };
}

/** `--debug` and `--quiet`, read from the raw command line once: they outrank `[log]` at start and at every reload. */
export interface LogFlags {
  /** `--debug`: `[log] level` is `debug`. */
  readonly debug: boolean;
  /** `--quiet`: `[log] to_console` is false. */
  readonly quiet: boolean;
}

/** What the flags alone set, for the logger before any config is read. */
export function flagSettings(flags: LogFlags): LoggerSettings {
  return { ...(flags.debug ? { level: 'debug' } : {}), ...(flags.quiet ? { toConsole: false } : {}) };
}

/**
 * Applies the `[log]` section to the logger, the flags over it (written into
 * the config, so that what the config says is what the logger does), Cement's
 * defaults under it. An invalid value throws, naming the key.
 */
export function configureLog(log: Logger, config: Config, baseDir: string, flags: LogFlags): void {
  if (flags.debug) config.set('log', 'level', 'debug');
  if (flags.quiet) config.set('log', 'to_console', false);
  config.merge({ log: { ...LOG_DEFAULTS } }, { override: false });
  log.configure(readLogSettings(config, baseDir));
}
