/**
 * How an app's config is put together, at setup and again at each reload:
 * code defaults (extensions', the app's, the controllers', mortar's `[log]`),
 * then the config files and directories, then the environment; a reload
 * reads the same paths, runs the extensions' checks and keeps the previous
 * config when anything fails.
 */
import { statSync } from 'node:fs';
import type { Class } from './class';
import { commandRunner } from './command-runner';
import { Config, type ConfigData } from './config';
import { configSearch, homeDirectory, readConfigSources, type ConfigSource } from './config-search';
import type { Logger } from './logger';
import { isOutsideRoot, pathInRoot } from './process-root';

/** What the assembly needs from the app, as signals.ts's `SignalTarget`. */
export interface ConfigTarget {
  readonly label: string;
  readonly config: Config;
  readonly log: Logger;
  /** The controller classes, whose `configDefaults` are code defaults. */
  readonly controllers: readonly Class[];
}

/** The app options the assembly reads (see `AppOptions`). */
export interface ConfigOptions {
  readonly configDefaults?: ConfigData;
  readonly configFiles?: readonly string[];
  readonly configDirs?: readonly string[];
}

/** The `configDefaults` the controllers declare, by section, as the command runner reads them. */
export function controllerDefaults(controllers: readonly Class[]): ConfigData {
  return controllers.length > 0 ? commandRunner().configDefaults(controllers) : {};
}

export class ConfigAssembly {
  /** What extensions put into the config before the app's own defaults, kept for `reload()`. */
  private extensionDefaults: ConfigData = {};
  /** The config keys plugins added, kept for `reload()`. */
  private pluginDefaults: ConfigData = {};
  /**
   * The config files and directories setup resolved (the `~` ones from the `$HOME` of then) and the
   * paths of those that existed: `reload()` reads the same, whatever user the process is now.
   */
  private sources?: { readonly all: readonly ConfigSource[]; readonly found: ReadonlySet<string> };
  /** Checks `reload()` runs on a new config before it takes effect (see {@link addCheck}). */
  private readonly checks: ((config: Config) => void)[] = [];

  constructor(
    private readonly target: ConfigTarget,
    private readonly options: ConfigOptions,
  ) {}

  /** Keeps what the extensions put into the config so far, as the lowest code defaults of every reload. */
  keepExtensionDefaults(): void {
    this.extensionDefaults = this.target.config.toObject();
  }

  /** Keeps the config keys plugins added, for every reload. */
  keepPluginDefaults(added: ConfigData): void {
    this.pluginDefaults = added;
  }

  /** Adds a check `reload()` runs on a new config before it takes effect (see `App.addConfigCheck`). */
  addCheck(check: (config: Config) => void): void {
    this.checks.push(check);
  }

  /** Code defaults, config files, the environment. Returns the `section.key` names the environment set. */
  assemble(): string[] {
    const { config, label, log } = this.target;
    // Code defaults, lowest first: what extensions put in, the app's, each controller's, mortar's [log].
    const code = new Config();
    code.merge(config.toObject());
    code.addSection(label);
    if (this.options.configDefaults) code.merge(this.options.configDefaults);
    code.merge(controllerDefaults(this.target.controllers), { override: false });
    code.merge({ log: { level: 'info', file: '', to_console: true } }, { override: false });
    // Files come before code defaults are filled in, so that a file's [DEFAULT] reaches every key
    // no file sets, as in Cement, whose extensions add their defaults after the files are read.
    config.clear();
    for (const name of code.getSections()) config.addSection(name);
    this.readFiles();
    config.merge(code.toObject(), { override: false });
    const names = config.applyEnvironment(label, process.env);
    for (const name of names) log.debug(`config ${name} set from the environment`, 'core.config');
    return names;
  }

  /**
   * Builds the config again (see `App.reloadConfig()`), runs the checks, then
   * `takeEffect` (the app applies `[log]`); when anything throws, the previous
   * config is restored and the error thrown.
   */
  reload(takeEffect: () => void): void {
    const { config, label } = this.target;
    const previous = config.toObject();
    config.clear();
    config.merge(this.extensionDefaults);
    try {
      this.assemble();
      config.merge(this.pluginDefaults, { override: false });
      config.applyEnvironment(label, process.env);
      for (const check of this.checks) check(config);
      takeEffect();
    } catch (error) {
      config.clear();
      config.merge(previous);
      throw error;
    }
  }

  /**
   * Reads the config files and directories: those the search gives at setup, the same ones again
   * later. A path that did not exist then and can no longer even be looked at (a `~` file under
   * the home of the user the process was before it switched) is skipped; one that existed then
   * is read, and an error if it cannot be.
   */
  private readFiles(): void {
    const { config, label, log } = this.target;
    if (!this.sources) {
      const all = configSearch(label, homeDirectory, this.options.configFiles, this.options.configDirs);
      const found = readConfigSources(config, all, log);
      this.sources = { all, found: new Set(found.map((source) => source.path)) };
      return;
    }
    const { all, found } = this.sources;
    const sources = all.filter((source) => {
      if (found.has(source.path) || canLookAt(source.path)) return true;
      log.debug(
        `config ${source.isDirectory ? 'directory' : 'file'} ${source.path} did not exist at start and cannot be looked at now: skipped`,
        'core.config',
      );
      return false;
    });
    readConfigSources(config, sources, log);
  }
}

/** Whether a path can be looked up (it may not exist): false when a directory on the way may not be searched. */
function canLookAt(path: string): boolean {
  // Nor can a path outside the new root of a daemon that changed it ([daemon] chroot).
  if (isOutsideRoot(path)) return false;
  try {
    statSync(pathInRoot(path), { throwIfNoEntry: false });
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code !== 'EACCES' && code !== 'EPERM';
  }
}
