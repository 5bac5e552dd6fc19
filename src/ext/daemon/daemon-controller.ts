import { arg } from '../../controller/arg';
import { Controller } from '../../controller/controller';
import { Expose } from '../../controller/expose';
import { App } from '../../core/app';
import { FrameworkError, UsageError } from '../../core/errors';
import { lazy } from '../../core/lazy';
import type { DaemonStatus, StopResult } from './daemon-operations';
import { DaemonService } from './daemon-service';

// Only programs with [daemon] workers need these.
const workerSettings = lazy<typeof import('../workers/worker-settings')>(require, '../workers/worker-settings');
const workersPart = lazy<typeof import('../workers/workers-status')>(require, '../workers/workers-status');

/** LSB exit codes of `status`. */
const STATUS_EXIT = { running: 0, stale: 1, stopped: 3, unknown: 4 } as const;
/** LSB exit codes of `reload` (7: program is not running). */
const RELOAD_EXIT = { running: 0, stale: 1, stopped: 7 } as const;

/**
 * `myapp daemon status` and `myapp daemon stop`, for operators. Add it to
 * the app's `controllers`; it needs the daemon extension and `[daemon] pid_file`.
 * Each renders what it found, a line for people (`text`) or the
 * {@link DaemonStatus} / {@link StopResult} itself with `-o json` (in an app
 * that gives `AppOptions.output`); the exit code is the same either way.
 */
@Controller({
  label: 'daemon',
  stackedOn: 'base',
  stackedType: 'nested',
  description: 'Query, reload or stop the running daemon (found through [daemon] pid_file).',
  help: 'query, reload or stop the running daemon',
})
export class DaemonController {
  constructor(
    private readonly app: App,
    private readonly daemon: DaemonService,
  ) {}

  @Expose({
    help: 'show whether the daemon runs (exit 0: running, 1: stale pid file, 3: not running, 4: cannot tell as this user)',
  })
  async status(): Promise<number> {
    const status = await this.daemon.status();
    const name = this.app.label;
    const template = (found: DaemonStatus): string => {
      const lines: Record<DaemonStatus['state'], string> = {
        running: `${name} is running (pid ${found.pid}${found.reason ? `; ${found.reason}` : ''})`,
        stale: `${name} is not running, but its stale pid file ${found.pidFile} remains: ${found.reason}`,
        unknown: `${found.reason}`,
        stopped: `${name} is not running`,
      };
      return lines[found.state];
    };
    const workers =
      status.state === 'running' && status.pid !== undefined
        ? workersPart().listWorkers(status.pidFile, status.pid)
        : undefined;
    const text = (found: DaemonStatus): string =>
      `${template(found)}\n${workers ? workersPart().describeWorkers(workers) : ''}`;
    await this.app.render({ ...status, ...(workers ? { workers } : {}) }, { template: text });
    return STATUS_EXIT[status.state];
  }

  @Expose({
    help: 'reload the daemon: SIGHUP (with workers, a rolling reload; exit 0: sent, 1: stale pid file, 7: not running)',
  })
  async reload(): Promise<number> {
    const name = this.app.label;
    const { readWorkerSettings } = workerSettings();
    // SIGHUP stops a daemon that has nothing to reload: refuse rather than stop it.
    if (!readWorkerSettings(this.app.config).isCluster && !this.app.hooks.hasRegistrations('reload')) {
      throw new FrameworkError(
        `${name} does not reload on SIGHUP (it registers no reload hook and runs no [daemon] workers), so SIGHUP would stop it; use 'daemon stop' and start it again.`,
      );
    }
    const status = await this.daemon.reload();
    const lines: Record<typeof status.state, string> = {
      running: `${name} is reloading (pid ${status.pid})`,
      stale: `${name} is not running, but its stale pid file ${status.pidFile} remains: ${status.reason}; sent no signal`,
      stopped: `${name} is not running`,
    };
    this.app.stdout.write(`${lines[status.state]}\n`);
    return RELOAD_EXIT[status.state];
  }

  @Expose({
    help: 'stop the daemon: SIGTERM, then SIGKILL after the timeout (a stale pid file is removed, nothing signalled)',
    arguments: [
      arg(['-t', '--timeout'], {
        type: 'number',
        default: 10,
        metavar: 'SECONDS',
        help: 'seconds to wait before SIGKILL',
      }),
    ],
  })
  async stop(args: { timeout: number }): Promise<number> {
    if (!(args.timeout >= 0)) {
      throw new UsageError(`option '--timeout' must be 0 or more, got ${args.timeout}`);
    }
    const result = await this.daemon.stop({ timeout: args.timeout * 1000 });
    const name = this.app.label;
    const template = (done: StopResult): string => {
      const lines: Record<StopResult['outcome'], string> = {
        stopped: `${name} stopped (pid ${done.pid})`,
        killed: `${name} did not stop within ${args.timeout} s: killed (pid ${done.pid})`,
        'not-running': `${name} is not running`,
        stale:
          `${name} is not running; ${done.removedPidFile ? 'removed its' : 'could not remove its'} stale pid file: ${done.reason}` +
          (done.isPidAlive ? '; sent it no signal' : ''),
      };
      return lines[done.outcome];
    };
    await this.app.render(result, { template });
    return 0;
  }
}
