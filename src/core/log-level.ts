/** Log levels, lowest first. */
export type LogLevel = 'debug' | 'info' | 'warning' | 'error' | 'fatal';

/** Each level's rank: a line is written when its rank is at least the configured level's. */
export const SEVERITY: Readonly<Record<LogLevel, number>> = { debug: 10, info: 20, warning: 30, error: 40, fatal: 50 };

/** Whether a string names a log level. */
export function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === 'string' && Object.hasOwn(SEVERITY, value);
}
