import { FrameworkError } from '../../core/errors';

const MAX_UMASK = 0o777;

/** What a valid umask looks like, for error messages. */
export const UMASK_EXPECTED = 'expected an octal value like 027 (0 to 777)';

/**
 * Reads the `[daemon] umask` setting. A string is always octal, with or
 * without leading zeros or a `0o` prefix (`'027'`, `'0027'`, `'0o027'`,
 * `'27'`), because that is how a umask is written in a config file; a number
 * is taken as it is (`23` is `0o027`), because a number in code already has
 * its value. Returns undefined for anything else.
 */
export function toUmask(value: unknown): number | undefined {
  if (typeof value === 'number') {
    if (Number.isInteger(value) && value >= 0 && value <= MAX_UMASK) return value;
  } else if (typeof value === 'string') {
    const digits = value.trim().replace(/^0o/i, '');
    if (/^[0-7]+$/.test(digits)) {
      const mask = parseInt(digits, 8);
      if (mask <= MAX_UMASK) return mask;
    }
  }
  return undefined;
}

/** {@link toUmask}, throwing a {@link FrameworkError} that names the value when it is not a umask. */
export function parseUmask(value: unknown): number {
  const mask = toUmask(value);
  if (mask === undefined) throw new FrameworkError(`Invalid umask '${String(value)}': ${UMASK_EXPECTED}.`);
  return mask;
}
