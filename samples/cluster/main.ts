/**
 * An HTTP service on every core: `[daemon] workers = 2` runs the `serve`
 * command in two workers of Node's cluster, which share the port. The process
 * in the pid file is the primary: SIGHUP (or `cluster daemon reload`) replaces
 * the workers one by one without dropping a request, SIGTERM drains them.
 *
 *   node build/samples/cluster/main.js serve --port 8080 --daemon
 *   curl http://127.0.0.1:8080/           # hello from pid <one worker or the other>
 *   curl http://127.0.0.1:8081/readyz     # [health] listen
 *   node build/samples/cluster/main.js daemon reload
 *   node build/samples/cluster/main.js daemon status
 *   node build/samples/cluster/main.js daemon stop
 *
 * Under systemd: samples/systemd/cluster.service (Type=notify), or
 * cluster-activated.socket + .service (socket activation: the workers share
 * the socket systemd passed).
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import { App, Controller, DaemonController, DaemonService, Expose, arg, defaults } from 'mortar';

const config = defaults('cluster', 'daemon', 'health');
config.daemon.pid_file = '/tmp/mortar-cluster.pid';
config.daemon.workers = 2;
config.health.listen = '127.0.0.1:8081';

@Controller({ label: 'base', description: 'Serves a greeting over HTTP from every worker.' })
class ClusterController {
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
    // In the primary this runs the workers and settles only when the daemon stops; in a worker it returns.
    await this.daemon.daemonize({ ready: 'manual' });
    const server = createServer((_request, response) => response.end(`hello from pid ${process.pid}\n`));
    // Under socket activation (samples/systemd/cluster-activated.*) the workers share the socket systemd passed.
    const [activated] = this.app.listenFds().get('http') ?? [];
    if (activated === undefined) server.listen(args.port, args.host);
    else server.listen({ fd: activated });
    await once(server, 'listening');
    this.app.log.info(
      activated === undefined
        ? `worker ${process.pid} listening on http://${args.host}:${args.port}/`
        : `worker ${process.pid} listening on the socket systemd passed (fd ${activated})`,
    );
    this.daemon.ready();
    await once(this.app.signal, 'abort');
    // In-flight requests finish; keep-alive connections end gracefully (docs/workers.md).
    await new Promise((resolve) => server.close(resolve));
  }
}

void new App('cluster', {
  extensions: ['daemon'],
  controllers: [ClusterController, DaemonController],
  configDefaults: config,
}).main();
