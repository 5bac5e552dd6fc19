/**
 * The invoking process of `--daemon`: after the pre-flight it starts the
 * program again as a detached child, waits until that child reports ready,
 * hands systemd's supervision over to it and exits 0. It never returns.
 */
import type { App } from '../../core/app';
import { lazy } from '../../core/lazy';
import { processExit } from '../../core/process-exit';
import type { Supervisor } from '../systemd/supervisor';
import { keptEnvironment, preflight } from './become-daemon';
import type { DaemonSettings } from './daemon-settings';

const NAMESPACE = 'ext.daemon';

/** Loaded once the pre-flight has passed: a start refused there needs none of it. */
const detach = lazy<typeof import('./detach')>(require, './detach');

/** Detaches the daemon and exits 0 once it is ready; a start that fails throws, leaving no pid file and no process. */
export async function runInvoker(app: App, supervisor: Supervisor, settings: DaemonSettings): Promise<never> {
  const log = app.log;
  // Refuse what would fail anyway before anything detaches.
  const { identity, pidFile } = preflight(settings, app.label, app.log.getFile());
  log.debug('attempting to daemonize the current process', NAMESPACE);
  const pid = await detach().startDaemon({
    notifySocket: supervisor.notifier.socket,
    supervision: supervisor.childEnvironment(),
    passFds: supervisor.childDescriptors(),
    // systemd supervises a Type=notify unit's main process only when it is its own child.
    orphan: supervisor.notifier.socket !== undefined,
    stdout: settings.stdout,
    stderr: settings.stderr,
    timeoutMs: settings.readyTimeout * 1000,
    console: app.stderr,
    // SIGINT or SIGTERM to the invoker before the daemon is ready stops the start.
    signal: app.signal,
    environment: identity?.changes ? keptEnvironment(settings, app.label, { ...process.env }) : undefined,
    onAbandon: (child) => {
      try {
        pidFile?.release(child);
      } catch {
        // left naming a dead process: stale, so the next start replaces it
      }
    },
  });
  log.debug(`daemon pid ${pid} is ready; the invoker exits`, NAMESPACE);
  supervisor.handOver();
  supervisor.notifier.notify('READY=1', `MAINPID=${pid}`);
  processExit.exit(0);
  return new Promise<never>(() => undefined);
}
