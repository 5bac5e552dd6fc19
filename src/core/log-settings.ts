import { resolve } from 'node:path';
import type { Config } from './config';
import { isUnset } from './config-value';
import { LOG_FORMATS, type LogFormat } from './log-format';
import { isLogLevel } from './log-level';
import type { LoggerSettings } from './logger';

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
