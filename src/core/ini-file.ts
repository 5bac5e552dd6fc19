import { DEFAULT_SECTION, quote } from './config-value';
import { FrameworkError } from './errors';

/** Section → key → value, as the file wrote it (text). */
export type IniSections = Record<string, Record<string, string>>;

/** What {@link parseIni} reads from one file. */
export interface IniFile {
  /** Section → key → value; `DEFAULT` is among them when the file has that section. */
  readonly sections: IniSections;
  /** Section → key → the line (from 1) the key is on. */
  readonly lines: Record<string, Record<string, number>>;
}

const LF = 10;
const CR = 13;
const HASH = 35;
const SEMICOLON = 59;
const OPEN_BRACKET = 91;
const EQUALS = 61;
const COLON = 58;
const BOM = 0xfeff;

/**
 * Parses INI text as Python's `configparser.RawConfigParser()` does with its
 * defaults (Cement's reader), in one pass:
 * - `[name]` starts a section; the name is everything between the first `[`
 *   and the last `]` of the line, as written; text after that `]` is ignored.
 * - `key = value` or `key: value`: the first `=` or `:` ends the key. Keys are
 *   trimmed and lower-cased; values are trimmed and otherwise kept as they are
 *   (quotes, backslashes, `#`, `;` and `%` included).
 * - A line whose first non-blank character is `#` or `;` is a comment.
 * - A line indented deeper than the key's line continues its value, joined
 *   with `\n`; blank lines inside a value are kept, trailing ones dropped.
 * - Line ends are `\n`, `\r\n` or `\r`; a UTF-8 byte order mark is skipped.
 * A key outside any section, a line without a delimiter, an empty key, and a
 * key or section given twice are errors naming `source` and the line.
 */
export function parseIni(text: string, source: string): IniFile {
  const sections: IniSections = Object.create(null);
  const lines: Record<string, Record<string, number>> = Object.create(null);
  const headerLines: Record<string, number> = Object.create(null);
  let sectionName = '';
  let section: Record<string, string> | undefined;
  let keyLines: Record<string, number> = Object.create(null);
  let key = '';
  let parts: string[] | undefined;
  let indentLevel = 0;

  const finishValue = (): void => {
    if (!parts) return;
    while (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
    section![key] = parts.length === 1 ? parts[0] : parts.join('\n');
    parts = undefined;
  };

  const length = text.length;
  let start = text.charCodeAt(0) === BOM ? 1 : 0;
  for (let number = 1; start <= length; number++) {
    let end = start;
    let code = 0;
    while (end < length && (code = text.charCodeAt(end)) !== LF && code !== CR) end++;
    const next = end + (code === CR && text.charCodeAt(end + 1) === LF ? 2 : 1);

    let first = start;
    while (first < end && isSpace(text.charCodeAt(first))) first++;
    const lead = text.charCodeAt(first);
    if (first === end) {
      parts?.push('');
    } else if (lead !== HASH && lead !== SEMICOLON) {
      let last = end;
      while (isSpace(text.charCodeAt(last - 1))) last--;
      const line = text.slice(first, last);
      const indent = first - start;
      const fail = (what: string): never => {
        throw new FrameworkError(`Malformed config file ${source}, line ${number}: ${what}.`);
      };
      if (parts && indent > indentLevel) {
        parts.push(line);
      } else {
        finishValue();
        indentLevel = indent;
        const close = lead === OPEN_BRACKET ? line.lastIndexOf(']') : -1;
        if (close >= 2) {
          sectionName = line.slice(1, close);
          if (sectionName !== DEFAULT_SECTION && headerLines[sectionName] !== undefined) {
            fail(`duplicate section [${sectionName}] (first on line ${headerLines[sectionName]})`);
          }
          headerLines[sectionName] ??= number;
          section = sections[sectionName] ??= Object.create(null);
          keyLines = lines[sectionName] ??= Object.create(null);
        } else {
          let delimiter = 0;
          while (delimiter < line.length && (code = line.charCodeAt(delimiter)) !== EQUALS && code !== COLON) delimiter++;
          if (delimiter === line.length && lead === OPEN_BRACKET) {
            fail(close === 1 ? `empty section name ${quote(line)}` : `unclosed section header ${quote(line)}`);
          }
          if (!section) fail(`${quote(line)} is outside any [section]`);
          if (delimiter === line.length) fail(`expected 'key = value' or 'key: value', got ${quote(line)}`);
          let keyEnd = delimiter;
          while (keyEnd > 0 && isSpace(line.charCodeAt(keyEnd - 1))) keyEnd--;
          if (keyEnd === 0) fail(`missing key before '${line[delimiter]}' in ${quote(line)}`);
          key = line.slice(0, keyEnd).toLowerCase();
          if (keyLines[key] !== undefined) {
            fail(`duplicate key '${key}' in [${sectionName}] (first on line ${keyLines[key]})`);
          }
          keyLines[key] = number;
          let valueStart = delimiter + 1;
          while (valueStart < line.length && isSpace(line.charCodeAt(valueStart))) valueStart++;
          parts = [line.slice(valueStart)];
        }
      }
    }
    start = next;
  }
  finishValue();
  return { sections, lines };
}

/** Whether a UTF-16 code unit is whitespace to Python's `str.strip()` (which differs from JavaScript's `trim()`). */
export function isSpace(code: number): boolean {
  if (code <= 32) return code === 32 || (code >= 9 && code <= 13) || (code >= 28 && code <= 31);
  if (code < 0x85) return false;
  return (
    code === 0x85 ||
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000
  );
}
