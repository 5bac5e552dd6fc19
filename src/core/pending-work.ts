/**
 * What `main()` is waiting on, by name: the command, a hook, an extension's
 * or a plugin's `load()`. When the event loop empties while one of them is
 * still pending, nothing can ever settle it, and Node would end the process
 * with the exit code it had so far (0): {@link PendingWork.watch} turns that
 * into an error naming the innermost one.
 */
export class PendingWork {
  private readonly waits: string[] = [];
  private onEmptyLoop: (() => void) | undefined;
  private readonly listener = (): void => this.onEmptyLoop?.();

  /**
   * Awaits `work`, known meanwhile as `what` (e.g. `command 'run-forever' never finished`,
   * the start of the error line should it never settle). Resolves or rejects as `work` does.
   * Given a function, calls it once `what` is known, so that work it starts is inner to it.
   */
  async track<T>(what: string, work: PromiseLike<T> | (() => T | PromiseLike<T>)): Promise<Awaited<T>> {
    this.waits.push(what);
    try {
      return await (typeof work === 'function' ? work() : work);
    } finally {
      this.waits.splice(this.waits.lastIndexOf(what), 1);
    }
  }

  /** The innermost work still pending (the last one started), if any. */
  get innermost(): string | undefined {
    return this.waits[this.waits.length - 1];
  }

  /** How many pieces of work are pending; work abandoned after a timeout stays counted. */
  get size(): number {
    return this.waits.length;
  }

  /**
   * Calls `onEmptyLoop` each time the event loop empties (Node's `beforeExit`)
   * until {@link unwatch}: nothing is left that could settle what is pending.
   */
  watch(onEmptyLoop: () => void): void {
    if (!this.onEmptyLoop) process.on('beforeExit', this.listener);
    this.onEmptyLoop = onEmptyLoop;
  }

  unwatch(): void {
    if (this.onEmptyLoop) process.removeListener('beforeExit', this.listener);
    this.onEmptyLoop = undefined;
  }
}
