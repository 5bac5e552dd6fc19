import { readFileSync } from 'node:fs';
import { FrameworkError } from './errors';
import type * as IniFile from './ini-file';
import { describeSystemError } from './system-error';

/** Config data as code gives it: section → key → value. */
export type ConfigData = Record<string, Record<string, unknown>>;

/** Options of {@link Config.merge}. */
export interface MergeOptions {
  /** Whether values already present are replaced. Default: true. */
  override?: boolean;
}

/**
 * The app's configuration (`app.config`): sections of keys. Values keep the
 * type they were given in code; values read from files and the environment
 * are strings, except `true`/`false`, which are booleans.
 */
export class Config {
  private readonly sections = new Map<string, Map<string, unknown>>();

  /** A value, or `undefined` when the section or key is absent. */
  get<T = unknown>(section: string, key: string): T | undefined {
    return this.sections.get(section)?.get(key) as T | undefined;
  }

  /** Sets a value, creating the section when needed. */
  set(section: string, key: string, value: unknown): void {
    this.section(section).set(key, value);
  }

  /** Whether the section exists, or, with a key, whether the key exists in it. */
  has(section: string, key?: string): boolean {
    const found = this.sections.get(section);
    return key === undefined ? found !== undefined : found?.has(key) === true;
  }

  /** Removes every section and value. */
  clear(): void {
    this.sections.clear();
  }

  /** Adds an empty section if it does not exist yet. */
  addSection(section: string): void {
    this.section(section);
  }

  /** A copy of one section as a plain object (empty when it does not exist). */
  getSection(section: string): Record<string, unknown> {
    return Object.fromEntries(this.sections.get(section) ?? []);
  }

  /** A copy of the whole config as `{ section: { key: value } }`. */
  toObject(): ConfigData {
    return Object.fromEntries([...this.sections.keys()].map((name) => [name, this.getSection(name)]));
  }

  /** The names of every section. */
  getSections(): string[] {
    return [...this.sections.keys()];
  }

  /** Merges `{ section: { key: value } }` into the config. */
  merge(data: ConfigData, options: MergeOptions = {}): void {
    const override = options.override ?? true;
    for (const [name, values] of Object.entries(data)) {
      if (values === null || typeof values !== 'object') {
        throw new FrameworkError(`Config section '${name}' must be an object of keys, got ${typeof values}.`);
      }
      const section = this.section(name);
      for (const [key, value] of Object.entries(values)) {
        if (override || !section.has(key)) section.set(key, value);
      }
    }
  }

  /**
   * Reads an INI file and merges it over what is there. Resolves to false when
   * the file does not exist; a malformed or unreadable file throws a
   * {@link FrameworkError} naming it (and the line).
   */
  parseFile(path: string): boolean {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return false;
      throw new FrameworkError(`Cannot read config file ${path}: ${describeSystemError(error)}.`);
    }
    this.merge((require('./ini-file') as typeof IniFile).parseIni(text, path));
    return true;
  }

  /**
   * Applies environment overrides: `PREFIX_SECTION_KEY=value` sets `key` in an
   * existing `section` (names upper-cased, with every character other than
   * letters and digits written `_`; the longest matching section wins; the key
   * is the existing key of that spelling, else the lower-cased remainder).
   * Resolves to the `section.key` names that were set.
   */
  applyEnvironment(prefix: string, env: NodeJS.ProcessEnv): string[] {
    const head = `${envName(prefix)}_`;
    const sections = [...this.sections.keys()]
      .map((name) => ({ name, env: `${head}${envName(name)}_` }))
      .sort((a, b) => b.env.length - a.env.length);
    const applied: string[] = [];
    for (const [variable, value] of Object.entries(env)) {
      if (value === undefined || !variable.startsWith(head)) continue;
      const match = sections.find((section) => variable.startsWith(section.env) && variable.length > section.env.length);
      if (!match) continue;
      const rest = variable.slice(match.env.length);
      const existing = [...this.section(match.name).keys()].find((key) => envName(key) === rest);
      const key = existing ?? rest.toLowerCase();
      this.set(match.name, key, (require('./ini-file') as typeof IniFile).typedValue(value));
      applied.push(`${match.name}.${key}`);
    }
    return applied;
  }

  private section(name: string): Map<string, unknown> {
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
