/**
 * The shape of a command-line option as core knows it: the app's global
 * options (`--help`, `--debug`, `--output` ...) are plain records of this
 * shape, and the controller layer's `ArgumentSpec` (what `arg()` builds)
 * extends it, so the parser takes both alike.
 */

/** How a command-line argument consumes its value. */
export type ArgumentAction =
  | 'store'
  | 'store_true'
  | 'store_false'
  | 'store_const'
  | 'append'
  | 'append_const'
  | 'extend'
  | 'count'
  | 'boolean_optional';

/** How a stored value is converted. */
export type ArgumentType = 'string' | 'number' | 'integer';

/** A command-line option or argument, with its defaults filled in. */
export interface OptionSpec {
  /** Flags as written (`['-f', '--foo']`), or the name of a positional argument (`['name']`). */
  readonly flags: readonly string[];
  /** Whether it is a positional argument (its only flag does not start with `-`). */
  readonly positional: boolean;
  /**
   * What it does with its value, as argparse's actions do: `store` keeps it, `store_true`/`store_false`
   * and `boolean_optional` (`--x`/`--no-x`) are flags, `store_const` stores a constant, `append`,
   * `append_const` and `extend` collect, `count` counts.
   */
  readonly action: ArgumentAction;
  /** How a value is converted: `string`, `number` or `integer`. */
  readonly type: ArgumentType;
  /** The property of the parsed arguments (`app.pargs`) it fills. */
  readonly dest: string;
  /** The placeholder for its value in help (`FOO`). */
  readonly metavar: string;
  /** The accepted values, if only some are. */
  readonly choices?: readonly (string | number)[];
  /** Its value when it is not given. */
  readonly default?: unknown;
  /** Whether it must be given. */
  readonly required: boolean;
  /** One line of help text. */
  readonly help?: string;
}

/**
 * A global option of the app's own: a flag (`store_true`) or, with
 * `metavar`, an option taking one string value. Its dest is the long flag's name.
 */
export function globalOption(
  flags: readonly string[],
  help: string,
  value?: { readonly metavar: string; readonly choices?: readonly string[]; readonly default?: string },
): OptionSpec {
  const long = flags.find((flag) => flag.startsWith('--')) ?? flags[0];
  return Object.freeze({
    flags: Object.freeze([...flags]),
    positional: false,
    action: value ? 'store' : 'store_true',
    type: 'string',
    dest: long.replace(/^-+/, '').replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase()),
    metavar: value?.metavar ?? long.replace(/^-+/, '').toUpperCase(),
    choices: value?.choices,
    default: value ? value.default : false,
    required: false,
    help,
  });
}
