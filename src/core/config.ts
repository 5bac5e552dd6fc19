import { readdirSync, statSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_SECTION, isUnset, quote, toBoolean, toInteger, toList, toNumber, typedValue } from './config-value';
import { FrameworkError } from './errors';
import type { IniFile } from './ini-file';
import { lazy } from './lazy';
import { OutsideRootError, pathInRoot, processRoot } from './process-root';
import { describeSystemError } from './system-error';

// Reading and parsing a file: an app configured by code and the environment alone needs neither.
const configFile = lazy<typeof import('./config-file')>(require, './config-file');
const iniFile = lazy<typeof import('./ini-file')>(require, './ini-file');

/** Config data as code gives it: section → key → value. */
export type ConfigData = Record<string, Record<string, unknown>>;

/** Options of {@link Config.merge}. */
export interface MergeOptions {
  /**
   * Whether values already present are replaced. Default: true. With false, a
   * key a section inherits from `[DEFAULT]` counts as present.
   */
  override?: boolean;
}

/** Other names of sections: Cement's logging extension reads `[log.logging]`, mortar's logger `[log]`. */
const ALIASES: ReadonlyMap<string, string> = new Map([['log.logging', 'log']]);

/** Where a value was read, and the name of its section there when that is an alias. */
interface Origin {
  readonly where: string;
  readonly section?: string;
}

/** Where one file's keys are, for {@link Config.origin}. */
interface FileSource {
  readonly path: string;
  readonly lines: IniFile['lines'];
}

/**
 * The app's configuration (`app.config`): sections of keys. Values keep the
 * type they were given in code; values read from files and the environment
 * are text, except `true`/`false`, which are booleans (the typed getters
 * convert the rest). `[DEFAULT]` is not a section: its keys are inherited by
 * every section that lacks them. `[log.logging]` is another name of `[log]`.
 */
export class Config {
  private readonly sections = new Map<string, Map<string, unknown>>();
  private readonly inherited = new Map<string, unknown>();
  /** `section\0key` → where the value was read (and under which section name); absent for values set by code. */
  private readonly origins = new Map<string, Origin>();

  /** A value (a section's own, else the one it inherits from `[DEFAULT]`), or `undefined` when the section or key is absent. */
  get<T = unknown>(section: string, key: string): T | undefined {
    const name = canonical(section);
    if (name === DEFAULT_SECTION) return this.inherited.get(key) as T | undefined;
    const values = this.sections.get(name);
    if (!values) return undefined;
    return (values.has(key) ? values.get(key) : this.inherited.get(key)) as T | undefined;
  }

  /**
   * A boolean: `true`/`false`, or text configparser reads as one (`yes`/`no`,
   * `on`/`off`, `1`/`0`, in any case). An absent or empty value gives
   * `fallback`; anything else is a {@link FrameworkError} naming the key, the
   * value and where it was read.
   */
  getBoolean(section: string, key: string): boolean | undefined;
  getBoolean(section: string, key: string, fallback: boolean): boolean;
  getBoolean(section: string, key: string, fallback?: boolean): boolean | undefined {
    return this.typed(section, key, fallback, toBoolean, 'expected true or false (or yes/no, on/off, 1/0)');
  }

  /** A finite number, from a number or decimal text (`8080`, `1.5`, `1e3`); absent or empty gives `fallback`; anything else is an error, as {@link getBoolean}. */
  getNumber(section: string, key: string): number | undefined;
  getNumber(section: string, key: string, fallback: number): number;
  getNumber(section: string, key: string, fallback?: number): number | undefined {
    return this.typed(section, key, fallback, toNumber, 'expected a number');
  }

  /** A safe integer, from a number or text of digits with an optional sign; absent or empty gives `fallback`; anything else is an error, as {@link getBoolean}. */
  getInteger(section: string, key: string): number | undefined;
  getInteger(section: string, key: string, fallback: number): number;
  getInteger(section: string, key: string, fallback?: number): number | undefined {
    return this.typed(section, key, fallback, toInteger, 'expected an integer');
  }

  /**
   * A list: an array given in code (each item as text), or one item per line
   * of a multi-line value, each trimmed, blank lines left out. Absent or empty
   * gives `fallback`.
   */
  getList(section: string, key: string): string[] | undefined;
  getList(section: string, key: string, fallback: string[]): string[];
  getList(section: string, key: string, fallback?: string[]): string[] | undefined {
    return this.typed(section, key, fallback, toList, 'expected text, one item per line');
  }

  /**
   * Where a value was read: `'<file>, line <n>'`, `'environment variable <NAME>'`,
   * either prefixed with `'[DEFAULT] in '` when the section inherits it, or
   * `undefined` for a value set by code or an absent one.
   */
  origin(section: string, key: string): string | undefined {
    return this.originOf(section, key)?.where;
  }

  /**
   * The error for a value that is not what a reader expects, naming it and
   * where it was read: `Invalid [daemon] ready_timeout 'soon' (/etc/myapp/myapp.conf,
   * line 9): expected a number.` Extensions use it to check their own keys.
   */
  invalid(section: string, key: string, expected: string): FrameworkError {
    const origin = this.originOf(section, key);
    const value = this.get(section, key);
    const where = origin ? ` (${origin.where})` : '';
    return new FrameworkError(
      `Invalid [${origin?.section ?? section}] ${key} ${quote(String(value))}${where}: ${expected}.`,
    );
  }

  /** Sets a value, creating the section when needed. */
  set(section: string, key: string, value: unknown): void {
    const name = canonical(section);
    this.values(name).set(key, value);
    this.origins.delete(originKey(name, key));
  }

  /** Whether the section exists, or, with a key, whether the section has it (its own or from `[DEFAULT]`). */
  has(section: string, key?: string): boolean {
    const name = canonical(section);
    if (name === DEFAULT_SECTION) return key !== undefined && this.inherited.has(key);
    const values = this.sections.get(name);
    if (!values) return false;
    return key === undefined || values.has(key) || this.inherited.has(key);
  }

  /** Removes every section and value. */
  clear(): void {
    this.sections.clear();
    this.inherited.clear();
    this.origins.clear();
  }

  /** Adds an empty section if it does not exist yet. */
  addSection(section: string): void {
    this.values(canonical(section));
  }

  /** A copy of one section as a plain object, with the keys it inherits from `[DEFAULT]` (empty when it does not exist). */
  getSection(section: string): Record<string, unknown> {
    const name = canonical(section);
    if (name === DEFAULT_SECTION) return Object.fromEntries(this.inherited);
    const values = this.sections.get(name);
    if (!values) return {};
    const copy = Object.fromEntries(values);
    for (const [key, value] of this.inherited) if (!values.has(key)) copy[key] = value;
    return copy;
  }

  /**
   * A copy of the whole config as `{ section: { key: value } }`: each
   * section's own keys, and `DEFAULT` when it has keys, so that `merge()` of
   * it restores the same config.
   */
  toObject(): ConfigData {
    const data: ConfigData = {};
    for (const [name, values] of this.sections) data[name] = Object.fromEntries(values);
    if (this.inherited.size > 0) data[DEFAULT_SECTION] = Object.fromEntries(this.inherited);
    return data;
  }

  /** The names of every section (`DEFAULT` is not one). */
  getSections(): string[] {
    return [...this.sections.keys()];
  }

  /**
   * Merges `{ section: { key: value } }` into the config. `DEFAULT` holds keys
   * every section inherits; `log.logging` merges into `log`, where `log`'s own
   * keys in the same data win.
   */
  merge(data: ConfigData, options: MergeOptions = {}): void {
    this.mergeData(data, options.override ?? true);
  }

  /**
   * Reads an INI file (docs/configuration.md, "INI rules") and merges it over what is there.
   * Returns false when the file does not exist; a file that is malformed,
   * unreadable, not a regular file or larger than 1 MiB throws a
   * {@link FrameworkError} naming it (and the line), and changes nothing.
   */
  parseFile(path: string): boolean {
    const at = configPathInRoot(path, 'file');
    const stats = statOfConfigPath(at, 'file', path);
    if (!stats) return false;
    const text = configFile().readConfigFile(path, stats, at);
    if (text === undefined) return false;
    const file = iniFile().parseIni(text, path);
    this.mergeData(file.sections, true, { path, lines: file.lines });
    return true;
  }

  /**
   * Reads every `*.conf` file of a directory in name order, as {@link parseFile}
   * does (hidden files are left out, as a shell's `*.conf` leaves them out).
   * Returns the files read, or false when the directory does not exist;
   * a path that is not a directory is an error.
   */
  parseDirectory(path: string): string[] | false {
    const at = configPathInRoot(path, 'directory');
    if (!statOfConfigPath(at, 'directory', path)) return false;
    let names: string[];
    try {
      names = readdirSync(at);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || (code === 'ENOTDIR' && !exists(at))) return false;
      const reason = code === 'ENOTDIR' ? 'not a directory' : describeSystemError(error);
      throw new FrameworkError(`Cannot read config directory ${path}: ${reason}.`);
    }
    const read: string[] = [];
    for (const name of names.filter((entry) => entry.endsWith('.conf') && !entry.startsWith('.')).sort(byCodePoint)) {
      const file = join(path, name);
      if (this.parseFile(file)) read.push(file);
    }
    return read;
  }

  /**
   * Applies environment overrides: `PREFIX_SECTION_KEY=value` sets `key` in an
   * existing `section` (names upper-cased, with every character other than
   * letters and digits written `_`; the longest matching section wins; the key
   * is the existing key of that spelling, else the lower-cased remainder).
   * Returns the `section.key` names that were set.
   */
  applyEnvironment(prefix: string, env: NodeJS.ProcessEnv): string[] {
    const head = `${envName(prefix)}_`;
    const names = [...this.sections.keys()].map((name) => ({ name, spelled: name }));
    // Cement's variable for [log.logging] level is MYAPP_LOG_LOGGING_LEVEL.
    for (const [alias, name] of ALIASES) if (this.sections.has(name)) names.push({ name, spelled: alias });
    const sections = names
      .map((section) => ({ ...section, env: `${head}${envName(section.spelled)}_` }))
      .sort((a, b) => b.env.length - a.env.length);
    const found: { section: string; key: string; value: string; variable: string; isAlias: boolean }[] = [];
    for (const [variable, value] of Object.entries(env)) {
      if (value === undefined || !variable.startsWith(head)) continue;
      const match = sections.find(
        (section) => variable.startsWith(section.env) && variable.length > section.env.length,
      );
      if (!match) continue;
      const rest = variable.slice(match.env.length);
      const existing = [...this.values(match.name).keys()].find((key) => envName(key) === rest);
      found.push({
        section: match.name,
        key: existing ?? rest.toLowerCase(),
        value,
        variable,
        isAlias: match.spelled !== match.name,
      });
    }
    // As in a file, the section's own name wins over its alias.
    found.sort((a, b) => Number(b.isAlias) - Number(a.isAlias));
    for (const { section, key, value, variable } of found) {
      this.set(section, key, typedValue(value));
      this.origins.set(originKey(section, key), { where: `environment variable ${variable}` });
    }
    return [...new Set(found.map(({ section, key }) => `${section}.${key}`))];
  }

  private originOf(section: string, key: string): Origin | undefined {
    const name = canonical(section);
    const own = this.origins.get(originKey(name, key));
    if (own !== undefined || name === DEFAULT_SECTION || !this.sections.has(name) || this.sections.get(name)!.has(key))
      return own;
    const inherited = this.origins.get(originKey(DEFAULT_SECTION, key));
    return inherited && { where: `[DEFAULT] in ${inherited.where}` };
  }

  private typed<T>(
    section: string,
    key: string,
    fallback: T | undefined,
    convert: (value: unknown) => T | undefined,
    expected: string,
  ): T | undefined {
    const value = this.get(section, key);
    if (isUnset(value)) return fallback;
    const converted = convert(value);
    if (converted === undefined) throw this.invalid(section, key, expected);
    return converted;
  }

  private mergeData(data: ConfigData, override: boolean, source?: FileSource): void {
    for (const [name, values] of Object.entries(data)) {
      if (values === null || typeof values !== 'object') {
        throw new FrameworkError(`Config section '${name}' must be an object of keys, got ${typeof values}.`);
      }
      const target = canonical(name);
      const preferred = target === name ? undefined : data[target];
      const into = this.values(target);
      for (const [key, value] of Object.entries(values)) {
        if (preferred && Object.hasOwn(preferred, key)) continue;
        if (!override && this.has(target, key)) continue;
        into.set(key, source ? typedValue(value as string) : value);
        const where = originKey(target, key);
        if (source)
          this.origins.set(where, {
            where: `${source.path}, line ${source.lines[name][key]}`,
            section: target === name ? undefined : name,
          });
        else this.origins.delete(where);
      }
    }
  }

  /** The values of a section (created when absent), or the inherited ones of `DEFAULT`. */
  private values(name: string): Map<string, unknown> {
    if (name === DEFAULT_SECTION) return this.inherited;
    let section = this.sections.get(name);
    if (!section) {
      section = new Map();
      this.sections.set(name, section);
    }
    return section;
  }
}

/** `log.logging` → `LOG_LOGGING`; `my-app` → `MY_APP`. */
export function envName(name: string): string {
  return name.replace(/[^a-zA-Z0-9]/g, '_').toUpperCase();
}

/** Builds `{ a: {}, b: {} }`: the start of a config defaults object, as in `defaults('myapp', 'daemon')`. */
export function defaults<const S extends string>(...sections: S[]): Record<S, Record<string, unknown>> {
  const result = {} as Record<S, Record<string, unknown>>;
  for (const section of sections) result[section] = {};
  return result;
}

function canonical(section: string): string {
  return ALIASES.get(section) ?? section;
}

function originKey(section: string, key: string): string {
  return `${section}\0${key}`;
}

/**
 * The stats of a config file or directory, or undefined when there is none (a missing path, or a
 * file where a directory was expected on the way): found without an exception, which costs a start
 * more than a stat. Any other failure is an error naming the path.
 */
function statOfConfigPath(at: string, kind: 'file' | 'directory', path: string): Stats | undefined {
  try {
    return statSync(at, { throwIfNoEntry: false });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw new FrameworkError(`Cannot read config ${kind} ${path}: ${describeSystemError(error)}.`);
  }
}

/**
 * Where this process reads the config file or directory the host calls
 * `path`: the same path, unless a daemon changed its root (`[daemon] chroot`),
 * when a path outside the new root cannot be read again (one line saying so).
 */
function configPathInRoot(path: string, kind: 'file' | 'directory'): string {
  try {
    return pathInRoot(path);
  } catch (error) {
    if (!(error instanceof OutsideRootError)) throw error;
    throw new FrameworkError(
      `Cannot read config ${kind} ${path} again: it lies outside the daemon's root directory ${processRoot()?.configured} ([daemon] chroot); ` +
        'keep the config a chrooted daemon reloads inside that directory, or restart the daemon to read it.',
    );
  }
}

function exists(path: string): boolean {
  try {
    return statSync(path, { throwIfNoEntry: false }) !== undefined;
  } catch {
    return false;
  }
}

/** Name order as Python's `sorted()` gives it: by code point (UTF-16 order differs above U+FFFF). */
function byCodePoint(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
