/**
 * Reads one command-line word at a time as argparse does: is it an option (and
 * which values follow it), a value, or the `--` that ends options?
 *
 * A word is an option when it starts with `-` and is a known flag, a known flag
 * followed by `=value` (`--foo=x`, `-f=x`), or a known short flag with more
 * attached (`-fx`, `-vC`); `-` alone, a word with a space in it, and a negative
 * number (`-5`, `-.5`, unless some flag looks like one) are values; anything
 * else starting with `-` is an unknown option. Long options are never
 * abbreviated (`--verb` is not `--verbose`): an abbreviation that works today
 * breaks the day an option with the same start is added.
 */
import type { ArgumentSpec } from './metadata';
import { isNegativeNumber } from './python-numbers';
import { takesValue, valueCount } from './values';

/** How to tell options from values: the flags known at this point. */
export interface ScanRules {
  /** The argument a flag (written exactly, `--foo` or `-f`) belongs to. */
  lookup(flag: string): ArgumentSpec | undefined;
  /** Whether words like `-5` are options (some flag looks like a negative number). */
  readonly negativeNumbersAreOptions: boolean;
}

/** One occurrence of an option, with the values it took. */
export interface OptionUse {
  readonly spec: ArgumentSpec;
  /** The flag as written (`-f`, `--foo`). */
  readonly flag: string;
  /** The argv index of the word that held the flag. */
  readonly index: number;
  readonly values: readonly string[];
  /** The argv indices the values were read from (the flag's own index for an attached value). */
  readonly valueIndices: readonly number[];
}

/** What the word at an index turned out to be; `next` is the index of the word after everything it took. */
export type Step =
  | { readonly kind: 'operand'; readonly index: number; readonly next: number }
  | { readonly kind: 'terminator'; readonly index: number; readonly next: number }
  | { readonly kind: 'options'; readonly uses: readonly OptionUse[]; readonly next: number }
  | {
      readonly kind: 'unknown';
      readonly index: number;
      readonly flag: string;
      readonly uses: readonly OptionUse[];
      readonly next: number;
    }
  | { readonly kind: 'invalid'; readonly index: number; readonly message: string; readonly next: number };

/** Reads the word at `index` (and the values an option takes from the words after it). */
export function scanStep(argv: readonly string[], index: number, rules: ScanRules): Step {
  const word = argv[index];
  if (word === '--') return { kind: 'terminator', index, next: index + 1 };
  if (isOperand(word, rules)) return { kind: 'operand', index, next: index + 1 };

  const exact = rules.lookup(word);
  if (exact) return readValues(argv, index, { spec: exact, flag: word }, rules, []);
  const equals = word.indexOf('=');
  if (equals > 0) {
    const flag = word.slice(0, equals);
    const spec = rules.lookup(flag);
    if (spec) return withAttached(argv, index, spec, flag, word.slice(equals + 1), true, rules, []);
  }
  if (!word.startsWith('--')) {
    const spec = rules.lookup(word.slice(0, 2));
    if (spec) return withAttached(argv, index, spec, word.slice(0, 2), word.slice(2), false, rules, []);
  }
  const flag = equals > 0 ? word.slice(0, equals) : word.startsWith('--') ? word : word.slice(0, 2);
  return { kind: 'unknown', index, flag, uses: [], next: index + 1 };
}

/** Whether a word is a value (or a positional argument) rather than an option or `--`. */
export function isOperand(word: string, rules: ScanRules): boolean {
  if (!word.startsWith('-') || word === '-') return true;
  if (word === '--' || rules.lookup(word)) return false;
  const equals = word.indexOf('=');
  if (equals > 0 && rules.lookup(word.slice(0, equals))) return false;
  if (!word.startsWith('--') && rules.lookup(word.slice(0, 2))) return false;
  if (isNegativeNumber(word)) return !rules.negativeNumbersAreOptions;
  return word.includes(' ');
}

/** An option with text attached to its word: `--foo=x`, `-f=x`, `-fx`, or a cluster of short flags `-vCfx`. */
function withAttached(
  argv: readonly string[],
  index: number,
  spec: ArgumentSpec,
  flag: string,
  attached: string,
  isAfterEquals: boolean,
  rules: ScanRules,
  before: OptionUse[],
): Step {
  if (takesValue(spec)) {
    const { min } = valueCount(spec);
    if (min > 1) return invalid(index, spec, `expects ${min} values`);
    return {
      kind: 'options',
      uses: [...before, { spec, flag, index, values: [attached], valueIndices: [index] }],
      next: index + 1,
    };
  }
  if (isAfterEquals) return invalid(index, spec, 'takes no value');
  const uses = [...before, { spec, flag, index, values: [], valueIndices: [] }];
  // A cluster: the rest of the word is more short flags (`-vC`), the last of which may take the rest as its value.
  const next = `-${attached[0]}`;
  const nextSpec = rules.lookup(next);
  if (!nextSpec) return { kind: 'unknown', index, flag: next, uses, next: index + 1 };
  const rest = attached.slice(1);
  if (rest === '') return readValues(argv, index, { spec: nextSpec, flag: next }, rules, uses);
  // `-Cf=x` gives x, as `-f=x` does.
  const value = takesValue(nextSpec) && rest.startsWith('=') ? rest.slice(1) : rest;
  return withAttached(argv, index, nextSpec, next, value, false, rules, uses);
}

/** An option written alone: it takes as many of the following values as its nargs allows. */
function readValues(
  argv: readonly string[],
  index: number,
  option: { spec: ArgumentSpec; flag: string },
  rules: ScanRules,
  before: OptionUse[],
): Step {
  const { spec, flag } = option;
  if (!takesValue(spec))
    return { kind: 'options', uses: [...before, { spec, flag, index, values: [], valueIndices: [] }], next: index + 1 };
  const { min, max } = valueCount(spec);
  let available = 0;
  while (available < max && index + 1 + available < argv.length && isOperand(argv[index + 1 + available], rules))
    available++;
  if (available < min) {
    const following = argv[index + 1 + available];
    return invalid(index, spec, missingValues(spec, min), following, flag);
  }
  const valueIndices = Array.from({ length: available }, (_, offset) => index + 1 + offset);
  const use = { spec, flag, index, values: valueIndices.map((at) => argv[at]), valueIndices };
  return { kind: 'options', uses: [...before, use], next: index + 1 + available };
}

function missingValues(spec: ArgumentSpec, min: number): string {
  if (spec.nargs === '+') return 'expects at least one value';
  return min === 1 ? 'expects a value' : `expects ${min} values`;
}

/**
 * An option that cannot take what follows it. When the word that follows starts
 * with `-`, the message says how to pass it as the value anyway.
 */
function invalid(index: number, spec: ArgumentSpec, problem: string, following?: string, flag?: string): Step {
  const name = optionName(spec);
  let message = `option '${name}' ${problem}`;
  if (
    following !== undefined &&
    following !== '--' &&
    following.length > 1 &&
    following.startsWith('-') &&
    spec.nargs === undefined
  ) {
    const written = name.startsWith('--') ? `${name}=${following}` : `${flag ?? name}${following}`;
    message += ` (to pass '${following}' as its value, write '${written}')`;
  }
  return { kind: 'invalid', index, message, next: index + 1 };
}

/** The name errors use for an option: its longest flag. */
export function optionName(spec: ArgumentSpec): string {
  return spec.flags.reduce((longest, flag) => (flag.length > longest.length ? flag : longest));
}
