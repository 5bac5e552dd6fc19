import { FrameworkError } from '../core/errors';
import { lazy } from '../core/lazy';
import type { DestOf, NoExtraKeys, ValueOf } from './argument-types';
import type { ArgumentAction, ArgumentOptions, ArgumentSpec, ArgumentType } from './metadata';
import { readFloat, readInteger } from './python-numbers';
import { convertValue } from './values';

/** Suggestions are needed only for a mistake in a declaration. */
const suggestModule = lazy<typeof import('./suggest')>(require, './suggest');

const LONG = /^--[a-zA-Z0-9][a-zA-Z0-9_-]*$/;
const SHORT = /^-[a-zA-Z0-9]$/;
const POSITIONAL = /^[a-zA-Z][a-zA-Z0-9_-]*$/;

const ACTIONS: readonly ArgumentAction[] = [
  'store',
  'store_true',
  'store_false',
  'store_const',
  'append',
  'append_const',
  'extend',
  'count',
  'boolean_optional',
];
/** The code of the errors a mistaken declaration throws. */
const DECLARATION = 'mortar.invalidDeclaration';
/** The actions that read values from the command line. */
const VALUE_ACTIONS: readonly ArgumentAction[] = ['store', 'append', 'extend'];
/** The actions that collect into an array, which a default must then be (argparse appends to it). */
const LIST_ACTIONS: readonly ArgumentAction[] = ['append', 'append_const', 'extend'];
const TYPES: readonly ArgumentType[] = ['string', 'number', 'integer'];
const KEYS: readonly (keyof ArgumentOptions)[] = [
  'action',
  'type',
  'nargs',
  'const',
  'choices',
  'default',
  'required',
  'help',
  'dest',
  'metavar',
];

/**
 * Declares a command-line argument, in the spirit of argparse's `add_argument`:
 * `arg(['-f', '--foo'], { help: 'the notorious foo option' })` for an option,
 * `arg('name')` for a positional argument.
 *
 * The returned spec carries the argument's property name and value type, so a
 * list of them given to `args(...)` types a handler (`ArgsOf<typeof spec>`).
 * Mistakes in the declaration itself (an unknown option key, a bad flag, a
 * `nargs` the action cannot take) are type errors where the checker can see
 * them, and throw a {@link FrameworkError} naming the argument when the
 * declaration is evaluated.
 */
export function arg<
  const Flags extends string | readonly string[],
  const Options extends ArgumentOptions = Record<never, never>,
>(
  flags: Flags,
  options?: Options & NoExtraKeys<Options>,
): ArgumentSpec<DestOf<Flags, Options>, ValueOf<Flags, Options>> {
  const list: string[] = typeof flags === 'string' ? [flags] : [...(flags as readonly string[])];
  const declared: ArgumentOptions = options ?? {};
  const where = `arg(${list.length === 1 ? `'${list[0]}'` : `[${list.map((flag) => `'${flag}'`).join(', ')}]`})`;
  const fail = (problem: string): FrameworkError => new FrameworkError(`${where}: ${problem}`, { code: DECLARATION });
  if (list.length === 0)
    throw new FrameworkError('arg(): at least one flag or a positional name is required', { code: DECLARATION });
  const positional = list.length === 1 && !list[0].startsWith('-');
  for (const flag of list) {
    const valid = positional ? POSITIONAL.test(flag) : LONG.test(flag) || SHORT.test(flag);
    if (!valid) {
      throw fail(
        `invalid flag '${flag}' (use '-x' for a short flag, '--name' for a long one, or a bare name for a positional argument)`,
      );
    }
  }
  checkKeys(declared, fail);

  const action = declared.action ?? 'store';
  if (!ACTIONS.includes(action)) throw fail(`unknown action '${String(action)}' (use ${quoted(ACTIONS)})`);
  if (declared.type !== undefined && !TYPES.includes(declared.type)) {
    throw fail(`unknown type '${String(declared.type)}' (use ${quoted(TYPES)})`);
  }
  const hasValues = VALUE_ACTIONS.includes(action);
  if (positional && action !== 'store') throw fail(`a positional argument only supports action 'store'`);
  if (!hasValues && (declared.type !== undefined || declared.choices !== undefined || declared.nargs !== undefined)) {
    throw fail(`action '${action}' takes no value, so it has no type, choices or nargs`);
  }
  checkNargs(declared, positional, fail);
  if (declared.choices !== undefined) checkChoices(declared.choices, fail);
  for (const key of ['help', 'dest', 'metavar'] as const) {
    const value = declared[key];
    if (value !== undefined && (typeof value !== 'string' || (key !== 'help' && value === ''))) {
      throw fail(`'${key}' must be a${key === 'help' ? '' : ' non-empty'} string`);
    }
  }
  if (declared.required !== undefined && typeof declared.required !== 'boolean')
    throw fail(`'required' must be true or false`);
  if (LIST_ACTIONS.includes(action) && declared.default !== undefined && !Array.isArray(declared.default)) {
    throw fail(
      `action '${action}' adds to its default, so the default must be an array (e.g. default: [${JSON.stringify(declared.default)}])`,
    );
  }
  const negativeFlags = action === 'boolean_optional' ? negationsOf(list, fail) : undefined;

  const type = declared.type ?? 'string';
  const dest = declared.dest ?? destOf(list, positional);
  const spec = {
    flags: Object.freeze(
      negativeFlags ? list.flatMap((flag) => (flag.startsWith('--') ? [flag, `--no-${flag.slice(2)}`] : [flag])) : list,
    ),
    negativeFlags,
    positional,
    action,
    type,
    nargs: declared.nargs,
    const: constOf(declared, action, type, fail),
    dest,
    metavar: declared.metavar ?? (positional ? list[0] : toUpperSnake(dest)),
    choices: declared.choices === undefined ? undefined : Object.freeze([...declared.choices]),
    default: defaultOf(declared, action, type, fail),
    required: requiredOf(declared, positional),
    help: declared.help,
  };
  return Object.freeze(spec) as ArgumentSpec as ArgumentSpec<DestOf<Flags, Options>, ValueOf<Flags, Options>>;
}

function checkKeys(options: ArgumentOptions, fail: (problem: string) => FrameworkError): void {
  if (options === null || typeof options !== 'object' || Array.isArray(options))
    throw fail('the options must be an object');
  for (const key of Object.keys(options)) {
    if ((KEYS as readonly string[]).includes(key)) continue;
    const guess = suggestModule().suggest(key, KEYS);
    throw fail(`unknown option '${key}'${guess ? ` (did you mean '${guess}'?)` : ''}; arg() takes ${quoted(KEYS)}`);
  }
}

function checkNargs(options: ArgumentOptions, positional: boolean, fail: (problem: string) => FrameworkError): void {
  const { nargs } = options;
  if (
    nargs !== undefined &&
    nargs !== '?' &&
    nargs !== '*' &&
    nargs !== '+' &&
    !(Number.isSafeInteger(nargs) && nargs >= 1)
  ) {
    throw fail(`invalid nargs ${JSON.stringify(nargs)} (use '?', '*', '+' or a whole number of at least 1)`);
  }
  if (positional && nargs !== undefined && options.required !== undefined) {
    throw fail(`'required' is fixed by nargs ${JSON.stringify(nargs)} for a positional argument; leave it out`);
  }
  const action = options.action ?? 'store';
  if (action === 'store_const' || action === 'append_const') {
    if (options.const === undefined)
      throw fail(`action '${action}' ${action === 'store_const' ? 'stores' : 'appends'} its 'const', so it needs one`);
  } else if (options.const !== undefined && (positional || nargs !== '?')) {
    throw fail(
      `'const' is the value of an option given without one, so it needs nargs '?' on an option (or action 'store_const' or 'append_const')`,
    );
  }
}

function checkChoices(choices: unknown, fail: (problem: string) => FrameworkError): void {
  const valid =
    Array.isArray(choices) &&
    choices.length > 0 &&
    choices.every((choice) => typeof choice === 'string' || (typeof choice === 'number' && !Number.isNaN(choice)));
  if (!valid) throw fail(`'choices' must be a non-empty list of strings and numbers`);
}

function defaultOf(
  options: ArgumentOptions,
  action: ArgumentAction,
  type: ArgumentType,
  fail: (problem: string) => FrameworkError,
): unknown {
  const value = options.default;
  if (value === undefined) {
    if (action === 'store_true') return false;
    if (action === 'store_false') return true;
    if (action === 'count') return 0;
    return undefined;
  }
  // As argparse does, a string default of a typed single value is read like a typed-in one.
  const isSingle = action === 'store' && (options.nargs === undefined || options.nargs === '?');
  if (typeof value !== 'string' || type === 'string' || !isSingle) return value;
  const number = type === 'integer' ? readInteger(value) : readFloat(value);
  if (number === undefined) throw fail(`default '${value}' is not ${type === 'integer' ? 'an integer' : 'a number'}`);
  return number;
}

/**
 * The `const` of an option: as declared for `store_const` and `append_const`; for a bare `nargs: '?'`
 * option, a string is converted by `type` and checked against `choices`, as argparse does with it.
 */
function constOf(
  options: ArgumentOptions,
  action: ArgumentAction,
  type: ArgumentType,
  fail: (problem: string) => FrameworkError,
): unknown {
  const value = options.const;
  if (value === undefined || action === 'store_const' || action === 'append_const') return value;
  if (typeof value !== 'string') return value;
  const result = convertValue({ type, choices: options.choices }, value);
  if ('value' in result) return result.value;
  throw fail(
    `const ${JSON.stringify(value)} ${result.expected === undefined ? `is not one of the choices (${result.choices})` : `is not ${result.expected}`}`,
  );
}

/** The `--no-x` flag of each long flag of a `boolean_optional` option; at least one is needed. */
function negationsOf(flags: readonly string[], fail: (problem: string) => FrameworkError): readonly string[] {
  const negations = flags.filter((flag) => flag.startsWith('--')).map((flag) => `--no-${flag.slice(2)}`);
  if (negations.length === 0)
    throw fail(`action 'boolean_optional' makes '--no-x' of a long flag '--x', so it needs one`);
  const taken = negations.find((flag) => flags.includes(flag));
  if (taken) throw fail(`flag '${taken}' is made by action 'boolean_optional'; leave it out`);
  return Object.freeze(negations);
}

function requiredOf(options: ArgumentOptions, positional: boolean): boolean {
  if (!positional) return options.required ?? false;
  const { nargs } = options;
  if (nargs === '?' || nargs === '*') return false;
  if (nargs !== undefined) return true;
  return options.required ?? options.default === undefined;
}

function quoted(names: readonly string[]): string {
  return names.map((name) => `'${name}'`).join(', ');
}

function destOf(flags: readonly string[], positional: boolean): string {
  if (positional) return camelCase(flags[0]);
  const long = flags.find((flag) => flag.startsWith('--'));
  return long ? camelCase(long.slice(2)) : flags[0].slice(1);
}

/** `pid-file` and `pid_file` → `pidFile`. */
export function camelCase(name: string): string {
  return name.replace(/[-_]+([a-zA-Z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** `runForever` → `run-forever`; `run_forever` → `run-forever`. */
export function kebabCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/_/g, '-')
    .toLowerCase();
}

/** `pidFile` → `pid_file`: the config key that fills an option. */
export function snakeCase(name: string): string {
  return kebabCase(name).replace(/-/g, '_');
}

function toUpperSnake(name: string): string {
  return snakeCase(name).toUpperCase();
}
