import type { Logger } from '../../core/logger';
import type { SystemdNotifier } from '../daemon/systemd-notify';
import { handOnListenFds, takeListenFds, type ListenFds } from './listen-fds';
import { Progress } from './progress';
import { Watchdog } from './watchdog';

/**
 * The `[daemon]` ceilings' defaults, in seconds: systemd's own default
 * `TimeoutStartSec=`/`TimeoutStopSec=` (90 s). A unit that sets neither
 * behaves as before (an extension never shortens a timeout); a unit with a
 * shorter one is carried up to 90 s; a longer ceiling is a setting.
 */
export const DEFAULT_START_TIMEOUT = 90;
export const DEFAULT_STOP_TIMEOUT = 90;

/**
 * What systemd (the service manager) learns from the app, and when: one
 * object per process, made by the daemon extension. The notifier sends; the
 * watchdog pings; progress sends `STATUS=` and the start and stop
 * heartbeats. The process is one of three: in the foreground (systemd's
 * main process), the invoker of `--daemon` (main until it hands over), or a
 * daemon child (main once it is ready and named so).
 */
export class Supervisor {
  readonly watchdog: Watchdog;
  readonly progress: Progress;
  /** The descriptors socket activation passed (see listen-fds.ts). */
  readonly listenFds: ListenFds;

  constructor(
    readonly notifier: SystemdNotifier,
    private readonly log: Logger,
    /**
     * Whether this process is a daemon child, which systemd hears from only
     * once it is ready, or a cluster worker, which systemd hears from only
     * through the primary; both get the passed sockets from that process.
     */
    private readonly isDaemonChild: boolean,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    this.watchdog = new Watchdog(notifier, log, env);
    this.listenFds = takeListenFds(env, process.pid, isDaemonChild);
    if (this.listenFds.size > 0) {
      log.debug(
        `socket activation: ${[...this.listenFds].map(([name, fds]) => `${name}=${fds.join(',')}`).join(' ')}`,
        'ext.systemd',
      );
    }
    this.progress = new Progress(notifier, log, { start: DEFAULT_START_TIMEOUT, stop: DEFAULT_STOP_TIMEOUT });
  }

  /** The process has started: the watchdog and the start heartbeats run (not yet in a daemon child). */
  starting(): void {
    if (this.isDaemonChild) return;
    this.watchdog.start();
    this.progress.begin('start', 0);
  }

  /** The app is ready: heartbeats end, the watchdog runs (a daemon child's from now on). */
  ready(): void {
    this.progress.end();
    this.watchdog.start();
  }

  /** This process hands systemd over to a daemon child: its own pings and heartbeats end. */
  handOver(): void {
    this.watchdog.stop();
    this.progress.end();
  }

  /** The variables a daemon child needs to be supervised in this process's place. */
  childEnvironment(): Record<string, string> {
    return {
      ...(this.notifier.socket ? { NOTIFY_SOCKET: this.notifier.socket } : {}),
      ...this.watchdog.environment,
      ...handOnListenFds(this.listenFds).env,
    };
  }

  /** The descriptors a daemon child gets at the same numbers: those socket activation passed. */
  childDescriptors(): number[] {
    return handOnListenFds(this.listenFds).descriptors;
  }

  /** The app stops (a stop signal, or the command ended): the watchdog ends, the stop heartbeats run. */
  stopping(): void {
    this.watchdog.stop();
    this.progress.begin('stop');
  }

  /**
   * A reload begins (SIGHUP): `RELOADING=1` with `MONOTONIC_USEC=` the
   * monotonic clock in µs, which systemd's `Type=notify-reload` (253+) needs
   * to tell this reload from an earlier one.
   */
  reloading(): void {
    // process.hrtime is CLOCK_MONOTONIC on Linux, the clock systemd compares with.
    this.notifier.notify('RELOADING=1', `MONOTONIC_USEC=${process.hrtime.bigint() / 1000n}`);
  }

  /** The reload ended: `READY=1`, after `STATUS=reload failed: …` when it failed (the old config stays in force). */
  reloaded(failure: unknown): void {
    if (failure === undefined) {
      this.notifier.notify('READY=1');
      return;
    }
    const message = failure instanceof Error ? failure.message : String(failure);
    this.notifier.notify(`STATUS=reload failed: ${message.replace(/[\r\n]+/g, ' ')}`, 'READY=1');
  }

  /**
   * The start failed: systemd's status line says why (mortar's one line) and,
   * for a system error, `ERRNO=`. Not from a daemon child: its invoker says it.
   */
  failed(error: unknown): void {
    if (this.isDaemonChild || !this.notifier.socket) return;
    const message = error instanceof Error ? error.message : String(error);
    const errno = (error as NodeJS.ErrnoException | undefined)?.errno;
    this.log.debug(`telling systemd the start failed: ${message}`, 'ext.systemd');
    this.notifier.notify(
      `STATUS=${message.replace(/[\r\n]+/g, ' ')}`,
      ...(typeof errno === 'number' && errno !== 0 ? [`ERRNO=${Math.abs(errno)}`] : []),
    );
  }
}
