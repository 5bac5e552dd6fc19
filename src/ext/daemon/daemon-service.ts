import type { App } from '../../core/app';
import { FrameworkError } from '../../core/errors';
import { onProcessEnd } from '../../core/process-exit';
import { lazy } from '../../core/lazy';
import type { ClusterWorker } from '../workers/cluster-worker';
import type { WorkerSettings } from '../workers/worker-settings';
import type { PidFile } from './pid-file';
import type { ReadinessChannel } from './readiness';
import type { Supervisor } from '../systemd/supervisor';
import type { ListenFds } from '../systemd/listen-fds';
import type { Watchdog } from '../systemd/watchdog';
import { readDaemonSettings, readDaemonTimeouts, type DaemonSettings, type DaemonTimeouts } from './daemon-settings';
import type { DaemonStatus, StopOptions, StopResult } from './daemon-operations';

/**
 * The daemon's working parts, each loaded on first use: most runs of a daemon
 * app never daemonize, a daemon that keeps its user never looks one up, and
 * only a detached child has inherited descriptors to close.
 */
const part = {
  becomeDaemon: lazy<typeof import('./become-daemon')>(require, './become-daemon'),
  operations: lazy<typeof import('./daemon-operations')>(require, './daemon-operations'),
  pidFile: lazy<typeof import('./pid-file')>(require, './pid-file'),
  privileges: lazy<typeof import('./privileges')>(require, './privileges'),
  inheritedFds: lazy<typeof import('./inherited-fds')>(require, './inherited-fds'),
  workerSettings: lazy<typeof import('../workers/worker-settings')>(require, '../workers/worker-settings'),
  runInvoker: lazy<typeof import('./run-invoker')>(require, './run-invoker'),
  runPrimary: lazy<typeof import('../workers/run-primary')>(require, '../workers/run-primary'),
  singleProcess: lazy<typeof import('../workers/single-process')>(require, '../workers/single-process'),
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

const NAMESPACE = 'ext.daemon';

/**
 * Turns the running command into a daemon, and operates a running one. The
 * work is done by the steps of daemon-settings.ts (reading `[daemon]`),
 * become-daemon.ts and run-invoker.ts (becoming one) and daemon-operations.ts
 * (status, stop, reload); this service keeps the state of this process's
 * daemon. `app.daemonize()`, `@Daemonize()` and this service's `daemonize()`
 * are one code path:
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
    return readDaemonSettings(this.app.config, this.app.invocationDir);
  }

  /**
   * `[daemon] start_timeout` and `stop_timeout`: seconds, 0 or more (0 turns the
   * heartbeats off); a wrong value is an error naming the key.
   */
  timeouts(): DaemonTimeouts {
    return readDaemonTimeouts(this.app.config);
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
    const workers = part.workerSettings().readWorkerSettings(this.app.config);
    if (this.worker) return this.daemonizeWorker(settings, options);
    if (this.channel) return this.daemonizeChild(settings, options, workers);
    if (this.detachRequested) {
      return part.runInvoker().runInvoker(this.app, this.supervisor, settings);
    }
    this.becomeDaemon(settings);
    return this.serve(options, workers, settings.pidFile);
  }

  /**
   * After the daemon's steps: the cluster primary runs the workers instead of
   * the command (`[daemon] workers`); a single process reports ready as asked.
   */
  private async serve(options: DaemonizeOptions, workers: WorkerSettings, pidFile: string | undefined): Promise<void> {
    if (workers.isCluster) {
      return part.runPrimary().runPrimary(this.app, workers, () => this.ready(), pidFile, this.isDaemon);
    }
    if (workers.health || workers.shutdownDelay > 0) {
      await part.singleProcess().watchSingleProcess(this.app, workers, () => this.isReady);
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
    return part.operations().daemonStatus(this.configuredPidFile());
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
    return part.operations().stopDaemon(this.configuredPidFile(), this.app, options);
  }

  /**
   * Sends SIGHUP to the daemon the pid file names, which reloads (with
   * `[daemon] workers`, a rolling reload); resolves to what the pid file
   * showed, as `status()` does. A stale or missing pid file signals nothing.
   */
  async reload(): Promise<DaemonStatus & { state: 'running' | 'stopped' | 'stale' }> {
    return part.operations().reloadDaemon(this.configuredPidFile(), this.app);
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
    const identity = part.privileges().resolveIdentity(user, group);
    return { uid: identity.uid, gid: identity.gid };
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

  private configuredPidFile(): PidFile {
    const path = this.settings().pidFile;
    if (!path) throw new FrameworkError('No [daemon] pid_file is configured, so the daemon cannot be found.');
    return new (part.pidFile().PidFile)(path, { name: this.app.label });
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

  /** The pre-flight and the daemon's steps in this process; from then on it holds the pid file until it closes. */
  private becomeDaemon(settings: DaemonSettings): void {
    const steps = part.becomeDaemon();
    const plan = steps.preflight(settings, this.app.label, this.app.log.getFile());
    const pidFile = steps.becomeDaemon(plan, {
      label: this.app.label,
      log: this.app.log,
      isDetached: this.isDaemon,
      keepNotifySocket: () => this.supervisor.notifier.keepConnected(),
    });
    if (pidFile) {
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
      const closed = part
        .inheritedFds()
        .closeInheritedFds([channel.descriptor!, ...this.supervisor.childDescriptors()]);
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
}
