import type { Server, ServerResponse } from 'node:http';
import { lazy } from '../../core/lazy';

const diagnosticsChannel = lazy<typeof import('node:diagnostics_channel')>(require, 'node:diagnostics_channel');

interface RequestStart {
  readonly response: ServerResponse;
  readonly server: Server;
}

/**
 * Lets a draining worker end its HTTP keep-alive connections without a
 * client ever seeing a reset. Closing an idle keep-alive connection races
 * with a client that is sending its next request on it at that moment (the
 * request meets a closed socket: ECONNRESET), which is what an
 * `http.Server.close()` does to idle connections. So, once draining: every
 * response carries `Connection: close` (the client opens its next connection,
 * which the primary routes to another worker) and the servers that have
 * answered requests leave their idle connections to their keep-alive timeout
 * instead of cutting them. Servers are learnt from Node's diagnostics
 * channel `http.server.request.start`, so no application code changes.
 */
export class HttpDrain {
  private readonly servers = new Set<Server>();
  private isDraining = false;
  private readonly onRequest = (message: unknown): void => {
    const { response, server } = message as RequestStart;
    if (!this.servers.has(server)) this.servers.add(server);
    if (this.isDraining) response.shouldKeepAlive = false;
  };

  /** Starts watching the HTTP servers of this process. */
  watch(): void {
    diagnosticsChannel().subscribe('http.server.request.start', this.onRequest);
  }

  /** From now on, every response closes its connection, and idle connections are left to end by themselves. */
  drain(): void {
    this.isDraining = true;
    for (const server of this.servers) {
      server.closeIdleConnections = () => undefined;
      // A connection left idle ends within the keep-alive timeout; a lower one would only race more often.
    }
  }
}
