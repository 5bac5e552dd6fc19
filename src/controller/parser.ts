/**
 * Turns argv into the controller path, the command and its arguments, with
 * argparse's rules for reading each word (see `scanner.ts`).
 *
 * Options are accepted anywhere on the line, but which options exist depends
 * on the command, so parsing takes two passes. The first, routing
 * (`router.ts`), finds the nested controllers and the command the words name.
 * The second, here, reads the whole line strictly with every option of the
 * path, the command and the globals, then binds the values: options, each
 * level's positional arguments (written before its command name), the
 * command's positional arguments (shared out greedily, left to right, as
 * argparse does), then what the config gives for options not on the line.
 */
import { quote } from '../core/config-value';
import { FrameworkError, UsageError } from '../core/errors';
import { lazy } from '../core/lazy';
import type { ArgumentSpec } from './metadata';
import { OptionTable } from './option-table';
import { commandsOf, formatUsage, isNamed, suggest, unknownOptionMessage, walk, type Fail, type Walk } from './router';
import { optionName, scanStep, type OptionUse, type ScanRules } from './scanner';
import type { CommandNode, ControllerNode, ParsedCommandLine } from './tree';
import { convertValue, isList, valueCount } from './values';

/** Reading an option from the config is needed only when the config holds one. */
const optionFromConfigModule = lazy<typeof import('./option-from-config')>(require, './option-from-config');

/** A value the config holds for an option, and where it came from. */
export interface ConfigValue {
  /** As the config holds it: text from a file or the environment, or any value from code defaults. */
  readonly value: unknown;
  /** `[section] key`, for messages. */
  readonly name: string;
  /** Where the value was set (a file, an environment variable, code), for messages; only called on error. */
  readonly origin: () => string;
}

/** Options of {@link parseCommandLine}. */
export interface ParseOptions {
  /**
   * The config value, if any, for an option not given on the line, looked up in
   * `section` (the section of the controller that declares the option). Default: none.
   */
  readonly configValue?: (spec: ArgumentSpec, section: string) => ConfigValue | undefined;
}

/**
 * Parses `argv` against the tree under `root` and the global arguments.
 *
 * Every mistake on the command line is a `UsageError` with one line of message
 * and the usage line of the level or command where it happened; a config value
 * an option cannot take is a `FrameworkError` naming the section, key and origin.
 * When help is asked for (`dest` `help` is given), missing required arguments
 * are not an error, so the caller can show the help of the level or command reached.
 */
export function parseCommandLine(
  root: ControllerNode,
  argv: readonly string[],
  globals: readonly ArgumentSpec[],
  prog: string,
  options: ParseOptions = {},
): ParsedCommandLine {
  const walked = walk(root, argv, globals, prog);
  const { path, command } = walked;
  const fail: Fail = (message, mistake) =>
    new UsageError(message, { usage: formatUsage(prog, path, command, globals), code: `mortar.${mistake}` });

  const declared = [...globals, ...path.flatMap((node) => node.arguments), ...(command?.arguments ?? [])];
  const table = new OptionTable(declared);
  const { uses, operands } = readStrictly(argv, table, walked, fail);

  const pargs: Record<string, unknown> = {};
  const given = new Set<string>();
  const levelPositionals = path.flatMap((node) => node.arguments.filter((spec) => spec.positional));
  const commandPositionals = command?.arguments.filter((spec) => spec.positional) ?? [];
  for (const spec of [...declared.filter((spec) => !spec.positional), ...levelPositionals, ...commandPositionals]) {
    if (!Object.hasOwn(pargs, spec.dest)) pargs[spec.dest] = initialValue(spec);
  }
  for (const use of uses) {
    pargs[use.spec.dest] = nextValue(use, pargs[use.spec.dest], fail);
    given.add(use.spec.dest);
  }

  const isHelpRequested = given.has('help') && Boolean(pargs.help);
  for (const node of path) {
    const words = [...walked.levelOperands].filter(([, level]) => level === node).map(([index]) => argv[index]);
    assignPositionals(
      node.arguments.filter((spec) => spec.positional),
      words,
      pargs,
      given,
      fail,
    );
  }
  const rest = operands.filter((index) => !walked.pathIndices.has(index) && !walked.levelOperands.has(index));
  const early = walked.commandIndex === undefined ? undefined : rest.find((index) => index < walked.commandIndex!);
  if (early !== undefined) throw fail(`unexpected argument '${argv[early]}'`, 'unexpectedArgument');
  assignPositionals(
    commandPositionals,
    rest.map((index) => argv[index]),
    pargs,
    given,
    fail,
  );

  const configured = new Map<string, unknown>();
  if (options.configValue) {
    const lookup = options.configValue;
    for (const [spec, section] of configurableOptions(path, command, globals)) {
      if (configured.has(spec.dest) || (given.has(spec.dest) && !isHelpRequested)) continue;
      const found = lookup(spec, section);
      if (found === undefined) continue;
      const value = configuredValue(spec, found);
      if (value === undefined) continue;
      configured.set(spec.dest, value);
      if (!given.has(spec.dest)) pargs[spec.dest] = value;
    }
  }

  // Without a command (help is shown) or with --help, nothing is missing yet.
  if (command && !isHelpRequested) {
    const all = [...declared.filter((spec) => !spec.positional), ...levelPositionals, ...commandPositionals];
    const missing = all.find((spec) => spec.required && !given.has(spec.dest) && !configured.has(spec.dest));
    if (missing) {
      throw fail(
        missing.positional
          ? `missing required argument '${missing.flags[0]}'`
          : `missing required option '${optionName(missing)}'`,
        'missingArgument',
      );
    }
  }
  return { path, command, pargs, given, configured };
}

/** The second pass: every word read with every option of the path, the command and the globals. */
function readStrictly(
  argv: readonly string[],
  table: OptionTable,
  walked: Walk,
  fail: Fail,
): { uses: OptionUse[]; operands: number[] } {
  const rules: ScanRules = {
    lookup: (flag) => table.get(flag),
    negativeNumbersAreOptions: table.hasNegativeNumberFlags,
  };
  const uses: OptionUse[] = [];
  const operands: number[] = [];
  let index = 0;
  while (index < argv.length) {
    const step = scanStep(argv, index, rules);
    index = step.next;
    if (step.kind === 'terminator') {
      for (; index < argv.length; index++) operands.push(index);
    } else if (step.kind === 'operand') {
      operands.push(step.index);
    } else if (step.kind === 'options') {
      uses.push(...step.uses);
    } else if (step.kind === 'invalid') {
      throw fail(step.message, 'invalidValue');
    } else {
      const message = unknownOption(step.flag, step.index, table, walked);
      throw fail(message, message.startsWith('unknown option') ? 'unknownOption' : 'invalidValue');
    }
  }
  for (const index of [...walked.pathIndices, ...walked.levelOperands.keys()]) {
    if (operands.includes(index)) continue;
    // An option that only the final path knows takes a value, and swallowed a command name.
    const swallower = uses.find((use) => use.valueIndices.includes(index) && use.index !== index);
    throw fail(
      swallower ? `option '${optionName(swallower.spec)}' expects a value` : `unexpected argument '${argv[index]}'`,
      swallower ? 'invalidValue' : 'unexpectedArgument',
    );
  }
  return { uses, operands };
}

function unknownOption(flag: string, index: number, table: OptionTable, walked: Walk): string {
  // Read ahead as an option of a command below, it took that command's name as its value: the value is what is missing.
  const ahead = walked.lookaheads.find(({ use }) => use.index === index);
  if (
    ahead &&
    ahead.use.values.some(
      (value) =>
        commandsOf(ahead.level).some((node) => isNamed(node, value)) ||
        ahead.level.children.some((node) => isNamed(node, value)),
    )
  ) {
    return `option '${optionName(ahead.use.spec)}' expects a value`;
  }
  return unknownOptionMessage(flag, table);
}

/**
 * Shares the words out among positional arguments as argparse does: left to
 * right, each taking as many as it can while leaving the later ones their
 * minimum. Too many words is an error; too few is left to the required check.
 */
function assignPositionals(
  specs: readonly ArgumentSpec[],
  words: readonly string[],
  pargs: Record<string, unknown>,
  given: Set<string>,
  fail: Fail,
): void {
  const counts = specs.map(valueCount);
  let next = 0;
  counts.forEach(({ min, max }, position) => {
    const laterMinimum = counts.slice(position + 1).reduce((sum, count) => sum + count.min, 0);
    const remaining = words.length - next;
    const take = Math.min(remaining, Math.max(min, Math.min(max, remaining - laterMinimum)));
    const spec = specs[position];
    const taken = words.slice(next, next + take);
    next += take;
    // Too few words leave the argument missing (the required check names it); none leave its default.
    if (take === 0 || take < min) return;
    const values = taken.map((word) => convertArgument(spec, word, fail));
    pargs[spec.dest] = isList(spec) ? values : values[0];
    given.add(spec.dest);
  });
  if (next < words.length) throw fail(`unexpected argument '${words[next]}'`, 'unexpectedArgument');
}

function initialValue(spec: ArgumentSpec): unknown {
  if (spec.action === 'append' || spec.action === 'append_const' || spec.action === 'extend') {
    return Array.isArray(spec.default) ? [...(spec.default as unknown[])] : (spec.default ?? []);
  }
  if (spec.positional && spec.nargs === '*' && spec.default === undefined) return [];
  return spec.default;
}

/** The value of an option after one more occurrence on the line; what collects adds to the default's items, as argparse does. */
function nextValue(use: OptionUse, current: unknown, fail: Fail): unknown {
  const { spec } = use;
  const items = Array.isArray(current) ? current : [];
  switch (spec.action) {
    case 'store_true':
      return true;
    case 'store_false':
      return false;
    case 'boolean_optional':
      return !spec.negativeFlags?.includes(use.flag);
    case 'store_const':
      return spec.const;
    case 'count':
      return (typeof current === 'number' ? current : 0) + 1;
    case 'append':
      return [...items, occurrence(use, fail)];
    case 'append_const':
      return [...items, spec.const];
    case 'extend':
      return [...items, ...use.values.map((value) => convertArgument(spec, value, fail))];
    case 'store':
      return occurrence(use, fail);
  }
}

/** One occurrence's value: one value, `const` for a bare `nargs: '?'`, or an array. */
function occurrence(use: OptionUse, fail: Fail): unknown {
  const { spec, values } = use;
  const converted = values.map((value) => convertArgument(spec, value, fail));
  if (isList(spec)) return converted;
  if (converted.length === 0) return spec.const;
  return converted[0];
}

/** Applies the argument's type and choices to one value as written on the command line. */
function convertArgument(spec: ArgumentSpec, text: string, fail: Fail): string | number {
  const result = convertValue(spec, text);
  if ('value' in result) return result.value;
  const what = spec.positional ? `argument '${spec.flags[0]}'` : `option '${optionName(spec)}'`;
  if (result.choices !== undefined) {
    // A number is never a typo of another: '5' does not mean '3'.
    const guess =
      spec.type === 'string' && Number.isNaN(Number(text))
        ? suggest(text, (spec.choices ?? []).map(String))
        : undefined;
    throw fail(
      `invalid value '${text}' for ${what} (choose from ${result.choices}${guess ? `; did you mean '${guess}'?` : ''})`,
      'invalidValue',
    );
  }
  throw fail(`${what} expects ${result.expected}, got '${text}'`, 'invalidValue');
}

/**
 * The options the config may fill, with the section of the controller that declares each (not the
 * global ones): the key is the dest in snake_case there, both for reading a value the line did not
 * give and for writing back one it did.
 */
export function configurableOptions(
  path: readonly ControllerNode[],
  command: CommandNode | undefined,
  globals: readonly ArgumentSpec[],
): [ArgumentSpec, string][] {
  const isGlobal = new Set(globals);
  const entries: [ArgumentSpec, string][] = [];
  for (const node of path) {
    for (const spec of node.arguments) entries.push([spec, node.sections?.get(spec) ?? node.label]);
  }
  for (const spec of command?.arguments ?? []) entries.push([spec, command!.section ?? path[path.length - 1].label]);
  return entries.filter(([spec]) => !spec.positional && !isGlobal.has(spec));
}

/** A config value as the option's value, or undefined when it is empty; a FrameworkError names the key and its origin. */
function configuredValue(spec: ArgumentSpec, found: ConfigValue): unknown {
  const result = optionFromConfigModule().optionFromConfig(spec, found.value);
  if (!('problem' in result)) return result.value;
  throw new FrameworkError(
    `invalid value ${quote(result.text)} for ${found.name} (from ${found.origin()}): ${result.problem}`,
    {
      code: 'mortar.invalidConfigValue',
    },
  );
}
