/**
 * The error hierarchy. Each error knows its own exit code and whether the
 * short usage line belongs beside it, so the edge of `App.main()` can turn any
 * of them into one clear line on stderr without a table of special cases.
 */

/** Options of the {@link FrameworkError} and {@link UsageError} constructors. */
export interface FrameworkErrorOptions {
  /** The error that caused this one. Default: none. */
  cause?: unknown;
  /**
   * A stable name of what went wrong, for programs to test instead of the message (which may be
   * reworded): `mortar.error` by default, `mortar.usage` for a {@link UsageError}; the command
   * line's errors name their kind (`mortar.unknownCommand`, `mortar.unknownOption`,
   * `mortar.invalidValue`, `mortar.missingArgument`, `mortar.unexpectedArgument`,
   * `mortar.ambiguousOption`), a config value an option cannot take is `mortar.invalidConfigValue`,
   * a mistake in a declaration (`arg()`, `@Controller`, `@Expose`) `mortar.invalidDeclaration`, a
   * controller that cannot be built `mortar.cannotInject`, and a command that returned a number
   * that is no exit code `mortar.invalidExitCode`.
   */
  code?: string;
}

/** A failure the user can fix: bad configuration, a refused start, a missing file. Exit code 1. */
export class FrameworkError extends Error {
  /** The process exit code this error maps to. */
  readonly exitCode: number = 1;
  /** Whether the short usage line is printed after the message. */
  readonly showUsage: boolean = false;
  /** A stable name of what went wrong (see {@link FrameworkErrorOptions.code}). */
  readonly code: string;

  constructor(message: string, options?: FrameworkErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = options?.code ?? 'mortar.error';
  }
}

/** The command line is wrong: unknown command or option, missing or invalid value. Exit code 2. */
export class UsageError extends FrameworkError {
  override readonly exitCode: number = 2;
  override readonly showUsage: boolean = true;
  /** The usage line of the level where the error happened, printed after the message. */
  readonly usage?: string;

  constructor(message: string, options?: FrameworkErrorOptions & { usage?: string }) {
    super(message, { ...options, code: options?.code ?? 'mortar.usage' });
    this.usage = options?.usage;
  }
}

/** Whether an error is one of ours, i.e. carries its own exit code and a user-facing message. */
export function isFrameworkError(error: unknown): error is FrameworkError {
  return error instanceof FrameworkError;
}
