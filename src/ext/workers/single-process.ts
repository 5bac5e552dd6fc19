import type { App } from '../../core/app';
import { HealthServer } from './health-server';
import { stopBudgetWarning } from './stop-budget';
import type { WorkerSettings } from './worker-settings';

/**
 * `[health] listen` and `[daemon] shutdown_delay` for a daemon that runs in
 * one process (`workers = 1`): `/readyz` answers 200 once the daemon is ready,
 * and 503 from the moment a stop signal arrives; `app.signal` aborts (so the
 * command stops accepting and drains) only `shutdown_delay` seconds later.
 */
export async function watchSingleProcess(app: App, settings: WorkerSettings, isReady: () => boolean): Promise<void> {
  const warning = stopBudgetWarning(app, settings);
  if (warning) app.log.warning(warning, 'ext.workers');
  let isStopping = false;
  app.hooks.register('signal', () => void (isStopping = true), { weight: -1000 });
  if (settings.shutdownDelay > 0) {
    app.hooks.register('signal', () => new Promise((resolve) => setTimeout(resolve, settings.shutdownDelay * 1000)), {
      weight: 1000,
    });
  }
  if (!settings.health) return;
  const watchdog = app.watchdog;
  const health = new HealthServer(
    settings.health,
    () => isReady() && !isStopping,
    () => watchdog.failure(),
  );
  await health.listen();
  app.hooks.register('pre_close', () => health.close());
}
