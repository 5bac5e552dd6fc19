import type { Worker } from 'node:cluster';
import { accessSync, constants } from 'node:fs';
import type { App } from '../../core/app';
import { INVOCATION_DIR_VARIABLE } from '../../core/invocation-dir';
import { FrameworkError } from '../../core/errors';
import { lazy } from '../../core/lazy';
import { ActivatedSockets } from './activated-sockets';
import { CrashBudget } from './crash-budget';
import { HealthServer } from './health-server';
import { stopBudgetWarning } from './stop-budget';
import { removeWorkersState, writeWorkersState } from './workers-state-file';
import { WORKER_MARKER, mortarMessage, type PrimaryMessage, type WorkerMessage } from './worker-messages';
import { readWorkerSettings, type WorkerSettings } from './worker-settings';

const clusterModule = lazy<import('node:cluster').Cluster>(require, 'node:cluster');

const NAMESPACE = 'ext.workers';

/** One worker, as the primary reports it (`daemon status`). */
export interface WorkerState {
  /** Its place among the workers, from 1; a replacement takes the slot of the worker it replaces. */
  readonly slot: number;
  readonly pid: number;
  /** When it was started, in ms since the epoch. */
  readonly startedAt: number;
  /** How many times the worker of this slot was replaced after a crash. */
  readonly restarts: number;
  /** Whether it reported ready. */
  readonly isReady: boolean;
}

/** A worker process and what the primary knows of it. */
class WorkerProcess {
  isReady = false;
  isRetiring = false;
  /** The error it reported closing with. */
  lastError: string | undefined;
  /** `exit code 1`, `signal SIGKILL`: set when it has exited. */
  exit: string | undefined;
  /** Why the process could not be started at all (`spawn /usr/bin/node EAGAIN`), when it could not. */
  startError: string | undefined;
  readonly startedAt = Date.now();
  readonly exited: Promise<void>;
  /** Settles {@link exited}: at its exit, or when it could not be started (then no exit comes). */
  markExited!: () => void;
  /** Called when it reports ready, or exits before that. */
  onReady: (() => void) | undefined;
  onEarlyExit: (() => void) | undefined;

  constructor(
    readonly worker: Worker,
    readonly slot: number,
    readonly restarts: number,
  ) {
    this.exited = new Promise((resolve) => (this.markExited = resolve));
    worker.once('exit', () => this.markExited());
  }

  get pid(): number {
    return this.worker.process.pid ?? 0;
  }

  /** `worker 2 (pid 4242)`; `worker 2` when it has no process. */
  get name(): string {
    return this.pid === 0 ? `worker ${this.slot}` : `worker ${this.slot} (pid ${this.pid})`;
  }

  /** How it ended, with the error it reported: `exited with exit code 1: cannot bind`. */
  get ending(): string {
    if (this.startError !== undefined) return `could not be started (${this.startError})`;
    return `ended by ${this.exit ?? 'an unknown cause'}${this.lastError ? `: ${this.lastError}` : ' (it reported no error)'}`;
  }

  kill(): void {
    if (this.exit === undefined) this.worker.process.kill('SIGKILL');
  }
}

/**
 * The process in the pid file when `[daemon] workers` is `auto` or more than
 * 1: it runs the command in workers of Node's `cluster` (which share the
 * listening sockets) and keeps them serving.
 *
 * - start: forks every worker; the daemon is ready when every one of them is
 *   (each calls `ready()`, or is auto-ready), and a worker that fails first
 *   fails the start;
 * - crash: a ready worker that exits unasked is replaced after a backoff; a
 *   crash loop (`crash_limit` crashes within `crash_window` seconds) stops the
 *   daemon, naming the last worker's error;
 * - reload (SIGHUP): the config is read again, then worker by worker a new one
 *   is forked, and once it is ready the old one is retired; a new worker that
 *   fails to get ready aborts the reload, the old ones go on serving;
 * - stop (SIGTERM, SIGINT): readiness goes off at once, `shutdown_delay`
 *   passes, then every worker is retired;
 * - retiring a worker: it stops getting connections (`disconnect`), finishes
 *   its requests, closes its keep-alive connections gracefully and ends; it is
 *   killed after `kill_timeout`.
 */
export class ClusterPrimary {
  /** The serving workers, one per slot (a slot is empty while its replacement starts). */
  private readonly serving: WorkerProcess[] = [];
  /** Every worker process alive, serving, starting or retiring. */
  private readonly alive = new Set<WorkerProcess>();
  private readonly budget: CrashBudget;
  private health: HealthServer | undefined;
  /** The sockets systemd passed, handed on to every worker. */
  private sockets: ActivatedSockets | undefined;
  private isStarted = false;
  private isStopping = false;
  private isReloading = false;
  private resolveFinished!: () => void;
  private rejectFinished!: (error: Error) => void;
  /** Settles when the daemon has stopped: resolves after a stop signal, rejects on a crash loop. */
  private readonly finished = new Promise<void>((resolve, reject) => {
    this.resolveFinished = resolve;
    this.rejectFinished = reject;
  });

  constructor(
    private readonly app: App,
    private settings: WorkerSettings,
    /** Reports the daemon ready (to the invoker of `--daemon`, or systemd). */
    private readonly onReady: () => void,
    /** Where the workers are listed for `daemon status` (next to the pid file), if anywhere. */
    private readonly statePath?: string,
    /** Whether this is a detached daemon (`--daemon`), whose stderr is `[daemon] stderr`, often /dev/null. */
    private readonly isDetached = false,
  ) {
    this.budget = new CrashBudget(settings.crashLimit, settings.crashWindow * 1000);
  }

  /** Whether the daemon is ready: started, not stopping, and at least one worker ready. */
  get isReady(): boolean {
    return this.isStarted && !this.isStopping && this.serving.some((worker) => worker.isReady);
  }

  /** The serving workers, by slot. */
  get workers(): WorkerState[] {
    return [...this.serving]
      .sort((a, b) => a.slot - b.slot)
      .map(({ slot, pid, startedAt, restarts, isReady }) => ({ slot, pid, startedAt, restarts, isReady }));
  }

  /**
   * Starts the workers, reports ready once they all are, and keeps them
   * serving. Resolves when a stop signal has stopped them all; rejects when
   * the start fails or the workers crash-loop (every worker is gone by then).
   */
  async run(): Promise<void> {
    this.registerHooks();
    this.warnOfStopBudget();
    if (this.settings.health) {
      const watchdog = this.app.watchdog;
      this.health = new HealthServer(
        this.settings.health,
        () => this.isReady,
        () => watchdog.failure(),
      );
      await this.health.listen();
    }
    const cluster = clusterModule();
    this.sockets = new ActivatedSockets(this.app.listenFds());
    cluster.setupPrimary({
      exec: process.argv[1],
      args: process.argv.slice(2),
      execArgv: process.execArgv,
      ...(this.sockets.isEmpty ? {} : { stdio: this.sockets.stdio() }),
    });
    const slots = Array.from({ length: this.settings.count }, (_, index) => index + 1);
    try {
      // Each one serves once it is ready: one that crashes while the others start is replaced.
      await Promise.all(slots.map(async (slot) => this.serving.push(await this.startWorker(slot, 0))));
    } catch (error) {
      if (this.isStopping) return this.finished;
      this.isStopping = true;
      this.killAll();
      throw error;
    }
    if (this.isStopping) return this.finished;
    this.isStarted = true;
    this.changed();
    this.app.log.info(
      `${this.serving.length} workers ready (pids ${this.serving.map((worker) => worker.pid).join(', ')})`,
      NAMESPACE,
    );
    this.onReady();
    return this.finished;
  }

  /** Forks a worker for `slot`; resolves when it is ready, rejects (the worker gone) when it fails first. */
  private startWorker(slot: number, restarts: number): Promise<WorkerProcess> {
    const cluster = clusterModule();
    cluster.setupPrimary({ cwd: this.workerDirectory() });
    const worker = cluster.fork({
      [WORKER_MARKER]: String(slot),
      [INVOCATION_DIR_VARIABLE]: this.app.invocationDir,
      ...this.sockets?.environment(),
    });
    const record = new WorkerProcess(worker, slot, restarts);
    this.alive.add(record);
    this.app.log.debug(`started ${record.name}`, NAMESPACE);
    worker.on('error', (error: Error) => {
      // Sending to a worker that has just exited fails with EPIPE: its exit is what counts.
      this.app.log.debug(`${record.name}: ${error.message}`, NAMESPACE);
      // A process that could not be started (spawn EAGAIN, ENOMEM) never exits: it ends here.
      if (worker.process.pid !== undefined || record.exit !== undefined) return;
      record.startError = error.message;
      record.exit = 'a failed start';
      this.alive.delete(record);
      record.markExited();
      this.exited(record);
    });
    worker.on('message', (message: unknown) => {
      const received = mortarMessage<WorkerMessage>(message);
      if (received?.mortar === 'error') record.lastError = received.message;
      if (received?.mortar === 'ready' && !record.isReady) {
        record.isReady = true;
        record.onReady?.();
        this.changed();
      }
    });
    worker.once('exit', (code: number | null, signal: string | null) => {
      record.exit = signal ? `signal ${signal}` : `exit code ${code}`;
      this.alive.delete(record);
      this.exited(record);
      this.changed();
    });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        record.onEarlyExit = undefined;
        record.kill();
        reject(
          new FrameworkError(
            `The new ${record.name} did not report ready within ${this.settings.readyTimeout} s ([daemon] ready_timeout); it was killed.`,
          ),
        );
      }, this.settings.readyTimeout * 1000);
      record.onReady = () => {
        clearTimeout(timer);
        resolve(record);
      };
      record.onEarlyExit = () => {
        clearTimeout(timer);
        reject(new FrameworkError(`The new ${record.name} ${record.ending} before it was ready.`));
      };
    });
  }

  private exited(record: WorkerProcess): void {
    if (!record.isReady) {
      record.onEarlyExit?.();
      return;
    }
    const index = this.serving.indexOf(record);
    if (index === -1 || record.isRetiring || this.isStopping) {
      this.app.log.debug(`${record.name} ${record.ending.replace(/ \(it reported no error\)$/, '')}`, NAMESPACE);
      return;
    }
    this.serving.splice(index, 1);
    this.crashed(record.slot, record.restarts, `${record.name} ${record.ending}`);
  }

  /** A worker crashed, or its replacement failed to start: start another after a backoff, or stop on a crash loop. */
  private crashed(slot: number, restarts: number, what: string): void {
    const verdict = this.budget.record(Date.now());
    const { crashLimit, crashWindow } = this.settings;
    if (verdict.isLoop) {
      void this.fail(
        new FrameworkError(
          `The workers crash in a loop (${verdict.recent} crashes within ${crashWindow} s: [daemon] crash_limit = ${crashLimit}, crash_window = ${crashWindow}), so the daemon stops; the last: ${what}`,
        ),
      );
      return;
    }
    this.app.log.warning(`${what}; starting another in ${verdict.delayMs} ms`, NAMESPACE);
    setTimeout(() => void this.replace(slot, restarts + 1), verdict.delayMs);
  }

  private async replace(slot: number, restarts: number): Promise<void> {
    if (this.isStopping || this.hasLostSockets()) return;
    let fresh: WorkerProcess;
    try {
      fresh = await this.startWorker(slot, restarts);
    } catch (error) {
      if (!this.isStopping)
        this.crashed(slot, restarts, (error as Error).message.replace(/^The new /, '').replace(/\.$/, ''));
      return;
    }
    if (this.isStopping) {
      void this.retire(fresh);
      return;
    }
    this.serving.push(fresh);
    this.changed();
    this.app.log.info(`${fresh.name} replaces the one that crashed`, NAMESPACE);
  }

  /**
   * SIGHUP: reads the config again, then replaces the workers one by one,
   * each old one retired only once its replacement is ready. A new worker that
   * fails to get ready aborts the reload (one error line); the workers not yet
   * replaced go on serving.
   */
  async reload(): Promise<void> {
    const log = this.app.log;
    if (!this.isStarted || this.isStopping) return;
    if (this.isReloading) {
      log.warning('a reload is already running: this one is ignored', NAMESPACE);
      return;
    }
    this.isReloading = true;
    try {
      try {
        this.app.reloadConfig();
        const settings = readWorkerSettings(this.app.config);
        this.settings = { ...settings, health: this.settings.health };
        this.warnOfStopBudget();
      } catch (error) {
        log.error(
          `reload aborted: ${(error as Error).message} The workers go on with the config they have.`,
          NAMESPACE,
        );
        return;
      }
      const started: number[] = [];
      for (const old of [...this.serving].sort((a, b) => a.slot - b.slot)) {
        if (old.slot > this.settings.count) continue;
        let fresh: WorkerProcess;
        try {
          fresh = await this.startWorker(old.slot, old.restarts);
        } catch (error) {
          if (!this.isStopping)
            log.error(`reload aborted: ${(error as Error).message} The old workers go on serving.`, NAMESPACE);
          return;
        }
        const index = this.serving.indexOf(old);
        if (this.isStopping || index === -1) {
          // Stopping, or the old one crashed meanwhile and its slot has a replacement coming.
          void this.retire(fresh);
          if (this.isStopping) return;
          continue;
        }
        this.serving[index] = fresh;
        started.push(fresh.pid);
        void this.retire(old);
        this.changed();
      }
      await this.resize(started);
      log.info(`reloaded: ${this.serving.length} workers (new pids ${started.join(', ') || 'none'})`, NAMESPACE);
    } finally {
      this.isReloading = false;
    }
  }

  /** After a reload that changed `workers`: starts the missing slots, retires the extra ones. */
  private async resize(started: number[]): Promise<void> {
    for (const extra of this.serving.filter((worker) => worker.slot > this.settings.count)) {
      this.serving.splice(this.serving.indexOf(extra), 1);
      void this.retire(extra);
    }
    const taken = new Set(this.serving.map((worker) => worker.slot));
    for (let slot = 1; slot <= this.settings.count && !this.isStopping; slot++) {
      if (taken.has(slot)) continue;
      if (this.hasLostSockets()) return;
      try {
        const fresh = await this.startWorker(slot, 0);
        this.serving.push(fresh);
        started.push(fresh.pid);
      } catch (error) {
        this.app.log.error(`reload: ${(error as Error).message}`, NAMESPACE);
        return;
      }
    }
  }

  private warnOfStopBudget(): void {
    const warning = stopBudgetWarning(this.app, this.settings);
    if (warning) this.app.log.warning(warning, NAMESPACE);
  }

  /**
   * Where a worker starts: the directory the program was started from, so
   * that relative paths (of `configFiles`, of `execArgv`) resolve as in the
   * primary; the primary's own (`[daemon] dir`) when its user cannot enter
   * that one (root started it from a private directory, then switched to
   * `[daemon] user`) or it is gone. Either way the worker's
   * `app.invocationDir` is the primary's.
   */
  private workerDirectory(): string {
    try {
      accessSync(this.app.invocationDir, constants.X_OK);
      return this.app.invocationDir;
    } catch {
      return process.cwd();
    }
  }

  /** Whether a socket systemd passed was closed with the last worker: then the daemon stops (see {@link ActivatedSockets}). */
  private hasLostSockets(): boolean {
    const error = this.sockets?.lost();
    if (error) void this.fail(error);
    return error !== undefined;
  }

  /** SIGTERM, SIGINT: readiness is already off; waits `shutdown_delay`, then retires every worker. */
  private async stop(): Promise<void> {
    if (this.settings.shutdownDelay > 0) {
      this.app.log.debug(
        `not ready any more; stopping the workers in ${this.settings.shutdownDelay} s ([daemon] shutdown_delay)`,
        NAMESPACE,
      );
      await new Promise((resolve) => setTimeout(resolve, this.settings.shutdownDelay * 1000));
    }
    await Promise.all([...this.alive].map((worker) => this.retire(worker)));
    this.resolveFinished();
  }

  /** A crash loop: retires the workers left, then settles `run()` with the error. */
  private async fail(error: Error): Promise<void> {
    if (this.isStopping) return;
    this.isStopping = true;
    // Detached, the error line goes to [daemon] stderr, /dev/null by default: the log keeps it too.
    if (this.isDetached) this.app.log.error(error.message, NAMESPACE);
    await Promise.all([...this.alive].map((worker) => this.retire(worker)));
    this.rejectFinished(error);
  }

  /** Stops routing connections to the worker and lets it finish its requests; kills it after `kill_timeout`. */
  private retire(record: WorkerProcess): Promise<void> {
    if (record.isRetiring || record.exit !== undefined) return record.exited;
    record.isRetiring = true;
    if (record.worker.isConnected()) {
      record.worker.send({ mortar: 'drain' } satisfies PrimaryMessage);
      record.worker.disconnect();
    }
    const timer = setTimeout(() => {
      this.app.log.warning(
        `${record.name} still runs ${this.settings.killTimeout} s after it was asked to stop ([daemon] kill_timeout): killing it`,
        NAMESPACE,
      );
      record.kill();
    }, this.settings.killTimeout * 1000);
    void record.exited.then(() => clearTimeout(timer));
    return record.exited;
  }

  /** Kills every worker left (when the primary closes before they stopped). */
  killAll(): void {
    for (const worker of this.alive) worker.kill();
  }

  private registerHooks(): void {
    const hooks = this.app.hooks;
    // Readiness goes off before any other signal hook runs; the workers stop after the app's own hooks.
    hooks.register('signal', () => void (this.isStopping = true), { weight: -1000 });
    hooks.register('signal', () => this.stop(), { weight: 1000 });
    hooks.register('reload', () => this.reload(), { weight: 1000 });
    hooks.register('pre_close', () => {
      this.health?.close();
      this.killAll();
      if (this.statePath) removeWorkersState(this.statePath);
    });
  }

  /** Lists the serving workers in the state file (once the daemon started, until it stops). */
  private changed(): void {
    if (!this.statePath || !this.isStarted || this.isStopping) return;
    try {
      writeWorkersState(this.statePath, this.workers);
    } catch (error) {
      this.app.log.debug(`cannot write ${this.statePath}: ${(error as Error).message}`, NAMESPACE);
    }
  }
}
