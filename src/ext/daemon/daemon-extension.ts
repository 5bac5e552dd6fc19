import { arg } from '../../controller/arg';
import type { App } from '../../core/app';
import type { Config } from '../../core/config';
import { FrameworkError } from '../../core/errors';
import type { Extension } from '../../core/extension';
import { lazy } from '../../core/lazy';
import { processRoot } from '../../core/process-root';
import { setDaemonAccount } from '../../core/safe-files';
import { HEALTH_DEFAULTS, WORKER_DEFAULTS } from '../workers/worker-settings';
import { WORKER_MARKER } from '../workers/worker-messages';
import { DaemonService, type DaemonizeOptions } from './daemon-service';
import { ReadinessChannel } from './readiness';
import { SystemdNotifier } from './systemd-notify';
import { Supervisor } from '../systemd/supervisor';
import type { ListenFds } from '../systemd/listen-fds';
import type { Watchdog } from '../systemd/watchdog';

const privileges = lazy<typeof import('./privileges')>(require, './privileges');
const dispatcher = lazy<typeof import('../../controller/dispatcher')>(require, '../../controller/dispatcher');
const workerPart = lazy<typeof import('../workers/cluster-worker')>(require, '../workers/cluster-worker');

/** The `[daemon]` defaults (see docs/daemon.md). */
export const DAEMON_DEFAULTS: Readonly<Record<string, unknown>> = Object.freeze({
  user: '',
  group: '',
  dir: '/',
  pid_file: '',
  umask: '022',
  stdout: '/dev/null',
  stderr: '/dev/null',
  ready_timeout: 30,
  keep_env: '',
  inspector: false,
  start_timeout: 90,
  stop_timeout: 90,
  prevent_core: false,
  rlimit_nofile: '',
  chroot: '',
});

declare module '../../core/app' {
  interface App {
    /**
     * Added by the daemon extension: see `DaemonService.daemonize()`.
     * In the invoking process of `--daemon` it never returns.
     */
    daemonize(options?: DaemonizeOptions): Promise<void>;
    /**
     * Added by the daemon extension: sets the text `systemctl status` shows
     * (`STATUS=`) when systemd listens; returns whether it was sent.
     */
    status(text: string): boolean;
    /**
     * Added by the daemon extension: the listening sockets systemd passed
     * (socket activation) by name, also after `--daemon` and in the workers of
     * `[daemon] workers` (at the same numbers); see `DaemonService.listenFds()`.
     */
    listenFds(): ListenFds;
    /** Added by the daemon extension: systemd's watchdog; `check(fn)` adds a health check. */
    readonly watchdog: Watchdog;
  }
}

/**
 * The daemon extension (`extensions: ['daemon']`): the global `--daemon`
 * option, the `[daemon]` config section, `app.daemonize()` and an injectable
 * `DaemonService`.
 */
export const DaemonExtension: Extension = {
  name: 'daemon',
  load(app: App): void {
    // Read (and remove) the child marker first, so nothing started later inherits it.
    const channel = ReadinessChannel.fromEnvironment();
    // An invoker that is not this process's parent (see detach.ts) learns the pid here; another
    // has it already, and a message it does not need would only wake it while this one starts.
    if (channel?.isPidWanted) channel.send({ type: 'started', pid: process.pid });
    const worker = process.env[WORKER_MARKER] === undefined ? undefined : workerPart().ClusterWorker.fromEnvironment();
    // A daemon child and a cluster worker are not what systemd started: it hears from them through another process.
    const isHandedOn = channel !== undefined || worker !== undefined;
    const supervisor = new Supervisor(new SystemdNotifier(app.log), app.log, isHandedOn);
    const service = new DaemonService(app, channel, supervisor, worker);
    supervisor.starting();
    app.addGlobalArgument(arg(['--daemon'], { action: 'store_true', help: 'daemonize the process' }));
    app.config.merge(
      { daemon: { ...DAEMON_DEFAULTS, ...WORKER_DEFAULTS }, health: { ...HEALTH_DEFAULTS } },
      { override: false },
    );
    app.provide(DaemonService, () => service);
    // Root may open and remove files the daemon's user owns (its log file, its pid file and directory).
    setDaemonAccount(() => service.account());
    // A reload checks [daemon] as a start does, so that a bad value keeps the config in force
    // instead of being found later by `daemon status` or `daemon stop`.
    app.addConfigCheck(function daemonSettings(config) {
      const settings = service.settings();
      // In a new root the account database is out of reach, and the daemon runs as it started anyway.
      if (processRoot() !== undefined) {
        if (accountOf(config) === accountAtStart) return;
        throw new FrameworkError(
          `[daemon] user and group cannot change in a daemon that changed its root ([daemon] chroot): restart it to run as another account.`,
        );
      }
      if (!settings.user && !settings.group) return;
      const { resolveIdentity } = privileges();
      try {
        resolveIdentity(settings.user, settings.group);
      } catch (error) {
        const where = ['user', 'group'].map((key) => config.origin('daemon', key)).filter(Boolean);
        if (where.length === 0 || !(error instanceof FrameworkError)) throw error;
        throw new FrameworkError(`${error.message.replace(/\.$/, '')} ([daemon] in ${where.join('; ')}).`, {
          cause: error,
        });
      }
    });
    app.extend('daemonize', (options?: DaemonizeOptions) => service.daemonize(options));
    app.extend('status', (text: string) => service.setStatus(text));
    app.extend('watchdog', supervisor.watchdog);
    app.extend('listenFds', () => service.listenFds());
    let accountAtStart = '';
    app.hooks.register(
      'post_setup',
      function daemonTimeouts() {
        accountAtStart = accountOf(app.config);
        const { startTimeout, stopTimeout } = service.timeouts();
        supervisor.progress.setCeiling('start', startTimeout);
        supervisor.progress.setCeiling('stop', stopTimeout);
      },
      { weight: -1000 },
    );
    // A reload on SIGHUP, told as systemd's reload protocol, once systemd knows this process as the service.
    app.hooks.register(
      'pre_reload',
      function daemonReloading() {
        if (service.hasReported) supervisor.reloading();
      },
      { weight: -1000 },
    );
    app.hooks.register(
      'post_reload',
      function daemonReloaded(_app: App, failure: unknown) {
        if (service.hasReported) supervisor.reloaded(failure);
      },
      { weight: 1000 },
    );
    // A stop signal begins the stop phase at once: the command may take a while to end.
    app.hooks.register(
      'signal',
      function daemonSignalled() {
        supervisor.stopping();
      },
      { weight: -1000 },
    );
    app.hooks.register(
      'pre_close',
      function daemonClosing() {
        service.stopping();
        service.releaseHold();
        // A daemon child closing before it was ready tells its invoker why (a no-op otherwise).
        const failure = app.lastError;
        // A worker tells the primary the error it closes with, which names it when it stops the daemon.
        if (worker && failure !== undefined)
          worker.failed(failure instanceof Error ? failure.message : String(failure));
        if (failure !== undefined && !service.hasReported) supervisor.failed(failure);
        const reason =
          failure !== undefined
            ? failure instanceof Error
              ? failure.message
              : String(failure)
            : (service.stoppedBeforeReady() ?? 'The daemon closed before it was ready.');
        service.abandon(reason);
      },
      { weight: -1000 },
    );
    // Whether a command becomes a daemon is known only once it has run: its body may call daemonize().
    app.hooks.register('post_run', function daemonOptionUnused() {
      if (!service.detachRequested || service.hasDaemonized) return;
      const command = dispatcher().dispatchedCommand(app);
      if (command !== undefined)
        app.log.warning(`--daemon has no effect: '${command}' does not run as a daemon`, 'daemon');
    });
    app.hooks.register(
      'post_close',
      function daemonRemovePidFile() {
        service.releasePidFile();
      },
      { weight: 1000 },
    );
    // A daemon in a new root kept a socket connected to systemd's (chroot.ts); the process may end once it is closed.
    app.hooks.register('post_close', () => supervisor.notifier.disconnect(), { weight: 1000 });
    if (worker) app.hooks.register('post_close', () => worker.close(), { weight: 1000 });
  },
};

/** `[daemon] user` and `group` as written, to tell whether a reload changed them. */
function accountOf(config: Config): string {
  return JSON.stringify([config.get('daemon', 'user'), config.get('daemon', 'group')]);
}
