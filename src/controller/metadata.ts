/**
 * Every metadata key and record the controller decorators write. Decorators
 * only store plain records here; `registry.ts` reads them and builds the
 * command tree, so there is exactly one place that knows both sides.
 */

import type { ArgumentAction, ArgumentType, OptionSpec } from '../core/option-spec';
import type { Template } from '../core/output-handler';

export type { ArgumentAction, ArgumentType };

/**
 * How many values an argument takes, as in argparse: `'?'` zero or one,
 * `'*'` any number, `'+'` at least one, a number exactly that many.
 */
export type Nargs = '?' | '*' | '+' | number;

/** Options of {@link arg}. Any other key is an error, in the type checker and at run time. */
export interface ArgumentOptions {
  /**
   * What the argument does, as argparse's action of the same name: `store` keeps the value
   * (default); `store_true` / `store_false` are flags; `store_const` stores `const`; `append`
   * adds each occurrence's value to an array (after the default's items), `append_const` adds
   * `const`, `extend` adds each of an occurrence's values; `count` counts repetitions (`-vvv`
   * gives 3); `boolean_optional` (argparse's `BooleanOptionalAction`) makes a `--no-x` flag of
   * each long flag `--x`: `--x` gives true, `--no-x` false, neither the default (`undefined`
   * unless given). Positional arguments only `store`.
   */
  action?: ArgumentAction;
  /**
   * How each value is converted: `string` (default), `number` (as Python's `float()` reads it:
   * `1.5`, `1e3`, `5_000`, `inf`, `nan`) or `integer` (as Python's `int()`: `42`, `-7`, `5_000`).
   * Only for `store`, `append` and `extend`.
   */
  type?: ArgumentType;
  /**
   * How many values the argument takes: `'?'`, `'*'`, `'+'` or a number of at least 1. Default: one
   * value, kept as it is; with `'*'`, `'+'` or a number the values come as an array (with `append`,
   * an array per occurrence; `extend` adds each value). An option with `'?'` given without a value
   * takes `const`. Only for `store`, `append` and `extend`.
   */
  nargs?: Nargs;
  /**
   * What `store_const` stores and `append_const` adds (required by both); or the value of an option
   * with `nargs: '?'` given without a value, a string then converted by `type` and checked against
   * `choices` as argparse does (`const: '42'` of an `integer` option gives 42). Default: `undefined`.
   */
  const?: unknown;
  /** The accepted values; anything else is a usage error naming the argument. Default: any value. */
  choices?: readonly (string | number)[];
  /**
   * The value when the argument is not given (and no config value fills it). A string default of
   * a `number` or `integer` argument is converted like a typed-in value. Default: `undefined`;
   * `false` for `store_true`, `true` for `store_false`, `0` for `count`, `[]` for `append`,
   * `append_const`, `extend` and a positional with `nargs: '*'`. For `append`, `append_const` and
   * `extend` it must be an array, which the values given are added to, as argparse does.
   */
  default?: unknown;
  /**
   * Whether the argument must be given. Default: false for options; for a positional, true unless
   * it has a `default` (then it may be left out), and fixed by `nargs` when that is given.
   */
  required?: boolean;
  /** One line of help text. Default: none. */
  help?: string;
  /**
   * The property name in the parsed arguments, and (in snake_case) the config key that fills the
   * option. Default: the first long flag in camelCase (`--pid-file` → `pidFile`), else the short
   * flag's letter, else the positional's name in camelCase.
   */
  dest?: string;
  /** The placeholder shown in help for the value. Default: the dest in upper snake case (`FOO`), or a positional's name. */
  metavar?: string;
}

/**
 * Type-level only: the value an argument gives the command, so that `ArgsOf` can
 * infer a handler's parameter from the declarations. Never present at run time.
 */
declare const ARGUMENT_VALUE: unique symbol;

/**
 * An argument as declared by {@link arg}, with its defaults filled in: the
 * option shape core knows (`OptionSpec`: flags, action, type, dest, metavar,
 * choices, default, required, help), plus `nargs` and `const`. `Dest` and
 * `Value` are the property it fills and its type, inferred from the declaration.
 */
export interface ArgumentSpec<Dest extends string = string, Value = unknown> extends OptionSpec {
  /** As declared; `undefined` means one value, kept as it is. */
  readonly nargs?: Nargs;
  /** What `store_const`/`append_const` store, or the value of an option with `nargs: '?'` given without a value. */
  readonly const?: unknown;
  /** The `--no-x` flags of a `boolean_optional` option (also in `flags`), which give false. */
  readonly negativeFlags?: readonly string[];
  readonly dest: Dest;
  readonly [ARGUMENT_VALUE]?: () => Value;
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
  /**
   * Arguments that belong to this controller's level (`myapp --foo x cmd`); their options are
   * filled from the config section named after the label when not given. Positional arguments
   * here come before the command name and must take a fixed number of values. Default: none.
   */
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
  /**
   * Arguments of this command only (a list of `arg()`s, or `args(...)` for a typed handler);
   * its options are filled from the config section of the controller that declares the method
   * when not given. Default: none.
   */
  arguments?: readonly ArgumentSpec[];
  /**
   * The template the method's returned data is rendered with (see
   * `app.render()`): for the `text` handler, a function from the data to the
   * text, e.g. a custom layout, while `--output json` still prints the data. Default: none.
   */
  template?: Template<never>;
}

/** What `@Expose` records for one method. */
export interface ExposeRecord extends ExposeOptions {
  readonly method: string;
}

/**
 * What `@Expose` keeps on a class: each method's name followed by its options, in the order the
 * decorators ran. The registry makes {@link ExposeRecord}s of them for the levels it reads, so a
 * declaration costs no object of its own at start.
 */
export type ExposeList = (string | ExposeOptions)[];

/** Metadata keys. Method records live on the constructor, keyed by method name. */
export const CONTROLLER_KEY = Symbol.for('mortar:controller');
export const EXPOSE_KEY = Symbol.for('mortar:expose');
