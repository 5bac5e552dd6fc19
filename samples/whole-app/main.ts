/**
 * The whole program becomes a daemon, from a `pre_run` hook, in the manual
 * lifecycle style: setup, run, the program's own loop, close.
 *
 *   node build/samples/whole-app/main.js --daemon   # detached; pid file /tmp/whole-app.pid
 *   node build/samples/whole-app/main.js            # the same, in the foreground (Ctrl-C stops it)
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { App, defaults } from 'mortar';

async function main(): Promise<void> {
  const config = defaults('daemon');
  config.daemon.pid_file = process.env.WHOLE_APP_PID_FILE ?? '/tmp/whole-app.pid';
  const app = new App('whole-app', {
    extensions: ['daemon'],
    configDefaults: config,
    configFiles: [],
    hooks: [['pre_run', (self: App) => self.daemonize()]],
  });
  try {
    await app.setup();
    await app.run();
    let count = 0;
    while (!app.signal.aborted) {
      count += 1;
      app.stdout.write(`Iteration: ${count}\n`);
      await sleep(10_000, undefined, { signal: app.signal }).catch(() => undefined);
    }
  } catch (error) {
    process.exitCode = app.report(error);
  } finally {
    await app.close();
  }
}

void main();
