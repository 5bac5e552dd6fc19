import { FrameworkError } from './errors';

/** The sections of one INI file: section name → key → value. */
export type IniData = Record<string, Record<string, ConfigValue>>;

/** A value as read from a file or the environment. */
export type ConfigValue = string | boolean;

type Unescape = (value: string) => unknown;
let unescape: Unescape | undefined;

/**
 * Parses INI text. The rules (README, "Configuration files"):
 * - `[section]` starts a section; a dotted name like `[log.logging]` is one
 *   section of that literal name, not a nested one.
 * - `key = value`; a key with no `=` is `true`. Keys and values are trimmed.
 * - Lines starting with `#` or `;` are comments. In a value, an unescaped `#`
 *   or `;` also starts a comment; write `\#` or `\;`, or quote the value
 *   (`"..."` or `'...'`) to keep them.
 * - Values are strings, except `true` and `false`, which become booleans
 *   (a quoted `"true"` stays a string).
 * - A key before the first section, an unclosed or empty `[section`, or an
 *   empty key is an error naming the file and line.
 */
export function parseIni(text: string, source: string): IniData {
  unescape ??= (require('ini') as { unsafe: Unescape }).unsafe;
  const data: IniData = Object.create(null);
  let section: Record<string, ConfigValue> | undefined;
  const lines = text.split(/\r?\n/);
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index].trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const fail = (what: string): never => {
      throw new FrameworkError(`Malformed config file ${source}, line ${index + 1}: ${what}.`);
    };
    if (line.startsWith('[')) {
      const match = /^\[([^\]]*)\]\s*(?:[#;].*)?$/.exec(line);
      if (!match) fail(line.includes(']') ? `unexpected text after the section header '${line}'` : `unclosed section header '${line}'`);
      const name = match![1].trim();
      if (!name) fail('empty section name');
      section = data[name] ??= Object.create(null);
      continue;
    }
    const equals = line.indexOf('=');
    const key = (equals === -1 ? line : line.slice(0, equals)).trim();
    if (!key) fail(`missing key before '='`);
    if (!section) fail(`key '${key}' is outside any [section]`);
    section![key] = equals === -1 ? true : decodeValue(line.slice(equals + 1));
  }
  return data;
}

/** Applies the value rules of {@link parseIni} to one raw value from a file. */
export function decodeValue(raw: string): ConfigValue {
  unescape ??= (require('ini') as { unsafe: Unescape }).unsafe;
  const value = unescape(raw);
  const text = typeof value === 'string' ? value : String(value);
  // A quoted "true" is the text true, not the boolean.
  return /^\s*["']/.test(raw) ? text : typedValue(text);
}

/** `true` and `false` become booleans; everything else stays a string. Environment values get only this rule. */
export function typedValue(value: string): ConfigValue {
  if (value === 'true') return true;
  if (value === 'false') return false;
  return value;
}
