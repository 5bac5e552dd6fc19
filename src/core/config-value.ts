/**
 * Conversions of config values, shared by `Config`'s typed getters. Each
 * returns `undefined` when the value cannot be converted, so that the caller
 * can name the section, the key and where the value came from.
 */

/** A value as read from a config file or the environment: text, except `true` and `false`, which are booleans. */
export type ConfigValue = string | boolean;

/** The INI section whose keys every section inherits (configparser's `default_section`). */
export const DEFAULT_SECTION = 'DEFAULT';

/** configparser's `BOOLEAN_STATES`: what `getboolean()` accepts, in any case. */
const BOOLEANS: ReadonlyMap<string, boolean> = new Map([
  ['1', true],
  ['yes', true],
  ['true', true],
  ['on', true],
  ['0', false],
  ['no', false],
  ['false', false],
  ['off', false],
]);
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/i;
const INTEGER = /^[+-]?\d+$/;
const QUOTED_LENGTH = 60;

/** `true` and `false` become booleans; every other text stays as it is. */
export function typedValue(value: string): ConfigValue {
  if (value === 'true') return true;
  if (value === 'false') return false;
  return value;
}

/** Whether a value counts as not given: absent, `null`, or text that is empty or only blanks. */
export function isUnset(value: unknown): value is undefined | null | string {
  return value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
}

/** A boolean, or text configparser reads as one: `1 yes true on` / `0 no false off`, in any case. */
export function toBoolean(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  return typeof value === 'string' ? BOOLEANS.get(value.trim().toLowerCase()) : undefined;
}

/** A finite number, or decimal text: `8080`, `-1.5`, `.5`, `1e3`. */
export function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string' || !DECIMAL.test(value.trim())) return undefined;
  const number = Number(value.trim());
  return Number.isFinite(number) ? number : undefined;
}

/** A safe integer, or text of decimal digits with an optional sign. */
export function toInteger(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : undefined;
  if (typeof value !== 'string' || !INTEGER.test(value.trim())) return undefined;
  const number = Number(value.trim());
  return Number.isSafeInteger(number) ? number : undefined;
}

/** An array (each item as text), or text with one item per line, blank lines left out. */
export function toList(value: unknown): string[] | undefined {
  if (Array.isArray(value)) return value.map(String);
  if (typeof value === 'boolean' || typeof value === 'number') return [String(value)];
  if (typeof value !== 'string') return undefined;
  const items: string[] = [];
  for (const line of value.split('\n')) {
    const item = line.trim();
    if (item) items.push(item);
  }
  return items;
}

/** Text quoted for a one-line message: shortened when long, line breaks and other control characters escaped. */
export function quote(text: string): string {
  const short = text.length > QUOTED_LENGTH ? `${text.slice(0, QUOTED_LENGTH)}\u2026` : text;
  // eslint-disable-next-line no-control-regex -- control characters are what this escapes
  return `'${short.replace(/[\x00-\x1f\x7f\x85\u2028\u2029]/g, escape)}'`;
}

function escape(character: string): string {
  if (character === '\n') return '\\n';
  if (character === '\t') return '\\t';
  const code = character.charCodeAt(0);
  return code > 0xff ? `\\u${code.toString(16).padStart(4, '0')}` : `\\x${code.toString(16).padStart(2, '0')}`;
}
