/**
 * The environment variable that makes a process started by the cluster
 * primary a worker: it holds the worker's slot number. The worker removes it
 * at start, so that nothing it starts inherits it.
 */
export const WORKER_MARKER = 'MORTAR_WORKER';

/** What a worker tells the primary over the cluster's IPC channel. */
export type WorkerMessage =
  | { readonly mortar: 'ready' }
  /** The error the worker closes with, so the primary can name it (a crash loop, a reload aborted). */
  | { readonly mortar: 'error'; readonly message: string };

/** What the primary tells a worker: stop taking requests, finish those in flight, and end. */
export type PrimaryMessage = { readonly mortar: 'drain' };

/** The message, when it is one of mortar's (the app may send its own over the same channel). */
export function mortarMessage<T extends { readonly mortar: string }>(message: unknown): T | undefined {
  return typeof message === 'object' && message !== null && typeof (message as { mortar?: unknown }).mortar === 'string'
    ? (message as T)
    : undefined;
}
