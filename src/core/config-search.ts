import type { Config } from './config';
import { lazy } from './lazy';
import type { Logger } from './logger';

const os = lazy<typeof import('node:os')>(require, 'node:os');

/** One place config is read from, in the order of the search. */
export interface ConfigSource {
  readonly path: string;
  /** A `conf.d` directory, whose `*.conf` files are read in name order. */
  readonly isDirectory: boolean;
}

/**
 * Where an app's config is read from, in order. Without `files` and `dirs`:
 * `/etc/<label>/<label>.conf`, `/etc/<label>/conf.d`, `~/.config/<label>/<label>.conf`,
 * `~/.config/<label>/conf.d`, `~/.<label>.conf`. Otherwise `files` (or the three
 * default files), then `dirs` (none when only `files` is given). `home` is
 * called only when a default path needs it.
 */
export function configSearch(
  label: string,
  home: () => string,
  files?: readonly string[],
  dirs?: readonly string[],
): ConfigSource[] {
  const file = (path: string): ConfigSource => ({ path, isDirectory: false });
  const directory = (path: string): ConfigSource => ({ path, isDirectory: true });
  if (files === undefined && dirs === undefined) {
    const [system, user, dotFile] = defaultConfigFiles(label, home());
    const [systemDir, userDir] = defaultConfigDirs(label, home());
    return [file(system), directory(systemDir), file(user), directory(userDir), file(dotFile)];
  }
  return [...(files ?? defaultConfigFiles(label, home())).map(file), ...(dirs ?? []).map(directory)];
}

/** The default config files of an app, lowest precedence first. */
export function defaultConfigFiles(label: string, home: string): string[] {
  return [`/etc/${label}/${label}.conf`, `${home}/.config/${label}/${label}.conf`, `${home}/.${label}.conf`];
}

/** The default `conf.d` directories of an app, lowest precedence first. */
export function defaultConfigDirs(label: string, home: string): string[] {
  return [`/etc/${label}/conf.d`, `${home}/.config/${label}/conf.d`];
}

/**
 * Reads every source into `config`, a later one winning, with a debug line for each file read or
 * skipped. Returns the sources that exist (a file read, a directory found).
 */
export function readConfigSources(config: Config, sources: readonly ConfigSource[], log: Logger): ConfigSource[] {
  const found: ConfigSource[] = [];
  for (const source of sources) {
    const { path, isDirectory } = source;
    if (!isDirectory) {
      if (config.parseFile(path)) {
        found.push(source);
        log.debug(`read config file ${path}`, 'core.config');
      } else {
        log.debug(`config file ${path} does not exist: skipped`, 'core.config');
      }
      continue;
    }
    const files = config.parseDirectory(path);
    if (files === false) {
      log.debug(`config directory ${path} does not exist: skipped`, 'core.config');
      continue;
    }
    found.push(source);
    for (const file of files) log.debug(`read config file ${file}`, 'core.config');
  }
  return found;
}

/**
 * The home directory, as `os.homedir()` gives it: `$HOME` when it is set (which is all
 * `homedir()` reads then), else the account database, through `node:os`, which then loads.
 */
export function homeDirectory(): string {
  return process.env.HOME || os().homedir();
}
