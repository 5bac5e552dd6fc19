import { lazy } from './lazy';

/** Only PID 1 needs the signals' numbers. */
const os = lazy<typeof import('node:os')>(require, 'node:os');

/**
 * The only place that ends the process. Everything else returns exit codes;
 * tests replace these functions to observe an exit without dying.
 */
export const processExit = {
  /** Ends the process with an exit code (the clean-ups of {@link onProcessEnd} run on the way). */
  exit(code: number): never {
    process.exit(code);
  },

  /**
   * Ends the process by a signal's default action, so that a shell or a
   * supervisor sees exactly which signal stopped it. The clean-ups of
   * {@link onProcessEnd} run first. As PID 1 (a container without an init),
   * where the kernel ignores a signal the process sends itself, it exits
   * with 128 + the signal's number instead (SIGTERM → 143), what a shell
   * reports for a process a signal ended.
   */
  raise(signal: NodeJS.Signals): void {
    runProcessEndCleanups();
    if (process.pid === 1) {
      const { signals } = os().constants;
      process.exit(128 + (signals[signal] ?? 0));
    }
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  },
};

const cleanups = new Set<() => void>();
let isListening = false;

/**
 * Registers a synchronous clean-up (such as removing a pid file) that runs
 * once however the process ends: normally, by `process.exit()`, or by a
 * signal it raises on itself (which emits no `exit` event). Returns a
 * function that unregisters it.
 */
export function onProcessEnd(cleanup: () => void): () => void {
  cleanups.add(cleanup);
  if (!isListening) {
    isListening = true;
    process.on('exit', runProcessEndCleanups);
  }
  return () => cleanups.delete(cleanup);
}

/** Runs (and unregisters) every clean-up registered with {@link onProcessEnd}; one that throws does not stop the others. */
export function runProcessEndCleanups(): void {
  for (const cleanup of [...cleanups]) {
    cleanups.delete(cleanup);
    try {
      cleanup();
    } catch {
      // the process is ending: the other clean-ups must still run
    }
  }
}
