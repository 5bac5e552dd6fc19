import { processExit, runProcessEndCleanups } from './process-exit';
import type { HookManager } from './hooks';
import type { Logger } from './logger';

/** The signals that stop an app (SIGHUP only when no `reload` hook is registered). */
export const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP'];

/** What the signal handler needs from the app. */
export interface SignalTarget {
  readonly hooks: HookManager;
  readonly log: Logger;
  close(): Promise<void>;
}

/**
 * Turns SIGTERM, SIGINT and SIGHUP into an orderly stop: the `signal` hook
 * runs, `signal` (an AbortSignal) aborts so that commands can end their
 * loops, and the app closes when the command returns or when the grace
 * period runs out. The process then ends by the same signal. A second signal
 * during shutdown ends it at once, after the synchronous clean-ups registered
 * with `onProcessEnd` (the pid file is removed). SIGHUP reloads instead of
 * stopping when the app registered a `reload` hook.
 */
export class SignalHandler {
  /** Made when `signal` is first read: loading Node's AbortController costs a start that never asks for it. */
  private controller: AbortController | undefined;
  private stopReason: SignalStop | undefined;
  private stopping: NodeJS.Signals | undefined;
  private graceTimer: NodeJS.Timeout | undefined;
  private installed = false;
  private readonly listener = (signal: NodeJS.Signals): void => {
    void this.handle(signal);
  };

  constructor(
    private readonly target: SignalTarget,
    private readonly graceMs: number,
  ) {}

  /** Aborts when a signal stops the app; its reason names the signal. */
  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.stopReason) this.controller.abort(this.stopReason);
    }
    return this.controller.signal;
  }

  /** The signal that is stopping the app, if any. */
  get stopSignal(): NodeJS.Signals | undefined {
    return this.stopping;
  }

  install(): void {
    if (this.installed) return;
    this.installed = true;
    for (const signal of STOP_SIGNALS) process.on(signal, this.listener);
    if (process.pid === 1) warnAsPid1(this.target.log);
  }

  uninstall(): void {
    this.installed = false;
    for (const signal of STOP_SIGNALS) process.removeListener(signal, this.listener);
    if (this.graceTimer) clearTimeout(this.graceTimer);
    this.graceTimer = undefined;
  }

  /** Handles a signal as if it had been received (also used by tests). */
  async handle(signal: NodeJS.Signals): Promise<void> {
    const { hooks, log } = this.target;
    if (this.stopping) {
      log.warning(`received ${signal} again while stopping: exiting now`, 'core.signal');
      this.uninstall();
      runProcessEndCleanups();
      processExit.raise(signal);
      return;
    }
    if (signal === 'SIGHUP' && hooks.hasRegistrations('reload')) {
      log.debug('caught SIGHUP: reopening log files and running the reload hook', 'core.signal');
      // pre_reload and post_reload frame the reload for whoever reports it (systemd's RELOADING=1, READY=1).
      await this.runQuietly('pre_reload');
      let failure: unknown;
      log.reopen();
      try {
        await hooks.run('reload', this.target);
      } catch (error) {
        failure = error ?? new Error(String(error));
        log.error(`reload failed: ${(error as Error)?.message ?? String(error)}`, 'core.signal');
      }
      await this.runQuietly('post_reload', failure);
      return;
    }
    this.stopping = signal;
    log.debug(`caught signal ${signal}: stopping`, 'core.signal');
    // The grace period covers the signal hook too: a hook that never returns must not keep the app alive.
    this.graceTimer = setTimeout(() => {
      log.warning(`still running ${this.graceMs} ms after ${signal}: closing anyway`, 'core.signal');
      void this.target.close();
    }, this.graceMs);
    try {
      await hooks.run('signal', this.target, signal);
    } catch (error) {
      log.error(`signal hook failed: ${(error as Error)?.message ?? String(error)}`, 'core.signal');
    }
    this.stopReason = new SignalStop(signal);
    this.controller?.abort(this.stopReason);
  }

  /** Runs a hook around the reload; its failure is logged, and the reload goes on. */
  private async runQuietly(name: 'pre_reload' | 'post_reload', ...args: unknown[]): Promise<void> {
    try {
      await this.target.hooks.run(name, this.target, ...args);
    } catch (error) {
      this.target.log.error(`${name} hook failed: ${(error as Error)?.message ?? String(error)}`, 'core.signal');
    }
  }
}

let hasWarnedAsPid1 = false;

/**
 * Says once that this process is PID 1 and so does not reap orphans: a
 * zombie left by any grandchild stays until the container ends. A stop
 * signal still ends it, with exit status 128 + n (see `processExit.raise`).
 */
function warnAsPid1(log: Logger): void {
  if (hasWarnedAsPid1) return;
  hasWarnedAsPid1 = true;
  log.warning(
    'running as PID 1 (a container without an init): orphaned processes are not reaped; ' +
      'run the container with an init (docker run --init, tini, or dumb-init)',
    'core.signal',
  );
}

/**
 * Whether an error only echoes a stop: `signal` has aborted and the error is
 * its reason, or the AbortError that `timers/promises`, `events.once` and
 * streams reject with when the signal given to them aborts. A command that
 * lets it through has ended as asked, which is not a failure.
 */
export function isStopAbort(signal: AbortSignal, error: unknown): boolean {
  if (!signal.aborted) return false;
  return error === signal.reason || (error instanceof Error && error.name === 'AbortError');
}

/** The reason `app.signal` aborts with. */
export class SignalStop extends Error {
  constructor(readonly signal: NodeJS.Signals) {
    super(`stopped by ${signal}`);
    this.name = 'SignalStop';
  }
}
