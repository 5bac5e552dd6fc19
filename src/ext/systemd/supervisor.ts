import type { Logger } from '../../core/logger';
import type { SystemdNotifier } from '../daemon/systemd-notify';
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

  constructor(
    readonly notifier: SystemdNotifier,
    private readonly log: Logger,
    /** Whether this process is a daemon child, which systemd hears from only once it is ready. */
    private readonly isDaemonChild: boolean,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    this.watchdog = new Watchdog(notifier, log, env);
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
    };
  }

  /** The app stops (a stop signal, or the command ended): the watchdog ends, the stop heartbeats run. */
  stopping(): void {
    this.watchdog.stop();
    this.progress.begin('stop');
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
