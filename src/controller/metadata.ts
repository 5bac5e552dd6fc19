/**
 * Every metadata key and record the controller decorators write. Decorators
 * only store plain records here; `registry.ts` reads them and builds the
 * command tree, so there is exactly one place that knows both sides.
 */

/** How a command-line argument consumes its value. */
export type ArgumentAction = 'store' | 'store_true' | 'store_false' | 'append' | 'count';

/** How a stored value is converted. */
export type ArgumentType = 'string' | 'number' | 'integer';

/** Options of {@link arg}. */
export interface ArgumentOptions {
  /**
   * What the argument does: `store` keeps the value (default), `store_true` /
   * `store_false` are flags, `append` collects every value in an array,
   * `count` counts repetitions (`-vvv` gives 3).
   */
  action?: ArgumentAction;
  /** How the value is converted: `string` (default), `number` or `integer`. Only for `store` and `append`. */
  type?: ArgumentType;
  /** The accepted values; anything else is a usage error naming the option. */
  choices?: readonly (string | number)[];
  /** The value when the argument is not given. Default: `undefined`, `false` for `store_true`, `true` for `store_false`, `0` for `count`, `[]` for `append`. */
  default?: unknown;
  /** Whether the argument must be given. Positional arguments are required unless they have a default. */
  required?: boolean;
  /** One line of help text. */
  help?: string;
  /** The property name in the parsed arguments. Default: the first long flag in camelCase (`--pid-file` → `pidFile`), else the short flag's letter, else the positional's name. */
  dest?: string;
  /** The placeholder shown in help for the value. Default: the dest in upper snake case (`FOO`). */
  metavar?: string;
}

/** An argument as declared by {@link arg}, with its defaults filled in. */
export interface ArgumentSpec {
  /** Flags as written (`['-f', '--foo']`), or the name of a positional argument (`['name']`). */
  readonly flags: readonly string[];
  /** Whether it is a positional argument (its only flag does not start with `-`). */
  readonly positional: boolean;
  readonly action: ArgumentAction;
  readonly type: ArgumentType;
  readonly dest: string;
  readonly metavar: string;
  readonly choices?: readonly (string | number)[];
  readonly default?: unknown;
  readonly required: boolean;
  readonly help?: string;
}

/** Options of `@Controller()`. */
export interface ControllerOptions {
  /** The controller's name: the base controller is `base`; a nested one is invoked by this label. Default: the class name in kebab case without a `Controller` suffix. */
  label?: string;
  /** Shown under the usage line of this controller's help. */
  description?: string;
  /** One line shown next to a nested controller in its parent's command list. Default: the first line of `description`. */
  help?: string;
  /** Other names a nested controller answers to. */
  aliases?: readonly string[];
  /** Arguments that belong to this controller's level (`myapp --foo x cmd`). */
  arguments?: readonly ArgumentSpec[];
  /** The label of the controller this one stacks on. Default: `'base'` (ignored for the base controller itself). */
  stackedOn?: string;
  /** `'embedded'` adds this controller's commands to its parent; `'nested'` (default) makes `myapp <label> <command>`. */
  stackedType?: 'embedded' | 'nested';
  /** Config defaults merged into the section named after the label, without overriding what is already there. */
  configDefaults?: Readonly<Record<string, unknown>>;
  /** Whether a nested controller is left out of help and suggestions (it still runs). */
  hide?: boolean;
}

/** Options of `@Expose()`. */
export interface ExposeOptions {
  /** The command's name. Default: the method name in kebab case (`runForever` → `run-forever`). */
  label?: string;
  /** One line of help shown in the command list. */
  help?: string;
  /** Other names the command answers to. */
  aliases?: readonly string[];
  /** Whether the command is left out of help and suggestions (it still runs). */
  hide?: boolean;
  /** Arguments of this command only. */
  arguments?: readonly ArgumentSpec[];
}

/** What `@Expose` records for one method. */
export interface ExposeRecord extends ExposeOptions {
  readonly method: string;
}

/** Metadata keys. Method records live on the constructor, keyed by method name. */
export const CONTROLLER_KEY = Symbol.for('mortar:controller');
export const EXPOSE_KEY = Symbol.for('mortar:expose');
/** Extensions attach per-method records (e.g. `@Daemonize`) under their own keys in this map. */
export const METHOD_EXTRAS_KEY = Symbol.for('mortar:method-extras');

export type MethodExtras = Map<string, Map<symbol, unknown>>;
