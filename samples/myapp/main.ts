/**
 * The classic daemon example: a base controller with options, a hidden
 * default command, and a `run-forever` command that becomes a daemon.
 *
 *   node build/samples/myapp/main.js --foo bar            # runs the hidden default command
 *   node build/samples/myapp/main.js run-forever --daemon # starts the daemon, returns once it is ready
 *   node build/samples/myapp/main.js daemon status        # is it running?
 *   node build/samples/myapp/main.js daemon stop          # stop it
 *   kill -HUP $(cat /tmp/myapp.pid)                        # reopen the log file, reload the config
 *   node build/samples/myapp/main.js greet Ada             # with [plugin.greet] enabled in myapp.conf
 *
 * Settings come from samples/myapp/myapp.conf (see its [daemon] section), then
 * from the system-wide /etc/myapp/myapp.conf when there is one;
 * MYAPP_DAEMON_PID_FILE and friends override them. MYAPP_CONFIG=/path names
 * another system-wide file instead (the specs point it into a temporary
 * directory, so that whatever is in /etc/myapp on the machine never changes
 * what they see).
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { App, Controller, DaemonController, Daemonize, Expose, arg, defaults } from 'mortar';

const config = defaults('myapp', 'daemon');
config.daemon.pid_file = '/tmp/myapp.pid';

@Controller({
  label: 'base',
  description: 'My Application does amazing things!',
  configDefaults: { foo: 'bar' },
  arguments: [
    arg(['-f', '--foo'], { help: 'the notorious foo option' }),
    arg(['-C'], { action: 'store_true', help: 'the big C option' }),
  ],
})
class BaseController {
  constructor(private readonly app: App) {}

  @Expose({ hide: true, aliases: ['run'] })
  default(args: { foo?: string; C: boolean }): void {
    this.app.log.info('Inside base.default function.');
    if (args.foo) this.app.log.info(`Received option 'foo' with value '${args.foo}'.`);
    if (args.C) this.app.log.info("Received the big 'C' option.");
  }

  @Expose({ help: 'run the daemon command.' })
  @Daemonize()
  async runForever(): Promise<void> {
    let count = 0;
    this.app.log.info(`running as pid ${process.pid}`);
    this.app.log.info(this.app.config.get<string>('myapp', 'motd') ?? 'Welcome to myapp.');
    while (!this.app.signal.aborted) {
      count += 1;
      this.app.stdout.write(`${count}\n`);
      await sleep(10_000, undefined, { signal: this.app.signal }).catch(() => undefined);
    }
    this.app.log.info(`stopping after ${count} iterations`);
  }
}

const app = new App('myapp', {
  extensions: ['daemon'],
  controllers: [BaseController, DaemonController],
  configDefaults: config,
  configFiles: [
    join(__dirname, '../../../samples/myapp/myapp.conf'),
    process.env.MYAPP_CONFIG ?? '/etc/myapp/myapp.conf',
  ],
  // Plugins enabled in config ([plugin.NAME] enabled = true) are found here; /etc wins over the sample's own.
  pluginDirs: [join(__dirname, 'plugins'), '/etc/myapp/plugins.d'],
  hooks: [
    // SIGHUP (e.g. from logrotate): the log file is reopened, then this runs; the daemon goes on.
    [
      'reload',
      (self: App) => {
        self.reloadConfig();
        self.log.info('configuration reloaded');
      },
    ],
  ],
});
void app.main();
