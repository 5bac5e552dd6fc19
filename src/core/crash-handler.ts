import type { Logger } from './logger';
import { processExit } from './process-exit';

/** What the crash handler needs from the app. */
export interface CrashTarget {
  readonly log: Logger;
  /** Set to the error, so that closing code (the daemon telling its invoker why) can see it. */
  lastError: unknown;
  close(): Promise<void>;
}

/** The exit code after an exception nothing caught, as for any other failure. */
const CRASH_EXIT_CODE = 1;

/**
 * Turns an exception nothing caught (thrown from a timer or an event
 * listener, or a promise rejection nobody handled) into an orderly end
 * instead of Node's raw stack: one error line (the stack only at debug
 * level), then the app closes — so `pre_close`/`post_close` run and a daemon
 * removes its pid file — within the grace period, then the process exits 1.
 * Another one while closing ends the process at once.
 */
export class CrashHandler {
  private installed = false;
  private isCrashing = false;
  private readonly listener = (error: unknown, origin: string): void => {
    void this.handle(error, origin === 'unhandledRejection' ? 'unhandled promise rejection' : 'uncaught exception');
  };

  constructor(
    private readonly target: CrashTarget,
    private readonly graceMs: number,
  ) {}

  install(): void {
    if (this.installed) return;
    this.installed = true;
    process.on('uncaughtException', this.listener);
  }

  uninstall(): void {
    this.installed = false;
    process.removeListener('uncaughtException', this.listener);
  }

  /** Handles an error as if nothing had caught it (also used by tests). */
  async handle(error: unknown, what = 'uncaught exception'): Promise<void> {
    const { log } = this.target;
    const message = error instanceof Error ? error.message : String(error);
    if (this.isCrashing) {
      log.error(`${what} while closing after another: ${message}`, 'core.crash');
      processExit.exit(CRASH_EXIT_CODE);
      return;
    }
    this.isCrashing = true;
    this.target.lastError = error;
    // A daemon's invoker that mirrors the log hears of the crash once, as the error closing reports to it.
    log.setMirror(undefined);
    log.error(`${what}: ${message}`, 'core.crash');
    if (error instanceof Error && error.stack) log.debug(error.stack, 'core.crash');
    const timer = setTimeout(() => {
      log.warning(`still closing ${this.graceMs} ms after the ${what}: exiting anyway`, 'core.crash');
      processExit.exit(CRASH_EXIT_CODE);
    }, this.graceMs);
    try {
      await this.target.close();
    } catch (failure) {
      log.error(`closing failed: ${failure instanceof Error ? failure.message : String(failure)}`, 'core.crash');
    }
    clearTimeout(timer);
    processExit.exit(CRASH_EXIT_CODE);
  }
}
