/**
 * The only place that ends the process. Everything else returns exit codes;
 * tests replace these functions to observe an exit without dying.
 */
export const processExit = {
  /** Ends the process with an exit code. */
  exit(code: number): never {
    process.exit(code);
  },

  /**
   * Ends the process by a signal's default action, so that a shell or a
   * supervisor sees exactly which signal stopped it.
   */
  raise(signal: NodeJS.Signals): void {
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  },
};
