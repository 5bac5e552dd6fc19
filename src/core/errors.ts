/**
 * The error hierarchy. Each error knows its own exit code and whether the
 * short usage line belongs beside it, so the edge of `App.main()` can turn any
 * of them into one clear line on stderr without a table of special cases.
 */

/** A failure the user can fix: bad configuration, a refused start, a missing file. Exit code 1. */
export class FrameworkError extends Error {
  /** The process exit code this error maps to. */
  readonly exitCode: number = 1;
  /** Whether the short usage line is printed after the message. */
  readonly showUsage: boolean = false;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The command line is wrong: unknown command or option, missing or invalid value. Exit code 2. */
export class UsageError extends FrameworkError {
  override readonly exitCode: number = 2;
  override readonly showUsage: boolean = true;
  /** The usage line of the level where the error happened, printed after the message. */
  readonly usage?: string;

  constructor(message: string, options?: { cause?: unknown; usage?: string }) {
    super(message, options);
    this.usage = options?.usage;
  }
}

/** Whether an error is one of ours, i.e. carries its own exit code and a user-facing message. */
export function isFrameworkError(error: unknown): error is FrameworkError {
  return error instanceof FrameworkError;
}
