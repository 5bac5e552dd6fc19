import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { App } from '../../core/app';
import { isUnset } from '../../core/config-value';
import { FrameworkError } from '../../core/errors';
import { onProcessEnd, processExit } from '../../core/process-exit';
import type { ClusterWorker } from '../workers/cluster-worker';
import type { WorkerSettings } from '../workers/worker-settings';
import type { PidFile, PidFileVerdict } from './pid-file';
import type { ReadinessChannel } from './readiness';
import { DEFAULT_START_TIMEOUT, DEFAULT_STOP_TIMEOUT, type Supervisor } from '../systemd/supervisor';
import type { Hardening } from '../systemd/hardening';
import type { ListenFds } from '../systemd/listen-fds';
import type { Watchdog } from '../systemd/watchdog';

/**
 * The daemon's working parts, each loaded on first use: most runs of a daemon
 * app never daemonize, a daemon that keeps its user never looks one up, and
 * only a detached child has inherited descriptors to close.
 */
const part = {
  get pidFile() {
    return require('./pid-file') as typeof import('./pid-file');
  },
  get privileges() {
    return require('./privileges') as typeof import('./privileges');
  },
  get umask() {
    return require('./umask') as typeof import('./umask');
  },
  get inheritedFds() {
    return require('./inherited-fds') as typeof import('./inherited-fds');
  },
  get processIdentity() {
    return require('./process-identity') as typeof import('./process-identity');
  },
  get inspector() {
    return require('./inspector') as typeof import('./inspector');
  },
  get workerSettings() {
    return require('../workers/worker-settings') as typeof import('../workers/worker-settings');
  },
  get hardening() {
    return require('../systemd/hardening') as typeof import('../systemd/hardening');
  },
};

/** Options of `daemonize()` and `@Daemonize()`. */
export interface DaemonizeOptions {
  /**
   * When the detached daemon counts as started: `'auto'` (default) as soon as
   * `daemonize()` returns; `'manual'` only when `DaemonService.ready()` is
   * called (e.g. after a port is bound). The invoker waits until then.
   */
  ready?: 'auto' | 'manual';
}

/** The `[daemon]` settings, checked and with paths made absolute. */
export interface DaemonSettings {
  readonly user?: string;
  readonly group?: string;
  readonly dir: string;
  /** Absolute pid file path, or undefined for none. */
  readonly pidFile?: string;
  readonly umask: number;
  readonly stdout: string;
  readonly stderr: string;
  /** How long the invoker waits for the daemon to be ready, in seconds. */
  readonly readyTimeout: number;
  /** Variables (names, or prefixes ending in `*`) kept after a switch of user besides the built-in list. */
  readonly keepEnv: readonly string[];
  /** Whether SIGUSR1 may still open Node's inspector in the daemon. */
  readonly inspector: boolean;
  /** How long systemd's start timeout is extended while the app starts, in seconds (0: not at all). */
  readonly startTimeout: number;
  /** How long systemd's stop timeout is extended while the app stops, in seconds (0: not at all). */
  readonly stopTimeout: number;
  /** `prevent_core` and `rlimit_nofile` (see docs/daemon.md, "Hardening"). */
  readonly hardening: Hardening;
}

/** What `status()` finds. */
export interface DaemonStatus {
  /**
   * `running`: a live process holds the pid file (the daemon keeps it open);
   * `stale`: the file names no such process (no valid pid, a dead process, or
   * one proven not to hold it: see docs/daemon.md, "Pid file and identity");
   * `unknown`: it names a live process that may be the daemon, and this user
   * cannot tell; `stopped`: there is no pid file.
   */
  readonly state: 'running' | 'stopped' | 'stale' | 'unknown';
  /** The daemon's pid (with `running`), or the pid the file names. */
  readonly pid?: number;
  /** The pid file's path. */
  readonly pidFile: string;
  /**
   * One line: why the file is stale (`pid 42 is not running`), why the state
   * is unknown, or, with `running`, how the daemon was recognised when not by
   * seeing it hold the file.
   */
  readonly reason?: string;
}

/** Options of `stop()`. */
export interface StopOptions {
  /** How long to wait after SIGTERM before sending SIGKILL, in ms. Default: 10000. */
  timeout?: number;
}

/** What `stop()` did. */
export interface StopResult {
  /**
   * `stopped`: it ended after SIGTERM; `killed`: it needed SIGKILL;
   * `not-running`: there was no pid file; `stale`: the pid file named no
   * running daemon, so nothing was signalled (and the file was removed).
   */
  readonly outcome: 'stopped' | 'killed' | 'not-running' | 'stale';
  /** The pid the file named, when it named one. */
  readonly pid?: number;
  /** Whether `stop()` removed a pid file the daemon left behind (or a stale one). */
  readonly removedPidFile: boolean;
  /** Why the file was stale, for one line (`pid 1 is another program (/sbin/init)`); only with `stale`. */
  readonly reason?: string;
  /** With `stale`: whether its pid named a live process, which was left alone. */
  readonly isPidAlive?: boolean;
}

const NAMESPACE = 'ext.daemon';
const DEFAULT_UMASK = 0o022;
const POLL_MS = 25;

/**
 * Turns the running command into a daemon. `app.daemonize()`,
 * `@Daemonize()` and this service's `daemonize()` are one code path:
 * - without `--daemon`: switch user and group, change directory, set the
 *   umask and write the pid file, in this process (the foreground mode);
 * - with `--daemon`, in the invoking process: start the program again as a
 *   detached child and exit 0 once it is ready (never returns);
 * - in that child: do the foreground steps, then tell the invoker it is ready.
 */
export class DaemonService {
  private started = false;
  private pidFile: PidFile | undefined;
  private forgetPidFileCleanup: (() => void) | undefined;

  private isReady = false;
  /** What keeps the event loop alive while the daemonized command runs (see {@link holdOpen}). */
  private holder: NodeJS.Timeout | undefined;

  constructor(
    private readonly app: App,
    private readonly channel: ReadinessChannel | undefined,
    private readonly supervisor: Supervisor,
    /** Set in a worker that the cluster primary started (`[daemon] workers`). */
    private readonly worker?: ClusterWorker,
  ) {}

  /** Whether the daemon reported ready (to its invoker, or to systemd). */
  get hasReported(): boolean {
    return this.isReady;
  }

  /** Whether this process is a detached daemon started by an invoker. */
  get isDaemon(): boolean {
    return this.channel !== undefined;
  }

  /** Whether `daemonize()` has been called in this process (by `@Daemonize()`, `app.daemonize()` or this service). */
  get hasDaemonized(): boolean {
    return this.started;
  }

  /** Whether `--daemon` was given (before or after the sub-command). */
  get detachRequested(): boolean {
    return this.app.pargs.daemon === true || this.app.hasRawFlag('--daemon');
  }

  /**
   * Reads and checks the `[daemon]` section. An empty value means the key's
   * default (docs/daemon.md); a wrong one is an error naming
   * the key, the value and the file and line it was read from.
   */
  settings(): DaemonSettings {
    const config = this.app.config;
    const text = (key: string): string | undefined => {
      const value = config.get('daemon', key);
      if (isUnset(value)) return undefined;
      if (typeof value !== 'string' && typeof value !== 'number') throw config.invalid('daemon', key, 'expected text');
      return String(value);
    };
    const pidFile = text('pid_file');
    const readyTimeout = config.getNumber('daemon', 'ready_timeout', 30);
    if (readyTimeout <= 0) throw config.invalid('daemon', 'ready_timeout', 'expected seconds, more than 0');
    const written = config.get('daemon', 'umask');
    const umask = isUnset(written) ? DEFAULT_UMASK : part.umask.toUmask(written);
    if (umask === undefined) throw config.invalid('daemon', 'umask', part.umask.UMASK_EXPECTED);
    const keepEnv = (text('keep_env') ?? '').split(/[\s,]+/).filter((entry) => entry !== '');
    const wrong = keepEnv.find((entry) => !part.privileges.KEEP_ENV_ENTRY.test(entry));
    if (wrong !== undefined)
      throw config.invalid(
        'daemon',
        'keep_env',
        `'${wrong}' is no variable name: give names or prefixes ending in *, separated by commas`,
      );
    const { startTimeout, stopTimeout } = this.timeouts();
    return {
      user: text('user'),
      group: text('group'),
      dir: resolve(this.app.invocationDir, text('dir') ?? '/'),
      pidFile: pidFile === undefined ? undefined : resolve(this.app.invocationDir, pidFile),
      umask,
      stdout: resolve(this.app.invocationDir, text('stdout') ?? '/dev/null'),
      stderr: resolve(this.app.invocationDir, text('stderr') ?? '/dev/null'),
      readyTimeout,
      keepEnv,
      inspector: config.getBoolean('daemon', 'inspector', false),
      startTimeout,
      stopTimeout,
      hardening: part.hardening.readHardening(config),
    };
  }

  /**
   * `[daemon] start_timeout` and `stop_timeout`: seconds, 0 or more (0 turns the
   * heartbeats off); a wrong value is an error naming the key.
   */
  timeouts(): { startTimeout: number; stopTimeout: number } {
    const config = this.app.config;
    const seconds = (key: string, fallback: number): number => {
      const value = config.getNumber('daemon', key, fallback);
      if (!(value >= 0) || !Number.isFinite(value)) throw config.invalid('daemon', key, 'expected seconds, 0 or more');
      return value;
    };
    return {
      startTimeout: seconds('start_timeout', DEFAULT_START_TIMEOUT),
      stopTimeout: seconds('stop_timeout', DEFAULT_STOP_TIMEOUT),
    };
  }

  /**
   * Sets the text `systemctl status` shows for the service (`STATUS=`), when
   * systemd listens (`NOTIFY_SOCKET`); one line. Returns whether it was sent.
   * Also `app.status(text)`. (Not `status()`: that one reads the pid file.)
   */
  setStatus(text: string): boolean {
    return this.supervisor.progress.status(text);
  }

  /**
   * The listening sockets systemd passed (socket activation), by name
   * (`FileDescriptorName=` of the `.socket` unit; else its unit name), also
   * after `--daemon`: serve one with `server.listen({ fd })`. Empty when
   * there are none. Also `app.listenFds()`.
   */
  listenFds(): ListenFds {
    return this.supervisor.listenFds;
  }

  /** systemd's watchdog: `check(fn)` adds a health check (see docs/systemd.md). Also `app.watchdog`. */
  get watchdog(): Watchdog {
    return this.supervisor.watchdog;
  }

  /** See the class description. Calling it again is harmless; an embedded app (`AppOptions.embedded`) is refused. */
  async daemonize(options: DaemonizeOptions = {}): Promise<void> {
    if (this.app.embedded) {
      throw new FrameworkError(
        'Cannot daemonize an embedded app (such as one run by mortar/testing): it would change the user, ' +
          'directory and umask of the whole process, or detach it. Start the program as a child process instead.',
      );
    }
    if (this.started) return;
    this.started = true;
    const settings = this.settings();
    const workers = part.workerSettings.readWorkerSettings(this.app.config);
    if (this.worker) return this.daemonizeWorker(settings, options);
    if (this.channel) return this.daemonizeChild(settings, options, workers);
    if (this.detachRequested) return this.detach(settings);
    this.becomeDaemon(settings);
    return this.serve(options, workers, settings.pidFile);
  }

  /**
   * After the daemon's steps: the cluster primary runs the workers instead of
   * the command (`[daemon] workers`); a single process reports ready as asked.
   */
  private async serve(options: DaemonizeOptions, workers: WorkerSettings, pidFile: string | undefined): Promise<void> {
    if (workers.isCluster) {
      const { runPrimary } = require('../workers/run-primary') as typeof import('../workers/run-primary');
      return runPrimary(this.app, workers, () => this.ready(), pidFile);
    }
    if (workers.health || workers.shutdownDelay > 0) {
      const { watchSingleProcess } = require('../workers/single-process') as typeof import('../workers/single-process');
      await watchSingleProcess(this.app, workers, () => this.isReady);
    }
    if ((options.ready ?? 'auto') === 'auto') this.ready();
  }

  /** In a worker: the primary did the daemon's steps and started it in the invocation directory, so paths resolve alike. */
  private daemonizeWorker(settings: DaemonSettings, options: DaemonizeOptions): void {
    process.chdir(settings.dir);
    this.worker!.start();
    if ((options.ready ?? 'auto') === 'auto') this.ready();
  }

  /**
   * Reports the detached daemon ready: the invoker exits 0. Needed only with
   * `ready: 'manual'`; harmless in the foreground and when already reported.
   */
  ready(): void {
    if (!this.started || this.isReady) return;
    // A daemon child told to stop before it was ready never reports ready: its invoker says it did not start.
    if (this.channel?.isOpen && this.app.signal.aborted) {
      this.abandon(this.stoppedBeforeReady() ?? 'The daemon was stopped before it was ready.');
      return;
    }
    this.isReady = true;
    if (this.worker) return this.worker.ready();
    this.app.log.debug(`daemon ready (pid ${process.pid})`, NAMESPACE);
    if (this.channel) {
      // The invoker is systemd's main process: it passes READY=1 on with this pid.
      this.app.log.setMirror(undefined);
      this.channel.finish({ type: 'ready', pid: process.pid });
    } else {
      this.supervisor.notifier.notify('READY=1', `MAINPID=${process.pid}`);
    }
    this.supervisor.ready();
  }

  /** Tells systemd the daemon is stopping (when it was ready and systemd listens); the watchdog's pings end. */
  stopping(): void {
    if (this.isReady) this.supervisor.notifier.notify('STOPPING=1');
    this.supervisor.stopping();
  }

  /** Reads the pid file: is the daemon running? Needs `[daemon] pid_file`. */
  async status(): Promise<DaemonStatus> {
    const pidFile = this.configuredPidFile();
    const content = pidFile.read();
    if (!content) return { state: 'stopped', pidFile: pidFile.path };
    const verdict = pidFile.judge(content);
    const path = pidFile.path;
    switch (verdict.state) {
      case 'held':
        return { state: 'running', pid: verdict.pid, pidFile: path, reason: describeRecognition(verdict, path) };
      case 'unverified':
        return { state: 'unknown', pid: verdict.pid, pidFile: path, reason: verdict.reason };
      default:
        return { state: 'stale', pid: content.pid, pidFile: path, reason: verdict.reason };
    }
  }

  /**
   * Stops the daemon: the process that holds the pid file. SIGTERM, then
   * waits until it has ended (a zombie counts as ended), then SIGKILL after
   * `timeout` ms; before each signal it checks that the pid is still that
   * same process (same start time), so a pid reused meanwhile is never
   * signalled. A pid file the daemon leaves behind is removed. A stale pid
   * file (one that names no process holding it, e.g. a pid since reused by
   * another program) is removed and nothing is signalled. A process that may
   * be the daemon but cannot be seen holding the file (another user's) is
   * refused, with one line saying why: it is never signalled on a guess.
   */
  async stop(options: StopOptions = {}): Promise<StopResult> {
    const timeout = options.timeout ?? 10_000;
    const pidFile = this.configuredPidFile();
    const content = pidFile.read();
    if (!content) return { outcome: 'not-running', removedPidFile: false };
    const verdict = pidFile.judge(content);
    if (verdict.state === 'stale') {
      this.app.log.debug(
        `pid file ${pidFile.path} is stale (${verdict.reason}): removing it, signalling nothing`,
        NAMESPACE,
      );
      return {
        outcome: 'stale',
        pid: verdict.pid,
        removedPidFile: pidFile.removeStale(),
        reason: verdict.reason,
        isPidAlive: verdict.isAlive,
      };
    }
    if (verdict.state === 'unverified') throw new FrameworkError(verdict.reason);
    if (!verdict.isVerified) {
      throw new FrameworkError(
        `pid ${verdict.pid} looks like ${this.app.label}'s daemon (${describeRecognition(verdict, pidFile.path)}), ` +
          `but is not signalled on that evidence: run as root or as its user, or remove ${pidFile.path}`,
      );
    }
    const { pid } = verdict;
    const written = verdict.writtenPid ?? pid;
    // Seen holding the file just now; from here on it is recognised by its start time, which a reused pid does not share.
    const isStillDaemon = (): boolean => sameProcess(pid, verdict);
    if (!this.signalDaemon(pid, 'SIGTERM', isStillDaemon)) return this.stopped(pidFile, written, pid, 'stopped', 0);
    this.app.log.debug(`sent SIGTERM to pid ${pid}; waiting up to ${timeout} ms`, NAMESPACE);
    if (await waitFor(() => !isStillDaemon(), timeout)) return this.stopped(pidFile, written, pid, 'stopped', 1_000);
    this.app.log.debug(`pid ${pid} is still running: sending SIGKILL`, NAMESPACE);
    if (!this.signalDaemon(pid, 'SIGKILL', isStillDaemon)) return this.stopped(pidFile, written, pid, 'stopped', 1_000);
    if (!(await waitFor(() => !isStillDaemon(), 5_000))) {
      throw new FrameworkError(`The daemon (pid ${pid}) did not end even after SIGKILL.`);
    }
    return this.stopped(pidFile, written, pid, 'killed', 0);
  }

  /**
   * Why a daemon child is not starting when a stop signal reached it before
   * it was ready: `The daemon received SIGTERM before it was ready, so it
   * did not start.`; undefined when no stop signal came.
   */
  stoppedBeforeReady(): string | undefined {
    if (!this.channel || !this.app.signal.aborted) return undefined;
    const signal = (this.app.signal.reason as { signal?: unknown } | undefined)?.signal;
    return `The daemon received ${typeof signal === 'string' ? signal : 'a stop signal'} before it was ready, so it did not start.`;
  }

  /**
   * Lets the event loop empty again: called when the app closes. Until then
   * a daemonized command is held up even when all it awaits is `app.signal`
   * (an abort listener alone keeps no process alive).
   */
  releaseHold(): void {
    if (this.holder) clearInterval(this.holder);
    this.holder = undefined;
  }

  /** The account `[daemon] user` and `group` name, when they name one; looked up only when asked. */
  account(): { uid: number; gid: number } | undefined {
    const { user, group } = this.settings();
    if (!user && !group) return undefined;
    const identity = part.privileges.resolveIdentity(user, group);
    return { uid: identity.uid, gid: identity.gid };
  }

  /**
   * Removes from `env` what a daemon that switches user does not keep: all but
   * the built-in list, the app's own `<LABEL>_*` config variables (read again
   * by a reload) and `[daemon] keep_env`. Returns `env`.
   */
  private keptEnvironment(settings: DaemonSettings, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
    const prefix = `${this.app.label.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_*`;
    part.privileges.resetEnvironment([...part.privileges.KEPT_ENVIRONMENT, prefix, ...settings.keepEnv], env);
    return env;
  }

  /**
   * Sends SIGHUP to the daemon the pid file names, which reloads (with
   * `[daemon] workers`, a rolling reload); resolves to what the pid file
   * showed, as `status()` does. A stale or missing pid file signals nothing.
   */
  async reload(): Promise<DaemonStatus & { state: 'running' | 'stopped' | 'stale' }> {
    const pidFile = this.configuredPidFile();
    const content = pidFile.read();
    if (!content) return { state: 'stopped', pidFile: pidFile.path };
    const verdict = pidFile.judge(content);
    if (verdict.state === 'stale')
      return { state: 'stale', pid: content.pid, pidFile: pidFile.path, reason: verdict.reason };
    if (verdict.state === 'unverified') throw new FrameworkError(verdict.reason);
    if (!verdict.isVerified) {
      throw new FrameworkError(
        `pid ${verdict.pid} looks like ${this.app.label}'s daemon (${describeRecognition(verdict, pidFile.path)}), ` +
          `but is not signalled on that evidence: run as root or as its user`,
      );
    }
    if (!this.signalDaemon(verdict.pid, 'SIGHUP', () => sameProcess(verdict.pid, verdict)))
      return { state: 'stopped', pidFile: pidFile.path };
    return { state: 'running', pid: verdict.pid, pidFile: pidFile.path };
  }

  /** Tells a waiting invoker that the daemon stopped before it was ready. */
  abandon(reason: string): void {
    if (!this.channel?.isOpen) return;
    this.app.log.setMirror(undefined);
    this.channel.finish({ type: 'error', message: reason });
  }

  /**
   * Removes the pid file if this process wrote it and it still names this
   * process; when it cannot (its directory is no longer writable by the
   * daemon's user, say), logs one warning saying why.
   */
  releasePidFile(): void {
    const pidFile = this.pidFile;
    if (!pidFile) return;
    this.pidFile = undefined;
    this.forgetPidFileCleanup?.();
    this.forgetPidFileCleanup = undefined;
    try {
      if (pidFile.release(process.pid)) this.app.log.debug(`removed pid file ${pidFile.path}`, NAMESPACE);
    } catch (error) {
      this.app.log.warning(error instanceof Error ? error.message : String(error), NAMESPACE);
    }
  }

  /** What `stop()` resolves to once the daemon is gone, removing the pid file (naming `written`) it may have left. */
  private async stopped(
    pidFile: PidFile,
    written: number,
    pid: number,
    outcome: 'stopped' | 'killed',
    graceMs: number,
  ): Promise<StopResult> {
    // A daemon that stopped cleanly removed its own pid file; give it a moment to finish doing so.
    await waitFor(() => pidFile.read()?.pid !== written, graceMs);
    return { outcome, pid, removedPidFile: pidFile.release(written) };
  }

  private configuredPidFile(): PidFile {
    const path = this.settings().pidFile;
    if (!path) throw new FrameworkError('No [daemon] pid_file is configured, so the daemon cannot be found.');
    return new part.pidFile.PidFile(path, { name: this.app.label });
  }

  /** Signals the daemon if it still is the daemon; returns whether the signal was sent. */
  private signalDaemon(pid: number, signal: NodeJS.Signals, isStillDaemon: () => boolean): boolean {
    if (!isStillDaemon()) return false;
    try {
      process.kill(pid, signal);
      return true;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ESRCH') return false;
      throw new FrameworkError(
        `Cannot send ${signal} to the daemon (pid ${pid}): ${code === 'EPERM' ? 'operation not permitted; run as its user or as root' : (error as Error).message}.`,
      );
    }
  }

  /**
   * Keeps the event loop alive from now until the app closes: a daemon runs
   * until it is stopped, even when its command only awaits `app.signal`
   * (`await once(app.signal, 'abort')`), which holds nothing by itself.
   */
  private holdOpen(): void {
    // The longest interval a timer takes; it does nothing, it only counts as a pending handle.
    this.holder ??= setInterval(() => undefined, 0x7fffffff);
  }

  private becomeDaemon(settings: DaemonSettings): void {
    const log = this.app.log;
    // Without a user or group to switch to there is nothing to look up.
    const identity =
      settings.user || settings.group ? part.privileges.resolveIdentity(settings.user, settings.group) : undefined;
    checkDirectory(settings.dir);
    const pidFile = settings.pidFile ? new part.pidFile.PidFile(settings.pidFile, { name: this.app.label }) : undefined;
    pidFile?.check();
    // A detached daemon, or a process that drops root, keeps SIGUSR1 from opening the inspector (inspector.ts).
    if ((this.isDaemon || identity?.changes) && !settings.inspector) {
      part.inspector.shutInspectorDoor(() =>
        log.debug('SIGUSR1 ignored: the inspector stays closed ([daemon] inspector = true opens it)', NAMESPACE),
      );
    }
    // Before the switch of user: raising a hard limit needs root.
    const hardened = part.hardening.applyHardening(settings.hardening);
    if (hardened.length > 0) log.debug(`hardening: ${hardened.join(', ')}`, NAMESPACE);
    if (identity?.changes) {
      part.privileges.handOverLogFile(log.getFile(), identity);
      log.debug(
        `setting process uid(${identity.uid}) and gid(${identity.gid}) (${identity.user}:${identity.group})`,
        NAMESPACE,
      );
      part.privileges.applyIdentity(identity);
      this.keptEnvironment(settings, process.env);
      log.debug(
        `environment reset for user '${identity.user}': kept ${Object.keys(process.env).sort().join(', ')}`,
        NAMESPACE,
      );
    }
    try {
      process.chdir(settings.dir);
    } catch (error) {
      const reason =
        (error as NodeJS.ErrnoException).code === 'EACCES' ? 'permission denied' : (error as Error).message;
      throw new FrameworkError(
        `Cannot change to daemon dir '${settings.dir}'${identity ? ` as user '${identity.user}'` : ''}: ${reason}.`,
      );
    }
    process.umask(settings.umask);
    log.debug(`working directory ${settings.dir}, umask ${settings.umask.toString(8).padStart(4, '0')}`, NAMESPACE);
    if (pidFile) {
      log.debug(`writing pid (${process.pid}) out to ${pidFile.path}`, NAMESPACE);
      const replaced = pidFile.acquire(process.pid);
      if (replaced?.state === 'stale')
        log.warning(`replaced the stale pid file ${pidFile.path}: ${replaced.reason}`, NAMESPACE);
      this.pidFile = pidFile;
      // However the process ends — a second signal, an uncaught exception — the pid file goes with it.
      this.forgetPidFileCleanup = onProcessEnd(() => this.releasePidFile());
    }
    this.holdOpen();
  }

  private async daemonizeChild(
    settings: DaemonSettings,
    options: DaemonizeOptions,
    workers: WorkerSettings,
  ): Promise<void> {
    const channel = this.channel!;
    this.app.log.setMirror((line) => channel.send({ type: 'log', line }));
    // A stop signal during setup: the daemon does not start, and its invoker says so.
    const stopped = this.stoppedBeforeReady();
    if (stopped !== undefined) {
      this.abandon(stopped);
      throw this.app.signal.reason;
    }
    try {
      const closed = part.inheritedFds.closeInheritedFds([channel.descriptor!, ...this.supervisor.childDescriptors()]);
      this.app.log.debug(
        `detached: pid ${process.pid} leads a new session${closed.length ? `; closed inherited descriptors ${closed.join(', ')}` : ''}`,
        NAMESPACE,
      );
      this.becomeDaemon(settings);
    } catch (error) {
      this.abandon(error instanceof Error ? error.message : String(error));
      throw error;
    }
    return this.serve(options, workers, settings.pidFile);
  }

  private async detach(settings: DaemonSettings): Promise<void> {
    const log = this.app.log;
    // Refuse what would fail anyway before anything detaches.
    const identity =
      settings.user || settings.group ? part.privileges.resolveIdentity(settings.user, settings.group) : undefined;
    part.hardening.checkHardening(settings.hardening);
    checkDirectory(settings.dir);
    const pidFile = settings.pidFile ? new part.pidFile.PidFile(settings.pidFile, { name: this.app.label }) : undefined;
    pidFile?.check();
    log.debug('attempting to daemonize the current process', NAMESPACE);
    const { startDaemon } = require('./detach') as typeof import('./detach');
    const pid = await startDaemon({
      notifySocket: this.supervisor.notifier.socket,
      supervision: this.supervisor.childEnvironment(),
      passFds: this.supervisor.childDescriptors(),
      // systemd supervises a Type=notify unit's main process only when it is its own child.
      orphan: this.supervisor.notifier.socket !== undefined,
      stdout: settings.stdout,
      stderr: settings.stderr,
      timeoutMs: settings.readyTimeout * 1000,
      console: this.app.stderr,
      // SIGINT or SIGTERM to the invoker before the daemon is ready stops the start.
      signal: this.app.signal,
      environment: identity?.changes ? this.keptEnvironment(settings, { ...process.env }) : undefined,
      onAbandon: (child) => {
        try {
          pidFile?.release(child);
        } catch {
          // left naming a dead process: stale, so the next start replaces it
        }
      },
    });
    log.debug(`daemon pid ${pid} is ready; the invoker exits`, NAMESPACE);
    this.supervisor.handOver();
    this.supervisor.notifier.notify('READY=1', `MAINPID=${pid}`);
    processExit.exit(0);
    return new Promise<never>(() => undefined);
  }
}

/**
 * How a running daemon was recognised, when not simply by seeing the pid it
 * names hold the file: undefined then.
 */
function describeRecognition(verdict: Extract<PidFileVerdict, { state: 'held' }>, path: string): string | undefined {
  if (verdict.writtenPid !== undefined) {
    return `the pid file says ${verdict.writtenPid}, written in another pid namespace; pid ${verdict.pid} holds ${path}`;
  }
  if (!verdict.isVerified) {
    return `not verified: its open files cannot be read as this user, so its start time and program were the evidence`;
  }
  return undefined;
}

/** Whether `pid` is still the live process the verdict found (same start time, when known). */
function sameProcess(pid: number, verdict: Extract<PidFileVerdict, { state: 'held' }>): boolean {
  if (!part.pidFile.PidFile.isAlive(pid)) return false;
  return verdict.startTicks === undefined || part.processIdentity.startTicksOf(pid) === verdict.startTicks;
}

async function waitFor(condition: () => boolean, timeout: number): Promise<boolean> {
  const deadline = Date.now() + timeout;
  while (!condition()) {
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  return true;
}

function checkDirectory(dir: string): void {
  let isDirectory = false;
  try {
    isDirectory = statSync(dir).isDirectory();
  } catch {
    throw new FrameworkError(`Daemon dir '${dir}' doesn't exist.`);
  }
  if (!isDirectory) throw new FrameworkError(`Daemon dir '${dir}' is not a directory.`);
}
