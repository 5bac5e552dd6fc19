/**
 * Turns argv into the controller path, the command and its arguments, on top
 * of Node's `util.parseArgs`.
 *
 * Options are accepted anywhere on the line, but which options exist depends
 * on the command, so parsing takes two passes. The first walks the positional
 * tokens down the tree, tokenizing with the options known so far (the global
 * ones, those of the levels already walked and of the current level's default
 * command). The second parses the whole line strictly with every option of
 * the path, the command and the globals, then folds the tokens into `pargs`.
 */
import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';
import { UsageError } from '../core/errors';
import type { ArgumentSpec } from './metadata';
import type { CommandNode, ControllerNode, ParsedCommandLine } from './tree';

type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

type Token =
  | { kind: 'option'; index: number; name: string; rawName: string; value?: string; inlineValue?: boolean }
  | { kind: 'positional'; index: number; value: string }
  | { kind: 'option-terminator'; index: number };

type OptionToken = Extract<Token, { kind: 'option' }>;
type PositionalToken = Extract<Token, { kind: 'positional' }>;

/** Builds the UsageError for a message, with the usage line of where the parser stands. */
type Fail = (message: string, cause?: unknown) => UsageError;

/** The parseArgs configuration for a set of arguments, and the way back from its keys to them. */
interface OptionTable {
  readonly config: OptionsConfig;
  readonly specs: ReadonlyMap<string, ArgumentSpec>;
}

/** Where the first pass ended. */
interface Walk {
  readonly path: readonly ControllerNode[];
  readonly command?: CommandNode;
  /** The argv indices of the tokens that named a nested controller or the command. */
  readonly pathIndices: ReadonlySet<number>;
}

/** A NUL cannot occur in argv, so these keys never collide with a long flag a user can type. */
const SHORT_KEY_PREFIX = '\u0000';

/**
 * Parses `argv` against the tree under `root` and the global arguments.
 *
 * Every mistake on the command line is a `UsageError` with one line of message
 * and the usage line of the level or command where it happened. When help is
 * asked for (`dest` `help` is given), missing required arguments are not an
 * error, so the caller can show the help of the level or command reached.
 */
export function parseCommandLine(
  root: ControllerNode,
  argv: readonly string[],
  globals: readonly ArgumentSpec[],
  prog: string,
): ParsedCommandLine {
  const { path, command, pathIndices } = walk(root, argv, globals, prog);
  const fail: Fail = (message, cause) => new UsageError(message, { usage: formatUsage(prog, path, command, globals), cause });

  const declared = [...globals, ...path.flatMap((node) => node.arguments), ...(command?.arguments ?? [])];
  const options = declared.filter((spec) => !spec.positional);
  const positionals = command?.arguments.filter((spec) => spec.positional) ?? [];
  const table = optionTable(options);
  const tokens = strictTokens(argv, table, fail);

  const positionalTokens = tokens.filter((token): token is PositionalToken => token.kind === 'positional');
  for (const index of pathIndices) {
    if (!positionalTokens.some((token) => token.index === index)) {
      // An option that only the final path knows takes a value, and swallowed a command name.
      const swallower = tokens.find(
        (token): token is OptionToken => token.kind === 'option' && token.index === index - 1 && !token.inlineValue,
      );
      throw fail(
        swallower
          ? `option '${optionName(lookup(table, swallower))}' expects a value`
          : `unexpected argument '${argv[index]}'`,
      );
    }
  }

  const pargs: Record<string, unknown> = {};
  const given = new Set<string>();
  for (const spec of [...options, ...positionals]) {
    if (!Object.hasOwn(pargs, spec.dest)) pargs[spec.dest] = initialValue(spec);
  }
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    const spec = lookup(table, token);
    pargs[spec.dest] = nextValue(spec, pargs[spec.dest], given.has(spec.dest), token.value, fail);
    given.add(spec.dest);
  }

  const operands = positionalTokens.filter((token) => !pathIndices.has(token.index));
  if (operands.length > positionals.length) throw fail(`unexpected argument '${operands[positionals.length].value}'`);
  operands.forEach((token, position) => {
    const spec = positionals[position];
    pargs[spec.dest] = convert(spec, token.value, fail);
    given.add(spec.dest);
  });

  const isHelpRequested = given.has('help') && Boolean(pargs.help);
  if (!isHelpRequested) {
    const missing = [...options, ...positionals].find((spec) => spec.required && !given.has(spec.dest));
    if (missing) {
      throw fail(
        missing.positional
          ? `missing required argument '${missing.flags[0]}'`
          : `missing required option '${optionName(missing)}'`,
      );
    }
  }
  return { path, command, pargs, given };
}

/** The first pass: which nested controllers and which command the line names. */
function walk(root: ControllerNode, argv: readonly string[], globals: readonly ArgumentSpec[], prog: string): Walk {
  const path = [root];
  const pathIndices = new Set<number>();
  let after = -1;
  for (;;) {
    const level = path[path.length - 1];
    const known = [...globals, ...path.flatMap((node) => node.arguments), ...(level.defaultCommand?.arguments ?? [])];
    const token = tokenize(argv, optionTable(known.filter((spec) => !spec.positional)), false).find(
      (candidate): candidate is PositionalToken => candidate.kind === 'positional' && candidate.index > after,
    );
    if (!token) return { path, command: level.defaultCommand, pathIndices };

    const command = commandsOf(level).find((node) => isNamed(node, token.value));
    if (command) {
      pathIndices.add(token.index);
      return { path, command, pathIndices };
    }
    const child = level.children.find((node) => isNamed(node, token.value));
    if (child) {
      path.push(child);
      pathIndices.add(token.index);
      after = token.index;
      continue;
    }
    if (level.defaultCommand?.arguments.some((spec) => spec.positional)) {
      return { path, command: level.defaultCommand, pathIndices };
    }
    const guess = suggest(token.value, visibleNames(level));
    throw new UsageError(`unknown command '${token.value}'${guess ? ` (did you mean '${guess}'?)` : ''}`, {
      usage: formatUsage(prog, path, undefined, globals),
    });
  }
}

function strictTokens(argv: readonly string[], table: OptionTable, fail: Fail): Token[] {
  try {
    return tokenize(argv, table, true);
  } catch (error) {
    throw explain(error, argv, table, fail);
  }
}

/**
 * Rewrites a strict parseArgs failure in our own words. The offending token is
 * found again in a lenient tokenization rather than read out of parseArgs'
 * message, whose wording is not ours to show.
 */
function explain(error: unknown, argv: readonly string[], table: OptionTable, fail: Fail): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  const tokens = tokenize(argv, table, false);
  const options = tokens.filter((token): token is OptionToken => token.kind === 'option');
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const token = options.find((candidate) => !table.specs.has(candidate.name));
    if (token) {
      const guess = suggestFlag(token.rawName, table);
      return fail(`unknown option '${token.rawName}'${guess ? ` (did you mean '${guess}'?)` : ''}`, error);
    }
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    for (const token of options) {
      const spec = table.specs.get(token.name);
      if (!spec) continue;
      const name = optionName(spec);
      if (!takesValue(spec)) {
        if (token.value !== undefined) return fail(`option '${name}' takes no value`, error);
      } else if (token.value === undefined) {
        return fail(`option '${name}' expects a value`, error);
      } else if (!token.inlineValue && token.value.length > 1 && token.value.startsWith('-')) {
        const written = name.startsWith('--') ? `${name}=${token.value}` : `${name}${token.value}`;
        const hint = `to pass '${token.value}' as its value, write '${written}'`;
        return fail(`option '${name}' expects a value (${hint})`, error);
      }
    }
  }
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
    const token = tokens.find((candidate): candidate is PositionalToken => candidate.kind === 'positional');
    if (token) return fail(`unexpected argument '${token.value}'`, error);
  }
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_') ? fail('invalid command line', error) : error;
}

function tokenize(argv: readonly string[], table: OptionTable, strict: boolean): Token[] {
  const config = { args: [...argv], options: table.config, strict, allowPositionals: true, tokens: true } as const;
  return parseArgs(config).tokens as Token[];
}

/**
 * One parseArgs option per flag: a long flag under its own name, a short flag
 * under a synthetic key with `short` set. Two arguments that claim the same
 * flag on one command line are a programming error.
 */
function optionTable(specs: readonly ArgumentSpec[]): OptionTable {
  const config: OptionsConfig = {};
  const byKey = new Map<string, ArgumentSpec>();
  for (const spec of specs) {
    for (const flag of spec.flags) {
      const isLong = flag.startsWith('--');
      const key = isLong ? flag.slice(2) : SHORT_KEY_PREFIX + flag;
      const owner = byKey.get(key);
      if (owner === spec) continue;
      if (owner) {
        throw new TypeError(
          `option '${flag}' is declared by two arguments ('${owner.dest}' and '${spec.dest}') on the same command line`,
        );
      }
      byKey.set(key, spec);
      config[key] = {
        type: takesValue(spec) ? 'string' : 'boolean',
        multiple: spec.action === 'append' || spec.action === 'count',
        ...(isLong ? {} : { short: flag.slice(1) }),
      };
    }
  }
  return { config, specs: byKey };
}

function lookup(table: OptionTable, token: OptionToken): ArgumentSpec {
  const spec = table.specs.get(token.name);
  if (!spec) throw new Error(`parser: no argument for option key '${token.name}'`);
  return spec;
}

function initialValue(spec: ArgumentSpec): unknown {
  if (spec.action !== 'append') return spec.default;
  return Array.isArray(spec.default) ? [...(spec.default as unknown[])] : (spec.default ?? []);
}

/** The value of `spec` after one more occurrence on the line. Given `append` values replace the default. */
function nextValue(spec: ArgumentSpec, current: unknown, isGiven: boolean, raw: string | undefined, fail: Fail) {
  switch (spec.action) {
    case 'store_true':
      return true;
    case 'store_false':
      return false;
    case 'count':
      return (typeof current === 'number' ? current : 0) + 1;
    case 'append':
      return [...(isGiven && Array.isArray(current) ? current : []), convert(spec, raw ?? '', fail)];
    case 'store':
      return convert(spec, raw ?? '', fail);
  }
}

/** Applies the argument's type and choices to one value as written. */
function convert(spec: ArgumentSpec, raw: string, fail: Fail): string | number {
  const what = spec.positional ? `argument '${spec.flags[0]}'` : `option '${optionName(spec)}'`;
  let value: string | number = raw;
  if (spec.type !== 'string') {
    const number = raw.trim() === '' ? Number.NaN : Number(raw);
    const isValid = Number.isFinite(number) && (spec.type === 'number' || Number.isInteger(number));
    if (!isValid) throw fail(`${what} expects ${spec.type === 'integer' ? 'an integer' : 'a number'}, got '${raw}'`);
    value = number;
  }
  const { choices } = spec;
  if (choices && !choices.some((choice) => choice === value || String(choice) === String(value))) {
    const list = choices.map((choice) => `'${String(choice)}'`).join(', ');
    throw fail(`invalid value '${raw}' for ${what} (choose from ${list})`);
  }
  return value;
}

/** A long option is compared with the long flags, a short one only with a flag that differs in case (`-C` for `-c`). */
function suggestFlag(rawName: string, table: OptionTable): string | undefined {
  const flags = [...new Set([...table.specs.values()].flatMap((spec) => spec.flags))];
  if (rawName.startsWith('--')) return suggest(rawName, flags.filter((flag) => flag.startsWith('--')));
  const lower = rawName.toLowerCase();
  return flags.find((flag) => !flag.startsWith('--') && flag !== rawName && flag.toLowerCase() === lower);
}

/** The name errors use for an option: its longest flag. */
function optionName(spec: ArgumentSpec): string {
  return spec.flags.reduce((longest, flag) => (flag.length > longest.length ? flag : longest));
}

function takesValue(spec: ArgumentSpec): boolean {
  return spec.action === 'store' || spec.action === 'append';
}

/** The level's commands, with its default command even when it is not listed among them. */
function commandsOf(level: ControllerNode): readonly CommandNode[] {
  const { defaultCommand } = level;
  if (!defaultCommand || level.commands.includes(defaultCommand)) return level.commands;
  return [...level.commands, defaultCommand];
}

function isNamed(node: { readonly label: string; readonly aliases: readonly string[] }, name: string): boolean {
  return node.label === name || node.aliases.includes(name);
}

function visibleNames(level: ControllerNode): string[] {
  return [...level.commands, ...level.children]
    .filter((node) => !node.hide)
    .flatMap((node) => [node.label, ...node.aliases]);
}

// Help and suggestions are needed only when something is wrong: load them then.
function formatUsage(...args: Parameters<typeof import('./help').formatUsage>): string {
  return (require('./help') as typeof import('./help')).formatUsage(...args);
}

function suggest(...args: Parameters<typeof import('./suggest').suggest>): string | undefined {
  return (require('./suggest') as typeof import('./suggest')).suggest(...args);
}
