import type { App } from '../../core/app';
import type { WorkerSettings } from './worker-settings';

/**
 * Whether a stop fits in the app's `shutdownTimeout`: after a stop signal the
 * app closes anyway once that many ms have passed, and closing kills the
 * workers still draining. Resolves to the warning that says what to change
 * when `shutdown_delay` (+ `kill_timeout` with workers) is longer (at equal times the kill comes at the same moment either way); undefined
 * when it fits.
 */
export function stopBudgetWarning(app: App, settings: WorkerSettings): string | undefined {
  const limit = app.shutdownTimeout / 1000;
  const { shutdownDelay, killTimeout, isCluster } = settings;
  const needed = isCluster ? shutdownDelay + killTimeout : shutdownDelay;
  if (needed <= limit) return undefined;
  const keys = isCluster
    ? `[daemon] shutdown_delay (${shutdownDelay} s) + kill_timeout (${killTimeout} s) = ${needed} s`
    : `[daemon] shutdown_delay (${shutdownDelay} s)`;
  const cut = isCluster ? 'kills the workers still draining' : 'cuts the requests still running';
  return `${keys} is more than the app's shutdownTimeout (${limit} s): a stop closes the app after ${limit} s and ${cut}; raise shutdownTimeout (an App option) above it, or lower the keys`;
}
