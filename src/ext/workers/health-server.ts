import type { Server } from 'node:http';
import { FrameworkError } from '../../core/errors';
import { lazy } from '../../core/lazy';
import { describeSystemError } from '../../core/system-error';
import type { HealthAddress } from './worker-settings';

const http = lazy<typeof import('node:http')>(require, 'node:http');

/**
 * `[health] listen`: `GET /livez` answers 200 while the event loop turns, and
 * 503 with the reason once the stall detector it is given (systemd's
 * watchdog, when systemd watches the process) has found the loop stalled or a
 * check failing: both say the same (docs/workers.md#livez-and-the-watchdog);
 * `GET /readyz` answers 200 only while the daemon is ready and not stopping,
 * 503 otherwise (so an orchestrator stops sending traffic the moment SIGTERM
 * arrives). Anything else is 404. Plain node:http, no dependency.
 */
export class HealthServer {
  private server: Server | undefined;

  constructor(
    private readonly address: HealthAddress,
    private readonly isReady: () => boolean,
    /** Why the process is not live (see `Watchdog.failure()`), or undefined while it is. */
    private readonly failure: () => string | undefined = () => undefined,
  ) {}

  /** Listens; rejects with one line naming the address when it cannot. */
  async listen(): Promise<void> {
    const server = http().createServer((request, response) => {
      const path = (request.url ?? '').split('?')[0];
      const failure = path === '/livez' ? this.failure() : undefined;
      const [status, body] =
        path === '/livez'
          ? failure === undefined
            ? [200, 'ok']
            : [503, `not live: ${failure}`]
          : path === '/readyz'
            ? this.isReady()
              ? [200, 'ready']
              : [503, 'not ready']
            : [404, 'not found'];
      response.writeHead(status, { 'content-type': 'text/plain', 'cache-control': 'no-store' }).end(`${body}\n`);
    });
    // Probes are short: idle probe connections must not hold the daemon's stop.
    server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error) =>
        reject(new FrameworkError(`Cannot serve [health] listen ${this.describe()}: ${describeSystemError(error)}.`)),
      );
      if ('path' in this.address) server.listen(this.address.path, resolve);
      else server.listen(this.address.port, this.address.host, resolve);
    });
    // The health endpoints never keep the process alive by themselves.
    server.unref();
    this.server = server;
  }

  /** Stops listening and ends its connections. */
  close(): void {
    this.server?.close();
    this.server?.closeAllConnections();
    this.server = undefined;
  }

  private describe(): string {
    return 'path' in this.address ? `unix:${this.address.path}` : `${this.address.host}:${this.address.port}`;
  }
}
