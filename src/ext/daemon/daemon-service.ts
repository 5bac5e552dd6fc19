import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { App } from '../../core/app';
import { FrameworkError } from '../../core/errors';
import { processExit } from '../../core/process-exit';
import { closeInheritedFds } from './inherited-fds';
import { PidFile } from './pid-file';
import { applyIdentity, resolveIdentity } from './privileges';
import type { ReadinessChannel } from './readiness';
import { parseUmask } from './umask';

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
}

const NAMESPACE = 'ext.daemon';

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

  constructor(
    private readonly app: App,
    private readonly channel: ReadinessChannel | undefined,
    private readonly invocationDir: string = process.cwd(),
  ) {}

  /** Whether this process is a detached daemon started by an invoker. */
  get isDaemon(): boolean {
    return this.channel !== undefined;
  }

  /** Whether `--daemon` was given (before or after the sub-command). */
  get detachRequested(): boolean {
    return this.app.pargs.daemon === true || this.app.hasRawFlag('--daemon');
  }

  /** Reads and checks the `[daemon]` section. */
  settings(): DaemonSettings {
    const config = this.app.config;
    const text = (key: string): string | undefined => {
      const value = config.get('daemon', key);
      if (value === undefined || value === null || value === '') return undefined;
      if (typeof value !== 'string' && typeof value !== 'number') {
        throw new FrameworkError(`Invalid [daemon] ${key} '${String(value)}': expected text.`);
      }
      return String(value);
    };
    const pidFile = text('pid_file');
    const timeout = Number(text('ready_timeout') ?? 30);
    if (!Number.isFinite(timeout) || timeout <= 0) {
      throw new FrameworkError(`Invalid [daemon] ready_timeout '${text('ready_timeout')}': expected seconds, more than 0.`);
    }
    return {
      user: text('user'),
      group: text('group'),
      dir: resolve(this.invocationDir, text('dir') ?? '/'),
      pidFile: pidFile === undefined ? undefined : resolve(this.invocationDir, pidFile),
      umask: parseUmask(config.get('daemon', 'umask') ?? '022'),
      stdout: resolve(this.invocationDir, text('stdout') ?? '/dev/null'),
      stderr: resolve(this.invocationDir, text('stderr') ?? '/dev/null'),
      readyTimeout: timeout,
    };
  }

  /** See the class description. Calling it again is harmless. */
  async daemonize(options: DaemonizeOptions = {}): Promise<void> {
    if (this.started) return;
    this.started = true;
    const settings = this.settings();
    if (this.channel) return this.daemonizeChild(settings, options);
    if (this.detachRequested) return this.detach(settings);
    this.becomeDaemon(settings);
  }

  /**
   * Reports the detached daemon ready: the invoker exits 0. Needed only with
   * `ready: 'manual'`; harmless in the foreground and when already reported.
   */
  ready(): void {
    if (!this.channel?.isOpen) return;
    this.app.log.debug(`daemon ready (pid ${process.pid})`, NAMESPACE);
    this.app.log.setMirror(undefined);
    this.channel.finish({ type: 'ready', pid: process.pid });
  }

  /** Tells a waiting invoker that the daemon stopped before it was ready. */
  abandon(reason: string): void {
    if (!this.channel?.isOpen) return;
    this.app.log.setMirror(undefined);
    this.channel.finish({ type: 'error', message: reason });
  }

  /** Removes the pid file if this process wrote it and it still names this process. */
  releasePidFile(): void {
    if (!this.pidFile) return;
    if (this.pidFile.release(process.pid)) this.app.log.debug(`removed pid file ${this.pidFile.path}`, NAMESPACE);
    this.pidFile = undefined;
  }

  private becomeDaemon(settings: DaemonSettings): void {
    const log = this.app.log;
    const identity = resolveIdentity(settings.user, settings.group);
    checkDirectory(settings.dir);
    const pidFile = settings.pidFile ? new PidFile(settings.pidFile) : undefined;
    pidFile?.check();
    if (identity.changes) {
      log.debug(`setting process uid(${identity.uid}) and gid(${identity.gid}) (${identity.user}:${identity.group})`, NAMESPACE);
      applyIdentity(identity);
    }
    try {
      process.chdir(settings.dir);
    } catch (error) {
      throw new FrameworkError(`Cannot change to daemon dir '${settings.dir}' as user '${identity.user}': ${(error as NodeJS.ErrnoException).code === 'EACCES' ? 'permission denied' : (error as Error).message}.`);
    }
    process.umask(settings.umask);
    log.debug(`working directory ${settings.dir}, umask ${settings.umask.toString(8).padStart(4, '0')}`, NAMESPACE);
    if (pidFile) {
      log.debug(`writing pid (${process.pid}) out to ${pidFile.path}`, NAMESPACE);
      pidFile.acquire(process.pid);
      this.pidFile = pidFile;
      process.once('exit', () => this.releasePidFile());
    }
  }

  private async daemonizeChild(settings: DaemonSettings, options: DaemonizeOptions): Promise<void> {
    const channel = this.channel!;
    this.app.log.setMirror((line) => channel.send({ type: 'log', line }));
    try {
      const closed = closeInheritedFds([channel.descriptor!]);
      this.app.log.debug(
        `detached: pid ${process.pid} leads a new session${closed.length ? `; closed inherited descriptors ${closed.join(', ')}` : ''}`,
        NAMESPACE,
      );
      this.becomeDaemon(settings);
    } catch (error) {
      this.abandon(error instanceof Error ? error.message : String(error));
      throw error;
    }
    if ((options.ready ?? 'auto') === 'auto') this.ready();
  }

  private async detach(settings: DaemonSettings): Promise<void> {
    const log = this.app.log;
    // Refuse what would fail anyway before anything detaches.
    resolveIdentity(settings.user, settings.group);
    checkDirectory(settings.dir);
    const pidFile = settings.pidFile ? new PidFile(settings.pidFile) : undefined;
    pidFile?.check();
    log.debug('attempting to daemonize the current process', NAMESPACE);
    const { startDaemon } = require('./detach') as typeof import('./detach');
    const pid = await startDaemon({
      stdout: settings.stdout,
      stderr: settings.stderr,
      timeoutMs: settings.readyTimeout * 1000,
      console: this.app.stderr,
      onAbandon: (child) => pidFile?.release(child),
    });
    log.debug(`daemon pid ${pid} is ready; the invoker exits`, NAMESPACE);
    processExit.exit(0);
    return new Promise<never>(() => undefined);
  }
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
