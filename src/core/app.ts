import type { DependencyContainer } from 'tsyringe';
import type { Class } from './class';
import { commandRunner } from './command-runner';
import { Config, type ConfigData } from './config';
import { ConfigAssembly, controllerDefaults } from './config-assembly';
import { defaultConfigDirs, defaultConfigFiles, homeDirectory } from './config-search';
import { CrashHandler } from './crash-handler';
import { FrameworkError, UsageError, isFrameworkError } from './errors';
import { resolveExtension, type Extension } from './extension';
import { HookManager, type HookFunction } from './hooks';
import { lazy } from './lazy';
import { configureLog, flagSettings, type LogFlags } from './log-settings';
import { Logger, type LogAdapter } from './logger';
import { globalOption, type OptionSpec } from './option-spec';
import type { OutputHandler, RenderOptions } from './output-handler';
import { OutputStream } from './output-stream';
import { PendingWork } from './pending-work';
import { processExit } from './process-exit';
import { Providers, type Provider } from './providers';
import type { Renderer } from './renderer';
import { SignalHandler, isStopAbort } from './signals';
import { takeInvocationDir } from './invocation-dir';

// An app that never renders, or whose config names no plugin, loads neither.
const rendererModule = lazy<typeof import('./renderer')>(require, './renderer');
const pluginLoader = lazy<typeof import('./plugin-loader')>(require, './plugin-loader');

/** A hook given in {@link AppOptions.hooks}: `[name, fn]` or `[name, fn, weight]`. */
export type HookTuple = readonly [name: string, fn: HookFunction, weight?: number];

export type { Class } from './class';
export type { Provider } from './providers';

/** Options of `new App(label, options)`. */
export interface AppOptions {
  /** Extensions to load during setup: built-in names (`'daemon'`) or extension objects. Default: none. */
  extensions?: readonly (string | Extension)[];
  /** Controller classes (decorated with `@Controller`). Default: none (the app has only global options). */
  controllers?: readonly Class[];
  /** Config defaults, lowest precedence: `{ section: { key: value } }` (see `defaults()`). Default: `{}`. */
  configDefaults?: ConfigData;
  /**
   * Config files read in order, replacing the default search: `/etc/<label>/<label>.conf`,
   * `/etc/<label>/conf.d/*.conf`, `~/.config/<label>/<label>.conf`, `~/.config/<label>/conf.d/*.conf`,
   * `~/.<label>.conf`. Given without `configDirs`, no directory is read. Default: that search.
   */
  configFiles?: readonly string[];
  /**
   * Directories whose `*.conf` files are read in name order, after every config file, replacing
   * the default `/etc/<label>/conf.d` and `~/.config/<label>/conf.d`. Default: those two (each
   * read after the main file of its level), or none when `configFiles` is given.
   */
  configDirs?: readonly string[];
  /** Hooks to register during setup, before `pre_setup` runs. */
  hooks?: readonly HookTuple[];
  /** The command line, without node and the script. Default: `process.argv.slice(2)`. */
  argv?: readonly string[];
  /** A tsyringe container controllers are resolved from. Default: a child of the global container, created on first use. */
  container?: DependencyContainer;
  /** Where command output goes. Default: the process's standard output, written synchronously. */
  stdout?: NodeJS.WritableStream;
  /** Where log lines and errors go. Default: the process's standard error, written synchronously. */
  stderr?: NodeJS.WritableStream;
  /** The app's version; when given, `--version` prints it. */
  version?: string;
  /** How long, in ms, a command may go on after a stop signal before the app closes anyway. Default: 10000. */
  shutdownTimeout?: number;
  /**
   * Whether SIGTERM, SIGINT and SIGHUP are handled, and an exception nothing
   * caught closes the app (one error line, exit 1) instead of crashing it
   * (see docs/application.md, "Signals and shutdown"). Default: true, false when `embedded`.
   */
  handleSignals?: boolean;
  /**
   * The output handler `app.render()` uses (`'json'`, `'text'`, or one an
   * extension registers); `[<label>] output` in config overrides it. Giving it
   * also gives the app the global option `--output NAME` (and `-o NAME`, unless
   * the app's own options use `-o`), which overrides both. Default: `'text'`,
   * without the option.
   */
  output?: string;
  /**
   * Directories searched for plugin files (`NAME.js`) when a `[plugin.NAME]`
   * section says `enabled = true`; when several hold the file, the last one
   * listed wins. Default: `/etc/<label>/plugins.d`, `~/.config/<label>/plugins.d`.
   */
  pluginDirs?: readonly string[];
  /**
   * Whether the app runs inside a program it does not own (a test runner, a
   * server that runs commands): `main()` leaves `process.exitCode` alone,
   * signals and uncaught exceptions are left to the host unless
   * `handleSignals` says otherwise, and daemonizing, which would change the
   * whole process, is refused. Default: false (`runApp()` of `mortar/testing` sets it).
   */
  embedded?: boolean;
  /**
   * A logger the app already has (a pino logger, or any object with pino's
   * `debug info warn error` methods, see {@link LogAdapter}): `app.log` and
   * mortar's own messages go through it instead of mortar's console and file
   * output; `[log] level` and `--debug`/`--quiet` still decide which are handed
   * over, and `[log] file`, `format` and `rotate` are refused. Default: none.
   */
  logger?: LogAdapter;
}

const LABEL = /^[a-z][a-z0-9_-]*$/i;

/**
 * Injection tokens for the app's own objects, for code that injects by token
 * (`@inject(TOKENS.log) log: Logger`) rather than by class.
 */
export const TOKENS = Object.freeze({
  app: Symbol.for('mortar.App'),
  config: Symbol.for('mortar.Config'),
  log: Symbol.for('mortar.Logger'),
});

/**
 * A mortar application: setup → run → close, with hooks, extensions, INI
 * configuration, logging, signals, and controllers whose methods are commands.
 */
export class App {
  /** The app's name: config section, environment prefix, default config file names, log namespace. */
  readonly label: string;
  readonly config = new Config();
  readonly log: Logger;
  readonly hooks: HookManager;
  /** The command line (without node and the script). */
  readonly argv: readonly string[];
  readonly version?: string;
  /** The parsed arguments, once `run()` has parsed the command line. */
  pargs: Record<string, unknown> = {};
  /** How long, in ms, a command may go on after a stop signal before the app closes anyway (`AppOptions.shutdownTimeout`). */
  readonly shutdownTimeout: number;
  /** The working directory when the app was created; relative paths in config resolve against it. */
  readonly invocationDir = takeInvocationDir();
  /** The exit code `main()` settled on. */
  exitCode = 0;
  /** The last error `main()` reported, if any. */
  lastError: unknown;
  /** Whether the app runs inside a program it does not own (see {@link AppOptions.embedded}). */
  readonly embedded: boolean;

  private readonly options: AppOptions;
  private readonly extensions = new Map<string, Extension>();
  private readonly globals: OptionSpec[] = [];
  /** What controllers can have injected, and the tsyringe container. */
  private readonly providers: Providers;
  private readonly controllerClasses: Class[];
  /** How many of `globals` are the app's own; extensions' options follow them. */
  private readonly coreGlobalCount: number;
  private renderer?: Renderer;
  private readonly signals: SignalHandler;
  /** What `main()` is waiting on, named for the error when nothing is left that could settle it. */
  private readonly pending = new PendingWork();
  private hasStalled = false;
  private readonly crashes: CrashHandler;
  private state: 'new' | 'setting-up' | 'ready' = 'new';
  private hasStartedRun = false;
  private closing?: Promise<void>;
  private readonly outputs: { stdout?: NodeJS.WritableStream; stderr?: NodeJS.WritableStream } = {};
  /** How the config is put together at setup and at each reload. */
  private readonly assembly: ConfigAssembly;
  /** `--debug` and `--quiet` from the raw command line, read once. */
  private readonly logFlags: LogFlags;

  constructor(label: string, options: AppOptions = {}) {
    if (typeof label !== 'string' || !LABEL.test(label)) {
      throw new FrameworkError(
        `Invalid app label '${String(label)}': use letters, digits, '_' and '-', starting with a letter.`,
      );
    }
    this.label = label;
    this.options = options;
    this.argv = [...(options.argv ?? process.argv.slice(2))];
    this.version = options.version;
    this.embedded = options.embedded ?? false;
    this.controllerClasses = [...(options.controllers ?? [])];
    this.log = new Logger(label, () => this.stderr, options.logger);
    this.logFlags = { debug: this.hasRawFlag('--debug'), quiet: this.hasRawFlag('--quiet') };
    if (this.logFlags.debug || this.logFlags.quiet) this.log.configure(flagSettings(this.logFlags));
    this.assembly = new ConfigAssembly(this, options);
    this.providers = new Providers(options.container);
    this.hooks = new HookManager(this.log, this.pending);
    this.shutdownTimeout = options.shutdownTimeout ?? 10_000;
    this.signals = new SignalHandler(this, this.shutdownTimeout);
    this.crashes = new CrashHandler(this, this.shutdownTimeout);
    this.globals.push(
      globalOption(['-h', '--help'], 'show this help message and exit'),
      globalOption(['--debug'], 'toggle debug output'),
      globalOption(['--quiet'], 'suppress all console log output'),
    );
    if (this.version !== undefined)
      this.globals.push(globalOption(['--version'], "show the program's version and exit"));
    this.coreGlobalCount = this.globals.length;
    for (const token of [App, TOKENS.app]) this.provide(token, () => this);
    for (const token of [Config, TOKENS.config]) this.provide(token, () => this.config);
    for (const token of [Logger, TOKENS.log]) this.provide(token, () => this.log);
  }

  /** Where command output goes: `options.stdout`, else the process's standard output (written synchronously). */
  get stdout(): NodeJS.WritableStream {
    return (this.outputs.stdout ??= this.options.stdout ?? new OutputStream(1));
  }

  /** Where log lines and errors go: `options.stderr`, else the process's standard error (written synchronously). */
  get stderr(): NodeJS.WritableStream {
    return (this.outputs.stderr ??= this.options.stderr ?? new OutputStream(2));
  }

  /** Aborts when SIGTERM, SIGINT or a stopping SIGHUP stops the app; long-running commands pass it to their waits. */
  get signal(): AbortSignal {
    return this.signals.signal;
  }

  /** The controller classes: those given in the options, then those extensions and plugins added. */
  get controllers(): readonly Class[] {
    return this.controllerClasses;
  }

  /**
   * The options every level of the command line accepts: `--help`, `--debug`,
   * `--quiet`, `--version`, `--output` (see {@link AppOptions.output}), then those extensions add.
   */
  get globalArguments(): readonly OptionSpec[] {
    if (this.options.output === undefined) return this.globals;
    return [
      ...this.globals.slice(0, this.coreGlobalCount),
      this.outputRenderer.option(),
      ...this.globals.slice(this.coreGlobalCount),
    ];
  }

  /**
   * The tsyringe container controllers are resolved from, created (and tsyringe
   * loaded) on first use. The app, its config, its logger and whatever
   * extensions provide are registered in it.
   */
  get container(): DependencyContainer {
    return this.providers.container;
  }

  /**
   * Makes a value injectable into controllers by class or token. Extensions use
   * this for their services (the daemon extension provides `DaemonService`).
   */
  provide(token: unknown, provider: Provider): void {
    this.providers.provide(token, provider);
  }

  /** The provider registered for a token, if any. */
  providerFor(token: unknown): Provider | undefined {
    return this.providers.providerFor(token);
  }

  /** Adds an option every level of the command line accepts (e.g. the daemon's `--daemon`). */
  addGlobalArgument(spec: OptionSpec): void {
    if (this.globals.some((known) => known.dest === spec.dest)) {
      throw new FrameworkError(`Global option '${spec.flags.join(', ')}' is already defined.`);
    }
    this.globals.push(spec);
  }

  /**
   * Adds a controller class, as the `controllers` option does; extensions and
   * plugins use it during setup. Its `configDefaults` go under the config files.
   */
  addController(controller: Class): void {
    if (this.hasStartedRun)
      throw new FrameworkError(`Cannot add controller ${controller.name}: the app is already running.`);
    if (this.controllerClasses.includes(controller)) return;
    this.controllerClasses.push(controller);
    if (this.state !== 'new') this.config.merge(controllerDefaults([controller]), { override: false });
  }

  /**
   * Renders data with the chosen output handler (see {@link AppOptions.output}),
   * through the `pre_render` and `post_render` hooks, writes the text to
   * `stdout` (unless `write: false`) and resolves to it.
   */
  render<T>(data: T, options?: RenderOptions<T>): Promise<string> {
    return this.outputRenderer.render(data, options as RenderOptions);
  }

  /** Registers an output handler, for `app.render()`, `--output` and `[<label>] output`. Its name must be new. */
  addOutputHandler(handler: OutputHandler): void {
    this.outputRenderer.register(handler);
  }

  /** Whether a flag appears on the raw command line, before any `--`. Works before arguments are parsed. */
  hasRawFlag(flag: string): boolean {
    for (const token of this.argv) {
      if (token === '--') return false;
      if (token === flag) return true;
    }
    return false;
  }

  /**
   * Adds a member to the app, e.g. `app.daemonize`. Extensions use it; an
   * existing member is never replaced.
   */
  extend(name: string, value: unknown): void {
    if (name in this) throw new FrameworkError(`Cannot extend the app with '${name}': it already has that member.`);
    Object.defineProperty(this, name, { value, configurable: false, enumerable: false, writable: false });
  }

  /** Whether an extension of that name is loaded. */
  hasExtension(name: string): boolean {
    return this.extensions.has(name);
  }

  /** pre_setup → extensions → config → log → post_setup. Runs once. */
  async setup(): Promise<void> {
    if (this.state !== 'new') throw new FrameworkError('setup() was already called.');
    this.state = 'setting-up';
    for (const [name, fn, weight] of this.options.hooks ?? []) this.hooks.register(name, fn, { weight });
    if (this.options.handleSignals ?? !this.embedded) {
      this.signals.install();
      this.crashes.install();
    }
    await this.hooks.run('pre_setup', this);
    for (const spec of this.options.extensions ?? []) await this.loadExtension(spec);
    this.assembly.keepExtensionDefaults();
    const fromEnvironment = this.assembly.assemble();
    await this.setupPlugins(fromEnvironment);
    this.setupLog();
    await this.hooks.run('post_setup', this);
    this.state = 'ready';
  }

  /**
   * Loads one extension; loading the same name again is skipped.
   *
   * @param what How errors name it: `extension 'NAME'` by default (plugins are `plugin 'NAME'`).
   */
  async loadExtension(spec: string | Extension, what?: string): Promise<void> {
    const extension = resolveExtension(spec);
    if (this.extensions.has(extension.name)) {
      this.log.debug(`extension '${extension.name}' is already loaded`, 'core.extension');
      return;
    }
    this.log.debug(`loading the '${extension.name}' extension`, 'core.extension');
    this.extensions.set(extension.name, extension);
    await this.track(`${what ?? `extension '${extension.name}'`} load() never settled`, () => extension.load(this));
  }

  /** pre_run → parse the command line → dispatch → post_run. Resolves to the exit code. */
  async run(): Promise<number> {
    if (this.state !== 'ready') throw new FrameworkError('run() needs setup() first.');
    this.hasStartedRun = true;
    await this.hooks.run('pre_run', this);
    // A misnamed output handler in the config fails before the command runs, not after.
    if (this.options.output !== undefined || this.config.has(this.label, 'output')) this.outputRenderer.defaultName();
    const code = await commandRunner().run(this);
    await this.hooks.run('post_run', this);
    return code;
  }

  /**
   * pre_close → post_close, then releases the log file. Runs once; later calls
   * wait for the first. After a stop signal the process then ends by that signal.
   */
  close(): Promise<void> {
    this.closing ??= this.runClose();
    return this.closing;
  }

  /**
   * setup → run → close (close always runs), with every error turned into one
   * line on stderr and an exit code (see docs/application.md, "Exit codes"). Sets
   * `process.exitCode` (unless `embedded`); never throws.
   */
  async main(): Promise<number> {
    // An app inside another program leaves the event loop to it.
    if (!this.embedded) this.pending.watch(() => this.stalled());
    let code: number;
    try {
      await this.track('setup() never finished', () => this.setup());
      code = await this.track('run() never finished', () => this.run());
    } catch (error) {
      if (isStopAbort(this.signal, error)) {
        this.log.debug('the command ended when app.signal aborted', 'core.signal');
        code = 0;
      } else {
        code = this.report(error);
      }
    }
    try {
      await this.track('close() never finished', () => this.close());
    } catch (error) {
      const closeCode = this.report(error);
      if (code === 0) code = closeCode;
    }
    this.pending.unwatch();
    this.exitCode = code;
    if (!this.embedded) {
      process.exitCode = code;
      // Work given up on (a plugin load() past its load_timeout) must not keep a failed app alive.
      if (code !== 0 && this.pending.size > 0) processExit.exit(code);
    }
    return code;
  }

  /**
   * Awaits `work` on behalf of `main()`, known meanwhile as `what` (`command 'run-forever'
   * never finished`): should the event loop empty before it settles, nothing is left that could
   * settle it, and `main()` ends the process with exit 1 and one line starting with `what`,
   * instead of the exit code 0 Node would end it with. Resolves or rejects as `work` does; given
   * a function, calls it once `what` is known, so that what it awaits in turn is named before it.
   */
  track<T>(what: string, work: PromiseLike<T> | (() => T | PromiseLike<T>)): Promise<Awaited<T>> {
    return this.pending.track(what, work);
  }

  /**
   * The event loop emptied while `main()` waits: what it waits on can never settle. One line
   * naming it, close, exit 1; if closing waits on nothing too, exit 1 at once.
   */
  private stalled(): void {
    if (this.hasStalled) {
      processExit.exit(1);
      return;
    }
    this.hasStalled = true;
    const what = this.pending.innermost ?? 'main() never finished';
    this.report(new FrameworkError(`${what}: it is waiting on a promise that nothing will settle.`));
    this.exitCode = 1;
    process.exitCode = 1;
    this.close().then(
      () => processExit.exit(1),
      () => processExit.exit(1),
    );
  }

  /** Prints an error the way `main()` does and returns its exit code. */
  report(error: unknown): number {
    this.lastError = error;
    const message = error instanceof Error ? error.message : String(error);
    this.stderr.write(`${this.label}: error: ${message}\n`);
    if (error instanceof UsageError && error.usage)
      this.stderr.write(error.usage.endsWith('\n') ? error.usage : `${error.usage}\n`);
    if (this.log.getLevel() === 'debug' && error instanceof Error && error.stack) this.stderr.write(`${error.stack}\n`);
    return isFrameworkError(error) ? error.exitCode : 1;
  }

  /**
   * Builds the config again from code defaults, the config files and
   * directories setup found (the same paths, even after a switch to another
   * user with another home) and the environment, runs the checks extensions
   * added ({@link addConfigCheck}), and applies its `[log]` settings; meant
   * for a `reload` hook (SIGHUP). Options given on the command line keep their
   * effect only for `--debug` and `--quiet`. When a file is now malformed or
   * unreadable, or a check fails, the previous config stays in force and the
   * error is thrown.
   */
  reloadConfig(): void {
    this.assembly.reload(() => this.setupLog());
  }

  /**
   * Adds a check of a new config that `reloadConfig()` runs before the config takes effect: it
   * throws (a `FrameworkError` naming the key, e.g. through `config.invalid()`) to keep the
   * previous config. Extensions use it for their sections (the daemon extension checks
   * `[daemon]` as it does at start).
   */
  addConfigCheck(check: (config: Config) => void): void {
    this.assembly.addCheck(check);
  }

  /** Config files searched when `configFiles` is not given (each level's `conf.d` is read after its file). */
  defaultConfigFiles(): string[] {
    return defaultConfigFiles(this.label, homeDirectory());
  }

  /** Config directories searched when neither `configFiles` nor `configDirs` is given. */
  defaultConfigDirs(): string[] {
    return defaultConfigDirs(this.label, homeDirectory());
  }

  /** Plugin directories searched when `pluginDirs` is not given. */
  defaultPluginDirs(): string[] {
    return [`/etc/${this.label}/plugins.d`, `${homeDirectory()}/.config/${this.label}/plugins.d`];
  }

  /** The renderer behind `render()`, created (and loaded) on first use. */
  private get outputRenderer(): Renderer {
    if (!this.renderer) {
      this.renderer = new (rendererModule().Renderer)(this, this.options.output, this);
    }
    return this.renderer;
  }

  /** Loads the plugins the config enables, keeping the config keys they add for `reloadConfig()`. */
  private async setupPlugins(fromEnvironment: readonly string[]): Promise<void> {
    // The plugin loader, and the directories, only for a config that names plugins.
    if (!this.config.getSections().some((section) => section.startsWith('plugin.'))) return;
    const added = await pluginLoader().loadPlugins(
      this,
      this.options.pluginDirs ?? this.defaultPluginDirs(),
      fromEnvironment,
    );
    this.assembly.keepPluginDefaults(added);
  }

  /** Applies `[log]` to the logger, `--debug` and `--quiet` over it. */
  private setupLog(): void {
    configureLog(this.log, this.config, this.invocationDir, this.logFlags);
  }

  private async runClose(): Promise<void> {
    try {
      // post_close runs even when pre_close fails: it is where resources (such as the pid file) are released.
      let failure: unknown;
      try {
        await this.hooks.run('pre_close', this);
      } catch (error) {
        failure = error;
      }
      await this.hooks.run('post_close', this);
      if (failure !== undefined) throw failure;
    } finally {
      const signal = this.signals.stopSignal;
      this.signals.uninstall();
      this.crashes.uninstall();
      this.log.close();
      if (signal) processExit.raise(signal);
    }
  }
}
