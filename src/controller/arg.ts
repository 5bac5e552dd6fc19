import type { ArgumentOptions, ArgumentSpec } from './metadata';

const LONG = /^--[a-zA-Z0-9][a-zA-Z0-9_-]*$/;
const SHORT = /^-[a-zA-Z0-9]$/;
const POSITIONAL = /^[a-zA-Z][a-zA-Z0-9_-]*$/;

/**
 * Declares a command-line argument, in the spirit of argparse's `add_argument`:
 * `arg(['-f', '--foo'], { help: 'the notorious foo option' })` for an option,
 * `arg('name')` for a positional argument.
 *
 * Mistakes in the declaration itself throw a `TypeError` at once, when the
 * decorator is evaluated: they are programming errors, not user input.
 */
export function arg(flags: string | readonly string[], options: ArgumentOptions = {}): ArgumentSpec {
  const list = typeof flags === 'string' ? [flags] : [...flags];
  if (list.length === 0) throw new TypeError('arg(): at least one flag or a positional name is required');
  const positional = list.length === 1 && !list[0].startsWith('-');
  for (const flag of list) {
    const valid = positional ? POSITIONAL.test(flag) : LONG.test(flag) || SHORT.test(flag);
    if (!valid) {
      throw new TypeError(
        `arg(): invalid flag '${flag}' (use '-x' for a short flag, '--name' for a long one, or a bare name for a positional argument)`,
      );
    }
  }
  const action = options.action ?? 'store';
  const takesValue = action === 'store' || action === 'append';
  if (positional && action !== 'store') {
    throw new TypeError(`arg(): positional argument '${list[0]}' only supports action 'store'`);
  }
  if (!takesValue && (options.type !== undefined || options.choices !== undefined)) {
    throw new TypeError(`arg(): '${list.join(', ')}' with action '${action}' takes no value, so it has no type or choices`);
  }
  const dest = options.dest ?? destOf(list, positional);
  let fallback = options.default;
  if (fallback === undefined) {
    if (action === 'store_true') fallback = false;
    else if (action === 'store_false') fallback = true;
    else if (action === 'count') fallback = 0;
  }
  return Object.freeze({
    flags: Object.freeze(list),
    positional,
    action,
    type: options.type ?? 'string',
    dest,
    metavar: options.metavar ?? (positional ? list[0] : toUpperSnake(dest)),
    choices: options.choices,
    default: fallback,
    required: options.required ?? (positional && options.default === undefined),
    help: options.help,
  });
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

function toUpperSnake(name: string): string {
  return kebabCase(name).replace(/-/g, '_').toUpperCase();
}
