import { lazy } from '../../core/lazy';
import { HttpDrain } from './http-drain';
import { WORKER_MARKER, mortarMessage, type PrimaryMessage, type WorkerMessage } from './worker-messages';

const cluster = lazy<import('node:cluster').Cluster>(require, 'node:cluster');

/**
 * The worker side of `[daemon] workers`: a process the cluster primary
 * started to run the command. The primary did the daemon's steps (user,
 * directory, umask, pid file) and reports readiness; the worker tells it when
 * it is ready and, when it closes with an error, which one. Told to drain, it
 * answers its in-flight requests, closes its keep-alive connections
 * gracefully (see {@link HttpDrain}) and stops like the app does on SIGTERM.
 */
export class ClusterWorker {
  private readonly http = new HttpDrain();
  private isReady = false;

  private constructor(
    /** The worker's slot, from 1. */
    readonly slot: number,
  ) {}

  /** The worker, when the primary started this process; removes the marker from the environment. */
  static fromEnvironment(env: NodeJS.ProcessEnv = process.env): ClusterWorker | undefined {
    const value = env[WORKER_MARKER];
    if (value === undefined) return undefined;
    delete env[WORKER_MARKER];
    const slot = Number(value);
    // Only a worker of Node's cluster (which loaded node:cluster already) has the channel to the primary.
    if (!Number.isInteger(slot) || slot < 1 || !cluster().isWorker) return undefined;
    return new ClusterWorker(slot);
  }

  /** Starts listening to the primary. */
  start(): void {
    this.http.watch();
    process.on('message', this.onMessage);
  }

  /**
   * The app has closed: the channel to the primary no longer keeps the
   * process alive (a worker whose command ended, even with an error, exits
   * like the single process does, with its exit code).
   */
  close(): void {
    process.removeListener('message', this.onMessage);
    process.channel?.unref();
  }

  private readonly onMessage = (message: unknown): void => {
    if (mortarMessage<PrimaryMessage>(message)?.mortar !== 'drain') return;
    this.http.drain();
    // The app stops as it does on SIGTERM: `signal` hooks, app.signal aborts, close. Node's signal
    // handles do not hold the event loop: without this timer, the primary's `disconnect()` can
    // leave it empty before the signal is handled, and the command would count as never finished.
    const holding = setInterval(() => undefined, 1000);
    process.once('SIGTERM', () => clearInterval(holding));
    process.kill(process.pid, 'SIGTERM');
  };

  /** Tells the primary this worker is ready (once). */
  ready(): void {
    if (this.isReady) return;
    this.isReady = true;
    this.send({ mortar: 'ready' });
  }

  /** Tells the primary the error this worker closes with. */
  failed(message: string): void {
    this.send({ mortar: 'error', message });
  }

  private send(message: WorkerMessage): void {
    try {
      process.send?.(message);
    } catch {
      // the primary is gone: nobody listens any more
    }
  }
}
