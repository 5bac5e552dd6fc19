/**
 * Routing: which nested controllers and which command a command line names,
 * the first of the parser's two passes (see `parser.ts`, which then binds the
 * values). It walks the words down the tree with the options known so far (the
 * global ones, those of the levels already walked and of the current level's
 * default command); an option it does not know yet is looked up under the
 * current level, so that `myapp --url u db migrate` skips `u` even though
 * `--url` belongs to `db`.
 */
import { UsageError } from '../core/errors';
import { lazy } from '../core/lazy';
import type { ArgumentSpec } from './metadata';
import { OptionTable } from './option-table';
import { scanStep, type OptionUse, type ScanRules } from './scanner';
import type { CommandNode, ControllerNode } from './tree';
import { valueCount } from './values';

/** What kind of mistake a command line has: the `code` of its UsageError, after `mortar.`. */
export type Mistake =
  'unknownCommand' | 'unknownOption' | 'invalidValue' | 'missingArgument' | 'unexpectedArgument' | 'ambiguousOption';

/** Builds the UsageError for a message, with the usage line of where the parser stands. */
export type Fail = (message: string, mistake: Mistake) => UsageError;

/** Where the first pass ended. */
export interface Walk {
  readonly path: readonly ControllerNode[];
  readonly command?: CommandNode;
  /** The argv indices of the words that named a nested controller or the command. */
  readonly pathIndices: ReadonlySet<number>;
  /** The argv index of the command's name, when it was named. */
  readonly commandIndex?: number;
  /** The argv indices of the words given to each level's positional arguments. */
  readonly levelOperands: ReadonlyMap<number, ControllerNode>;
  /** Options read ahead of their level, and the words they took, for a better message when they took a command name. */
  readonly lookaheads: readonly { use: OptionUse; level: ControllerNode }[];
}

/** The first pass: which nested controllers and which command the line names. */
export function walk(
  root: ControllerNode,
  argv: readonly string[],
  globals: readonly ArgumentSpec[],
  prog: string,
): Walk {
  const path = [root];
  const pathIndices = new Set<number>();
  const levelOperands = new Map<number, ControllerNode>();
  const lookaheads: { use: OptionUse; level: ControllerNode }[] = [];
  const unknownCommand: Fail = (message, mistake) =>
    new UsageError(message, { usage: formatUsage(prog, path, undefined, globals), code: `mortar.${mistake}` });
  let rules = walkRules(globals, path, unknownCommand);
  let unknown: { flag: string; rules: OptionTable } | undefined;
  let index = 0;
  while (index < argv.length) {
    const level = path[path.length - 1];
    const step = scanStep(argv, index, rules);
    index = step.next;
    if (step.kind === 'options' || step.kind === 'unknown') {
      for (const use of step.uses) if (rules.isLookahead(use.spec)) lookaheads.push({ use, level });
      if (step.kind === 'unknown') unknown ??= { flag: step.flag, rules: rules.known };
      continue;
    }
    if (step.kind === 'invalid') continue;
    if (step.kind === 'terminator') {
      // `--` before the command name: what follows is positional at this level, never a command.
      let word = index;
      for (; word < argv.length && freeSlots(level, levelOperands) > 0; word++) levelOperands.set(word, level);
      if (word < argv.length && !level.defaultCommand?.arguments.some((spec) => spec.positional)) {
        const isCommand =
          commandsOf(level).some((node) => isNamed(node, argv[word])) ||
          level.children.some((node) => isNamed(node, argv[word]));
        throw unknownCommand(
          `unexpected argument '${argv[word]}' after '--'` + (isCommand ? ` (a command name goes before '--')` : ''),
          'unexpectedArgument',
        );
      }
      return { path, command: level.defaultCommand, pathIndices, levelOperands, lookaheads };
    }
    const word = argv[step.index];
    if (freeSlots(level, levelOperands) > 0) {
      levelOperands.set(step.index, level);
      continue;
    }
    const command = commandsOf(level).find((node) => isNamed(node, word));
    if (command) {
      pathIndices.add(step.index);
      return { path, command, pathIndices, commandIndex: step.index, levelOperands, lookaheads };
    }
    const child = level.children.find((node) => isNamed(node, word));
    if (child) {
      path.push(child);
      pathIndices.add(step.index);
      rules = walkRules(globals, path, unknownCommand);
      continue;
    }
    if (level.defaultCommand?.arguments.some((spec) => spec.positional)) {
      return { path, command: level.defaultCommand, pathIndices, levelOperands, lookaheads };
    }
    // An unknown option before the word probably meant to take it as its value: name the option.
    if (unknown) throw unknownCommand(unknownOptionMessage(unknown.flag, unknown.rules), 'unknownOption');
    const guess = suggest(word, visibleNames(level));
    throw unknownCommand(`unknown command '${word}'${guess ? ` (did you mean '${guess}'?)` : ''}`, 'unknownCommand');
  }
  const level = path[path.length - 1];
  return { path, command: level.defaultCommand, pathIndices, levelOperands, lookaheads };
}

/**
 * The options the first pass knows at a level: the global ones, those of the
 * levels walked and of the level's default command; then, for a flag none of
 * them has, the arguments declared anywhere under the level, when they all
 * agree on how many values the flag takes.
 */
function walkRules(
  globals: readonly ArgumentSpec[],
  path: readonly ControllerNode[],
  fail: Fail,
): ScanRules & { readonly known: OptionTable; isLookahead(spec: ArgumentSpec): boolean } {
  const level = path[path.length - 1];
  const known = new OptionTable([
    ...globals,
    ...path.flatMap((node) => node.arguments),
    ...(level.defaultCommand?.arguments ?? []),
  ]);
  let below: Map<string, ArgumentSpec[]> | undefined;
  const ahead = new Set<ArgumentSpec>();
  const lookup = (flag: string): ArgumentSpec | undefined => {
    const spec = known.get(flag);
    if (spec) return spec;
    below ??= declaredBelow(level);
    const candidates = below.get(flag);
    if (!candidates) return undefined;
    const shapes = new Set(candidates.map((candidate) => `${candidate.action}/${String(candidate.nargs)}`));
    if (shapes.size > 1) {
      throw fail(
        `option '${flag}' means different things under '${level.label}': write it after the command it belongs to`,
        'ambiguousOption',
      );
    }
    ahead.add(candidates[0]);
    return candidates[0];
  };
  return {
    lookup,
    known,
    negativeNumbersAreOptions: known.hasNegativeNumberFlags,
    isLookahead: (spec) => ahead.has(spec),
  };
}

/** Every option declared under a level (its commands, nested levels and theirs), by flag. */
function declaredBelow(level: ControllerNode): Map<string, ArgumentSpec[]> {
  const byFlag = new Map<string, ArgumentSpec[]>();
  const add = (specs: readonly ArgumentSpec[]): void => {
    for (const spec of specs) {
      if (spec.positional) continue;
      for (const flag of spec.flags) byFlag.set(flag, [...(byFlag.get(flag) ?? []), spec]);
    }
  };
  const visit = (node: ControllerNode, isTop: boolean): void => {
    if (!isTop) add(node.arguments);
    for (const command of commandsOf(node)) add(command.arguments);
    for (const child of node.children) visit(child, false);
  };
  visit(level, true);
  return byFlag;
}

export function unknownOptionMessage(flag: string, table: OptionTable): string {
  const guess = suggestFlag(flag, table);
  return `unknown option '${flag}'${guess ? ` (did you mean '${guess}'?)` : ''}`;
}

/** How many more words a level's positional arguments take. */
function freeSlots(level: ControllerNode, taken: ReadonlyMap<number, ControllerNode>): number {
  const wanted = level.arguments.filter((spec) => spec.positional).reduce((sum, spec) => sum + valueCount(spec).max, 0);
  let used = 0;
  for (const owner of taken.values()) if (owner === level) used++;
  return wanted - used;
}

/** A long option is compared with the long flags, a short one only with a flag that differs in case (`-C` for `-c`). */
function suggestFlag(flag: string, table: OptionTable): string | undefined {
  const flags = table.flags();
  if (flag.startsWith('--'))
    return suggest(
      flag,
      flags.filter((candidate) => candidate.startsWith('--')),
    );
  const lower = flag.toLowerCase();
  return flags.find(
    (candidate) => !candidate.startsWith('--') && candidate !== flag && candidate.toLowerCase() === lower,
  );
}

/** The level's commands, with its default command even when it is not listed among them. */
export function commandsOf(level: ControllerNode): readonly CommandNode[] {
  const { defaultCommand } = level;
  if (!defaultCommand || level.commands.includes(defaultCommand)) return level.commands;
  return [...level.commands, defaultCommand];
}

export function isNamed(node: { readonly label: string; readonly aliases: readonly string[] }, name: string): boolean {
  return node.label === name || node.aliases.includes(name);
}

function visibleNames(level: ControllerNode): string[] {
  return [...level.commands, ...level.children]
    .filter((node) => !node.hide)
    .flatMap((node) => [node.label, ...node.aliases]);
}

// Help and suggestions are needed only when something is wrong: load them then.
const help = lazy<typeof import('./help')>(require, './help');
const suggestModule = lazy<typeof import('./suggest')>(require, './suggest');

export function formatUsage(...args: Parameters<typeof import('./help').formatUsage>): string {
  return help().formatUsage(...args);
}

export function suggest(...args: Parameters<typeof import('./suggest').suggest>): string | undefined {
  return suggestModule().suggest(...args);
}
