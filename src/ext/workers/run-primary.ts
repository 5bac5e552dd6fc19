import { once } from 'node:events';
import type { App } from '../../core/app';
import { ClusterPrimary } from './cluster-primary';
import { workersStatePath } from './workers-state-file';
import type { WorkerSettings } from './worker-settings';

/**
 * What `daemonize()` does in the process the pid file names when the command
 * runs in workers: it runs them (see {@link ClusterPrimary}) and never lets
 * the command run here. It settles only when the daemon stops: after a stop
 * signal with the signal's abort, which ends the app as a command that saw
 * `app.signal` abort (the process then ends by that signal: exit 143 for
 * SIGTERM); after a failed start or a crash loop with its error (exit 1).
 */
export async function runPrimary(
  app: App,
  settings: WorkerSettings,
  onReady: () => void,
  pidFile?: string,
  isDetached = false,
): Promise<never> {
  const statePath = pidFile === undefined ? undefined : workersStatePath(pidFile);
  await new ClusterPrimary(app, settings, onReady, statePath, isDetached).run();
  if (!app.signal.aborted) await once(app.signal, 'abort');
  throw app.signal.reason;
}
