/**
 * A small HTTP service whose controller injects `DaemonService`: it daemonizes,
 * binds its port, and only then reports ready, so `--daemon` returns once the
 * port answers (and systemd `Type=notify` learns it is up at that moment).
 *
 *   node build/samples/service/main.js serve --port 8080 --daemon
 *   curl http://127.0.0.1:8080/
 *   node build/samples/service/main.js daemon stop
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import { App, Controller, DaemonController, DaemonService, Expose, arg, defaults } from 'mortar';

const config = defaults('service', 'daemon');
config.daemon.pid_file = '/tmp/mortar-service.pid';

@Controller({ label: 'base', description: 'Serves a greeting over HTTP.' })
class ServiceController {
  constructor(
    private readonly app: App,
    private readonly daemon: DaemonService,
  ) {}

  @Expose({
    help: 'serve HTTP until stopped',
    arguments: [
      arg(['-p', '--port'], { type: 'integer', default: 8080, help: 'TCP port' }),
      arg(['--host'], { default: '127.0.0.1', help: 'address to bind' }),
    ],
  })
  async serve(args: { port: number; host: string }): Promise<void> {
    await this.daemon.daemonize({ ready: 'manual' });
    const server = createServer((_request, response) => response.end(`hello from pid ${process.pid}\n`));
    server.listen(args.port, args.host);
    await once(server, 'listening');
    this.app.log.info(`listening on http://${args.host}:${args.port}/`);
    this.daemon.ready();
    await once(this.app.signal, 'abort');
    server.close();
  }
}

void new App('service', {
  extensions: ['daemon'],
  controllers: [ServiceController, DaemonController],
  configDefaults: config,
}).main();
