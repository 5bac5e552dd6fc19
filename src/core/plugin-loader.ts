/**
 * Plugins: modules an operator drops into a plugin directory and enables in
 * config (`[plugin.NAME] enabled = true`), loaded as extensions during setup,
 * so an installed app can be extended without editing it.
 */
import { realpathSync, statSync } from 'node:fs';
import { createRequire, Module } from 'node:module';
import { dirname, isAbsolute, join } from 'node:path';
import type { Config, ConfigData } from './config';
import { isUnset } from './config-value';
import { FrameworkError } from './errors';
import { checkTrusted } from './safe-files';
import type { Extension } from './extension';
import type { Logger } from './logger';
import { describeSystemError } from './system-error';

const PLUGIN_NAME = /^[a-z0-9_][a-z0-9_-]*$/i;
/** Seconds a plugin's `load()` may take when `[plugin.NAME] load_timeout` does not say. */
export const DEFAULT_LOAD_TIMEOUT = 5;
/** The longest `load_timeout` Node's timers can wait, in seconds (2^31 - 1 ms). */
const MAX_LOAD_TIMEOUT = 2_147_483;

/** What the plugin loader needs from the app, as signals.ts's `SignalTarget`. */
export interface PluginHost {
  readonly label: string;
  readonly config: Config;
  readonly log: Logger;
  /** Loads a plugin as an extension; `what` names it in errors (`plugin 'NAME'`). */
  loadExtension(extension: Extension, what: string): Promise<void>;
}

interface LoadableModule extends NodeModule {
  load(filename: string): void;
}

// Node's own require: inside the single-file build, `require` is the bundle's, which has no cache, resolve or main.
const nodeRequire = createRequire(__filename);

/**
 * Loads every plugin the config enables, in name order: `NAME.js` from the
 * last of `dirs` that has it, or what `[plugin.NAME] module` names (a
 * package, or an absolute path). Any failure is a {@link FrameworkError}
 * naming the plugin and its file. Then applies the environment again, for the
 * sections plugins brought, and resolves to the config keys they added.
 *
 * @param fromEnvironment The `section.key` names the environment already set (not logged again).
 */
export async function loadPlugins(
  app: PluginHost,
  dirs: readonly string[],
  fromEnvironment: readonly string[],
): Promise<ConfigData> {
  const names = enabledPlugins(app);
  if (names.length === 0) return {};
  const before = app.config.toObject();
  for (const name of names) {
    const module = app.config.get(`plugin.${name}`, 'module');
    const file = isUnset(module) ? findInDirs(name, dirs) : resolveModule(app, name, module);
    const seconds = loadTimeout(app, name);
    app.log.debug(`loading plugin '${name}' from ${file}`, 'core.plugin');
    try {
      const loading = app.loadExtension(asExtension(name, loadModule(file)), `plugin '${name}'`);
      await settleWithin(
        loading,
        seconds,
        () =>
          new FrameworkError(
            `its load() did not settle within ${seconds} s: fix it, or give it longer with [plugin.${name}] load_timeout (seconds).`,
          ),
      );
    } catch (error) {
      throw new FrameworkError(
        `Plugin '${name}' (${file}) failed to load: ${esModuleProblem(error) ?? describe(error)}`,
        { cause: error },
      );
    }
  }
  const added = addedKeys(before, app.config.toObject());
  for (const name of app.config.applyEnvironment(app.label, process.env)) {
    if (!fromEnvironment.includes(name)) app.log.debug(`config ${name} set from the environment`, 'core.config');
  }
  return added;
}

/** `[plugin.NAME] load_timeout`: seconds, more than 0; default {@link DEFAULT_LOAD_TIMEOUT}. */
function loadTimeout(app: PluginHost, name: string): number {
  const seconds = app.config.getNumber(`plugin.${name}`, 'load_timeout', DEFAULT_LOAD_TIMEOUT);
  if (!(seconds > 0 && seconds <= MAX_LOAD_TIMEOUT)) {
    throw app.config.invalid(
      `plugin.${name}`,
      'load_timeout',
      `use seconds, more than 0 and at most ${MAX_LOAD_TIMEOUT}`,
    );
  }
  return seconds;
}

/**
 * Resolves or rejects as `work` does, or rejects with `timedOut()` after `seconds`. The timer
 * does not hold the process: work that waits on nothing is the app's to report (see `App.track`).
 */
function settleWithin<T>(work: Promise<T>, seconds: number, timedOut: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timedOut()), seconds * 1000).unref();
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** The keys `after` has that `before` lacks, by section. */
function addedKeys(before: ConfigData, after: ConfigData): ConfigData {
  const added: ConfigData = {};
  for (const [section, values] of Object.entries(after)) {
    for (const [key, value] of Object.entries(values)) {
      if (!Object.hasOwn(before[section] ?? {}, key)) (added[section] ??= {})[key] = value;
    }
  }
  return added;
}

/** The names of the `[plugin.NAME]` sections whose `enabled` is true, sorted. */
function enabledPlugins(app: PluginHost): string[] {
  const names: string[] = [];
  for (const section of app.config.getSections()) {
    if (!section.startsWith('plugin.')) continue;
    const name = section.slice('plugin.'.length);
    // As Cement reads it: configparser's booleans (yes/no, on/off, 1/0 too); no value, not enabled.
    if (!app.config.getBoolean(section, 'enabled', false)) continue;
    if (!PLUGIN_NAME.test(name)) {
      throw new FrameworkError(`Invalid plugin name '${name}' in [${section}]: use letters, digits, '_' and '-'.`);
    }
    names.push(name);
  }
  return names.sort();
}

function findInDirs(name: string, dirs: readonly string[]): string {
  for (const dir of [...dirs].reverse()) {
    const file = join(dir, `${name}.js`);
    if (statSync(file, { throwIfNoEntry: false })?.isFile()) return checked(name, file);
  }
  const where = dirs.length > 0 ? dirs.join(', ') : 'no plugin directory (pluginDirs is empty)';
  throw new FrameworkError(`Plugin '${name}' is enabled in [plugin.${name}] but there is no ${name}.js in ${where}.`);
}

function resolveModule(app: PluginHost, name: string, module: unknown): string {
  if (typeof module !== 'string' || module.startsWith('.'))
    throw app.config.invalid(`plugin.${name}`, 'module', 'use a package name or an absolute path');
  if (isAbsolute(module)) return checked(name, module);
  // From the application's own directory: never the working directory, where anyone may have planted a node_modules.
  const starts = [applicationDir(name)];
  let file: string;
  try {
    file = nodeRequire.resolve(module, { paths: starts });
  } catch {
    throw new FrameworkError(
      `Plugin '${name}': cannot find module '${module}' (from [plugin.${name}] module) from ${starts.join(' or ')}.`,
    );
  }
  return checked(name, file);
}

/** The directory of the program's main module (of the script node started, for an ES module program). */
function applicationDir(name: string): string {
  const main = nodeRequire.main?.filename ?? process.argv[1];
  if (!main)
    throw new FrameworkError(
      `Plugin '${name}': [plugin.${name}] module names a package, but this program has no main module to find it from; give an absolute path.`,
    );
  return dirname(main);
}

/**
 * The real path of a plugin file, refused unless it and every directory up to
 * `/` belong to root or the effective user and no one else can write them
 * (sticky directories excepted), whoever runs the program: code another
 * account can change would run as this one.
 */
function checked(name: string, file: string): string {
  try {
    checkTrusted(file, { always: true });
    return realpathSync(file);
  } catch (error) {
    throw new FrameworkError(`Plugin '${name}' (${file}) is not loaded: ${describeSystemError(error)}.`);
  }
}

/**
 * Loads a CommonJS plugin file. `require('mortar')` inside it gives this
 * very mortar, wherever the file lies, so a plugin in /etc needs no
 * node_modules of its own and shares the app's classes and decorators.
 */
function loadModule(file: string): unknown {
  const cached = nodeRequire.cache[file];
  if (cached) return cached.exports;
  const plugin = new (Module as unknown as new (id: string, parent?: NodeModule) => LoadableModule)(file, module);
  const ownRequire = plugin.require.bind(plugin);
  plugin.require = ((id: string): unknown =>
    id === 'mortar' || id.startsWith('mortar/') ? nodeRequire(id) : ownRequire(id)) as typeof plugin.require;
  nodeRequire.cache[file] = plugin;
  try {
    plugin.load(file);
  } catch (error) {
    delete nodeRequire.cache[file];
    throw error;
  }
  return plugin.exports;
}

/** The plugin's extension: the module itself, or its default export, with a `load(app)` function. */
function asExtension(name: string, exports: unknown): Extension {
  const candidates = [exports, (exports as { default?: unknown } | null)?.default];
  const plugin = candidates.find(
    (candidate): candidate is Partial<Extension> =>
      typeof (candidate as Partial<Extension> | null)?.load === 'function',
  );
  if (!plugin) throw new FrameworkError(`it exports no load(app) function`);
  const ownName = typeof plugin.name === 'string' && plugin.name !== '' ? plugin.name : name;
  return { name: ownName, load: (app) => plugin.load!(app) };
}

/**
 * Why an ES module plugin failed, when that is what failed. Plugins are loaded with require(), so
 * that require('mortar') in them is the app's own mortar wherever the file lies: Node loads an ES
 * module that way only where it can (20.19+, 22.12+), never one with top-level await, and an
 * `import ... from 'mortar'` in it is resolved from the plugin's directory, where mortar is not.
 */
function esModuleProblem(error: unknown): string | undefined {
  const { code, message = '' } = (error ?? {}) as { code?: unknown; message?: string };
  const isEsModule =
    code === 'ERR_REQUIRE_ESM' ||
    code === 'ERR_REQUIRE_ASYNC_MODULE' ||
    (code === 'ERR_MODULE_NOT_FOUND' && message.includes("'mortar'")) ||
    (error instanceof SyntaxError && /import statement outside a module|Unexpected token 'export'/.test(message));
  if (!isEsModule) return undefined;
  return (
    'it is an ES module, and plugins must be CommonJS (module.exports, require()): mortar loads a plugin with require() ' +
    "so that require('mortar') in it is the app's own mortar wherever the file lies, which an import cannot reach" +
    (code === 'ERR_REQUIRE_ASYNC_MODULE' ? ' (and require() cannot load a module with top-level await)' : '') +
    '; compile it to CommonJS (tsc "module": "commonjs") or write it as a .cjs file'
  );
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const message = error.message.split('\n')[0];
  return error instanceof FrameworkError ? message : `${error.name}: ${message}`;
}
