import type { Config } from '../../core/config';
import { isUnset } from '../../core/config-value';
import { lazy } from '../../core/lazy';

const os = lazy<typeof import('node:os')>(require, 'node:os');

/** The `[daemon]` keys of the workers, with their defaults (docs/workers.md). */
export const WORKER_DEFAULTS: Readonly<Record<string, unknown>> = Object.freeze({
  workers: 1,
  kill_timeout: 10,
  shutdown_delay: 0,
  crash_limit: 5,
  crash_window: 60,
});

/** The `[health]` keys: `listen` empty, so no health endpoints unless asked for. */
export const HEALTH_DEFAULTS: Readonly<Record<string, unknown>> = Object.freeze({ listen: '' });

/** Where `[health] listen` serves `/livez` and `/readyz`. */
export type HealthAddress = { readonly host: string; readonly port: number } | { readonly path: string };

/** The `[daemon]` workers settings and `[health]`, checked. */
export interface WorkerSettings {
  /** How many workers run the command; `1` without `isCluster` is the single process. */
  readonly count: number;
  /** Whether the command runs in workers of Node's `cluster` (`workers = auto`, or 2 and more). */
  readonly isCluster: boolean;
  /** Seconds a stopping worker gets to finish its requests before it is killed. */
  readonly killTimeout: number;
  /** Seconds between readiness going off (on SIGTERM) and the workers being stopped. */
  readonly shutdownDelay: number;
  /** Crashes within `crashWindow` seconds that stop the daemon. */
  readonly crashLimit: number;
  readonly crashWindow: number;
  /** Seconds a new worker gets to report ready (`[daemon] ready_timeout`). */
  readonly readyTimeout: number;
  /** Where the health endpoints are served, when `[health] listen` is set. */
  readonly health?: HealthAddress;
}

/**
 * Reads and checks the workers' keys of `[daemon]` and `[health] listen`; a
 * wrong value is an error naming the key, the value and where it was read.
 */
export function readWorkerSettings(config: Config, availableCores: () => number = coresAvailable): WorkerSettings {
  const written = config.get('daemon', 'workers');
  const isAuto = typeof written === 'string' && written.trim().toLowerCase() === 'auto';
  const count = isAuto ? Math.max(1, availableCores()) : isUnset(written) ? 1 : wholeNumber(config, 'workers');
  if (!(count >= 1 && count <= 1024))
    throw config.invalid('daemon', 'workers', 'expected auto or a whole number from 1 to 1024');
  const seconds = (key: string, fallback: number, least: number): number => {
    const value = config.getNumber('daemon', key, fallback)!;
    if (!(value >= least) || !Number.isFinite(value))
      throw config.invalid('daemon', key, `expected seconds, ${least === 0 ? '0 or more' : 'more than 0'}`);
    return value;
  };
  const crashLimit = config.getInteger('daemon', 'crash_limit', 5)!;
  if (!(crashLimit >= 1)) throw config.invalid('daemon', 'crash_limit', 'expected a whole number, 1 or more');
  const listen = config.get('health', 'listen');
  return {
    count,
    isCluster: isAuto || count > 1,
    killTimeout: seconds('kill_timeout', 10, 0),
    shutdownDelay: seconds('shutdown_delay', 0, 0),
    crashLimit,
    crashWindow: seconds('crash_window', 60, 0.001),
    readyTimeout: config.getNumber('daemon', 'ready_timeout', 30)!,
    health: isUnset(listen) ? undefined : parseHealthAddress(config, listen),
  };
}

/** The key's whole number, or NaN when it is none (so the caller names what it expects). */
function wholeNumber(config: Config, key: string): number {
  try {
    return config.getInteger('daemon', key, NaN);
  } catch {
    return NaN;
  }
}

function parseHealthAddress(config: Config, value: unknown): HealthAddress {
  const expected = 'expected HOST:PORT (such as 127.0.0.1:8081 or [::1]:8081) or unix:PATH';
  if (typeof value !== 'string') throw config.invalid('health', 'listen', expected);
  const text = value.trim();
  if (text.startsWith('unix:')) {
    const path = text.slice('unix:'.length);
    if (!path.startsWith('/')) throw config.invalid('health', 'listen', 'expected an absolute path after unix:');
    return { path };
  }
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(text);
  const port = match ? Number(match[3]) : NaN;
  if (!match || !(port >= 1 && port <= 65535)) throw config.invalid('health', 'listen', expected);
  return { host: match[1] ?? match[2], port };
}

/** The cores this process may use (`workers = auto`): `os.availableParallelism()`. */
function coresAvailable(): number {
  return os().availableParallelism();
}
