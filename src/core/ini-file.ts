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
  const reader = new IniReader(source);
  const length = text.length;
  let start = text.charCodeAt(0) === BOM ? 1 : 0;
  for (let number = 1; start <= length; number++) {
    let end = start;
    while (end < length && !isLineEnd(text.charCodeAt(end))) end++;
    let first = start;
    while (first < end && isSpace(text.charCodeAt(first))) first++;
    if (first === end) {
      reader.blankLine();
    } else if (!isCommentStart(text.charCodeAt(first))) {
      let last = end;
      while (isSpace(text.charCodeAt(last - 1))) last--;
      reader.line(text.slice(first, last), first - start, number);
    }
    start = end + (text.charCodeAt(end) === CR && text.charCodeAt(end + 1) === LF ? 2 : 1);
  }
  return reader.finish();
}

/** The state of {@link parseIni} between lines: the current section and the value being read. */
class IniReader {
  private readonly sections: IniSections = Object.create(null);
  private readonly lines: Record<string, Record<string, number>> = Object.create(null);
  private readonly headerLines: Record<string, number> = Object.create(null);
  private sectionName = '';
  private section: Record<string, string> | undefined;
  private keyLines: Record<string, number> = Object.create(null);
  private key = '';
  /** The lines of the value being read, while a key's value may go on. */
  private parts: string[] | undefined;
  private indentLevel = 0;

  constructor(private readonly source: string) {}

  /** A line holding only blanks: part of the value being read, if any (dropped at its end if nothing follows). */
  blankLine(): void {
    this.parts?.push('');
  }

  /** A line that is neither blank nor a comment, trimmed, with the width of its indentation. */
  line(line: string, indent: number, number: number): void {
    if (this.parts && indent > this.indentLevel) {
      this.parts.push(line);
      return;
    }
    this.finishValue();
    this.indentLevel = indent;
    const isBracketed = line.charCodeAt(0) === OPEN_BRACKET;
    const close = isBracketed ? line.lastIndexOf(']') : -1;
    if (close >= 2) {
      this.header(line.slice(1, close), number);
      return;
    }
    let delimiter = 0;
    while (delimiter < line.length && !isDelimiter(line.charCodeAt(delimiter))) delimiter++;
    if (delimiter === line.length && isBracketed) {
      this.fail(number, close === 1 ? `empty section name ${quote(line)}` : `unclosed section header ${quote(line)}`);
    }
    if (!this.section) this.fail(number, `${quote(line)} is outside any [section]`);
    if (delimiter === line.length) this.fail(number, `expected 'key = value' or 'key: value', got ${quote(line)}`);
    let keyEnd = delimiter;
    while (keyEnd > 0 && isSpace(line.charCodeAt(keyEnd - 1))) keyEnd--;
    if (keyEnd === 0) this.fail(number, `missing key before '${line[delimiter]}' in ${quote(line)}`);
    this.key = line.slice(0, keyEnd).toLowerCase();
    const first = this.keyLines[this.key];
    if (first !== undefined)
      this.fail(number, `duplicate key '${this.key}' in [${this.sectionName}] (first on line ${first})`);
    this.keyLines[this.key] = number;
    let valueStart = delimiter + 1;
    while (valueStart < line.length && isSpace(line.charCodeAt(valueStart))) valueStart++;
    this.parts = [line.slice(valueStart)];
  }

  finish(): IniFile {
    this.finishValue();
    return { sections: this.sections, lines: this.lines };
  }

  private header(name: string, number: number): void {
    const first = this.headerLines[name];
    // configparser allows [DEFAULT] twice; only its keys must not repeat.
    if (first !== undefined && name !== DEFAULT_SECTION)
      this.fail(number, `duplicate section [${name}] (first on line ${first})`);
    this.headerLines[name] ??= number;
    this.sectionName = name;
    this.section = this.sections[name] ??= Object.create(null);
    this.keyLines = this.lines[name] ??= Object.create(null);
  }

  private finishValue(): void {
    const parts = this.parts;
    if (!parts) return;
    while (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
    this.section![this.key] = parts.length === 1 ? parts[0] : parts.join('\n');
    this.parts = undefined;
  }

  private fail(number: number, what: string): never {
    throw new FrameworkError(`Malformed config file ${this.source}, line ${number}: ${what}.`);
  }
}

function isLineEnd(code: number): boolean {
  return code === LF || code === CR;
}

function isCommentStart(code: number): boolean {
  return code === HASH || code === SEMICOLON;
}

function isDelimiter(code: number): boolean {
  return code === EQUALS || code === COLON;
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
