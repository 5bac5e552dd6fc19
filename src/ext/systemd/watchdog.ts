import type { Logger } from '../../core/logger';
import type { SystemdNotifier } from '../daemon/systemd-notify';

/**
 * A health check of the app's own: resolves (or returns) `false`, or throws,
 * when the app is not healthy. Anything else counts as healthy.
 */
export type WatchdogCheck = () => unknown;

const NAMESPACE = 'ext.systemd.watchdog';
/** The environment variables systemd sets with `WatchdogSec=`. */
export const WATCHDOG_VARIABLES = ['WATCHDOG_USEC', 'WATCHDOG_PID'] as const;

/**
 * systemd's watchdog (`WatchdogSec=`, sd_watchdog_enabled(3)): while enabled
 * and started, sends `WATCHDOG=1` every half period from a timer on the
 * event loop, so that a loop blocked past the period stops the pings and
 * systemd acts (`Restart=on-watchdog`). Before each ping the app's checks run
 * (`app.watchdog.check(fn)`); a failing one sends `WATCHDOG=trigger`, which
 * has systemd act at once, and the pings end. A check still pending at the
 * next tick withholds that ping.
 *
 * It is also the process's stall detector, which `[health] listen`'s `/livez`
 * shares so that both agree: the event loop is *stalled* when two pings are
 * further apart than the period (systemd's own rule: no ping within
 * `WatchdogSec=`, and it ends the service), and unhealthy for good once that
 * happened or a check failed ({@link failure}).
 *
 * The variables are taken out of the environment at once, so processes the
 * app starts don't inherit them; {@link environment} hands them on to a
 * daemon child, without `WATCHDOG_PID` since the child's pid is not known yet.
 */
export class Watchdog {
  /** The period systemd gave, in µs, when the watchdog is meant for this process; else undefined. */
  readonly periodUsec: number | undefined;

  private readonly checks: WatchdogCheck[] = [];
  private timer: NodeJS.Timeout | undefined;
  private isChecking = false;
  private hasTriggered = false;
  /** When the last ping was sent (or the pings started), in ms of the monotonic clock. */
  private lastPingAt: number | undefined;
  /** Why systemd gave up on the process, once it has. */
  private verdict: string | undefined;

  constructor(
    private readonly notifier: SystemdNotifier,
    private readonly log: Logger,
    env: NodeJS.ProcessEnv = process.env,
    pid: number = process.pid,
  ) {
    const usec = env.WATCHDOG_USEC;
    const owner = env.WATCHDOG_PID;
    for (const name of WATCHDOG_VARIABLES) delete env[name];
    const period = usec !== undefined && /^\d+$/.test(usec) ? Number(usec) : 0;
    const isOurs = owner === undefined || owner === '' || Number(owner) === pid;
    this.periodUsec = period > 0 && isOurs ? period : undefined;
  }

  /** Whether systemd watches this process (`WATCHDOG_USEC` set, `WATCHDOG_PID` absent or ours). */
  get isEnabled(): boolean {
    return this.periodUsec !== undefined;
  }

  /** Whether pings are being sent. */
  get isRunning(): boolean {
    return this.timer !== undefined;
  }

  /** What a daemon child needs to be watched in this process's place. */
  get environment(): Record<string, string> {
    return this.periodUsec === undefined ? {} : { WATCHDOG_USEC: String(this.periodUsec) };
  }

  /**
   * Adds a health check, run before every ping: when it returns or resolves
   * to `false`, or throws, systemd is told at once (`WATCHDOG=trigger`).
   * Harmless when systemd does not watch the process.
   */
  check(fn: WatchdogCheck): void {
    if (typeof fn !== 'function') throw new TypeError('app.watchdog.check() needs a function');
    this.checks.push(fn);
  }

  /**
   * Why systemd ends (or has ended) the process, as this process can tell:
   * two pings further apart than the period, now or before (`the event loop
   * stalled 5.2 s, more than WatchdogSec=4 s`), or a failed check; undefined
   * while healthy, and always when systemd does not watch the process. Once
   * set it stays: systemd does not take a verdict back.
   */
  failure(now: number = performance.now()): string | undefined {
    if (this.verdict === undefined && this.timer && this.lastPingAt !== undefined) this.checkGap(now);
    return this.verdict;
  }

  /** Starts pinging (once now, then every half period), when enabled. The timer never keeps the process alive. */
  start(): void {
    if (this.periodUsec === undefined || this.timer || this.hasTriggered) return;
    const unavailable = this.notifier.unavailable();
    if (unavailable) {
      this.hasTriggered = true;
      this.log.warning(
        `${unavailable[0]}: cannot ping systemd's watchdog, so systemd stops the service every ${this.periodUsec / 1e6} s; ${unavailable[1].replace('use Type=simple', 'remove WatchdogSec=')}.`,
        NAMESPACE,
      );
      return;
    }
    const intervalMs = Math.max(1, Math.floor(this.periodUsec / 2000));
    this.log.debug(`systemd watchdog every ${this.periodUsec / 1e6} s: pinging every ${intervalMs} ms`, NAMESPACE);
    this.timer = setInterval(() => void this.tick(), intervalMs);
    this.timer.unref();
    this.lastPingAt = performance.now();
    void this.tick();
  }

  /** Stops pinging (the app is stopping, or another process takes over). */
  stop(): void {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async tick(): Promise<void> {
    if (this.isChecking) {
      this.log.debug('a watchdog check is still running: no ping this time', NAMESPACE);
      return;
    }
    const failure = await this.runChecks();
    if (!this.timer) return;
    if (failure === undefined) {
      const now = performance.now();
      this.checkGap(now);
      this.notifier.notify('WATCHDOG=1');
      this.lastPingAt = now;
      return;
    }
    this.stop();
    this.hasTriggered = true;
    this.verdict ??= `watchdog check failed: ${failure}`;
    this.log.error(`watchdog check failed: ${failure}; telling systemd (WATCHDOG=trigger)`, NAMESPACE);
    this.notifier.notify('WATCHDOG=trigger', `STATUS=watchdog check failed: ${failure}`.replace(/\n/g, ' '));
  }

  /** Records the verdict when the time since the last ping passed the period. */
  private checkGap(now: number): void {
    const periodMs = this.periodUsec! / 1000;
    const gap = now - this.lastPingAt!;
    if (this.verdict !== undefined || gap <= periodMs) return;
    this.verdict = `the event loop stalled: no watchdog ping for ${(gap / 1000).toFixed(1)} s, more than WatchdogSec=${periodMs / 1000} s`;
    this.log.error(`${this.verdict}; systemd ends the service`, NAMESPACE);
  }

  /** Runs the checks in order; resolves to why the first failing one failed, or undefined. */
  private async runChecks(): Promise<string | undefined> {
    if (this.checks.length === 0) return undefined;
    this.isChecking = true;
    try {
      for (const check of this.checks) {
        try {
          if ((await check()) === false) return `${check.name || 'a check'} returned false`;
        } catch (error) {
          return `${check.name || 'a check'} threw: ${error instanceof Error ? error.message : String(error)}`;
        }
      }
      return undefined;
    } finally {
      this.isChecking = false;
    }
  }
}
