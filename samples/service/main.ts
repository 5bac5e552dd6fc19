/**
 * A small HTTP service whose controller injects `DaemonService`: it daemonizes,
 * binds its port, and only then reports ready, so `--daemon` returns once the
 * port answers (and systemd `Type=notify` learns it is up at that moment).
 * Started by systemd's socket activation (samples/systemd/service-activated.socket),
 * it serves the socket systemd passed (named `http`) instead of --port.
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
    const [activated] = this.daemon.listenFds().get('http') ?? [];
    if (activated === undefined) server.listen(args.port, args.host);
    else server.listen({ fd: activated });
    await once(server, 'listening');
    this.app.log.info(
      activated === undefined
        ? `listening on http://${args.host}:${args.port}/`
        : `listening on the socket systemd passed (fd ${activated})`,
    );
    this.daemon.ready();
    await once(this.app.signal, 'abort');
    // Requests in progress finish before the process ends; new connections wait for the next process.
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

void new App('service', {
  extensions: ['daemon'],
  controllers: [ServiceController, DaemonController],
  configDefaults: config,
}).main();
