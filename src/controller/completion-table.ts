/**
 * What shell completion needs to know of the command tree, as plain data the
 * script generators write out as static tables: completing then costs a TAB no
 * process start. Hidden commands and controllers are left out entirely.
 */
import type { ArgumentSpec } from './metadata';
import type { CommandNode, ControllerNode } from './tree';
import { takesValue } from './values';

/** An option at one point of the command line. */
export interface CompletionOption {
  readonly flags: readonly string[];
  /** How many values it takes: 0, a number, or `?`, `*`, `+` as its nargs. */
  readonly takes: number | '?' | '*' | '+';
  readonly choices: readonly string[];
  readonly help: string;
}

/** A positional argument: how many words it takes (`many` for `*` and `+`) and its choices. */
export interface CompletionPositional {
  readonly count: number | 'many';
  readonly choices: readonly string[];
}

/** One point of the command line: a controller level or a command. */
export interface CompletionNode {
  readonly id: number;
  /** The names that lead from here to a nested level or a command, with where they lead and their help. */
  readonly next: readonly { readonly names: readonly string[]; readonly to: number; readonly help: string }[];
  readonly options: readonly CompletionOption[];
  /** A level's positional arguments (before its command names), or a command's. */
  readonly positionals: readonly CompletionPositional[];
  /** How many words the positional arguments take before command names can follow (levels only). */
  readonly slots: number;
}

/**
 * What a node offers, by what is being completed: `commands`, `options`, `=FLAG`
 * (the values of that option), `@N` (the Nth positional word) and `@*` (every
 * positional word from there on); each candidate with its help.
 */
export interface CompletionOffer {
  readonly keys: readonly string[];
  readonly words: readonly (readonly [word: string, help: string])[];
}

/** The offers of one node (see {@link CompletionOffer}); empty lists are left out. */
export function offersOf(node: CompletionNode): CompletionOffer[] {
  const offers: CompletionOffer[] = [];
  const commands = node.next.flatMap((entry) => entry.names.map((name) => [name, entry.help] as const));
  if (commands.length > 0) offers.push({ keys: ['commands'], words: commands });
  offers.push({
    keys: ['options'],
    words: node.options.flatMap((option) => option.flags.map((flag) => [flag, option.help] as const)),
  });
  for (const option of node.options) {
    if (option.choices.length > 0)
      offers.push({
        keys: option.flags.map((flag) => `=${flag}`),
        words: option.choices.map((choice) => [choice, ''] as const),
      });
  }
  let position = 0;
  for (const positional of node.positionals) {
    const words = positional.choices.map((choice) => [choice, ''] as const);
    if (positional.count === 'many') {
      if (words.length > 0) offers.push({ keys: ['@*'], words });
      break;
    }
    if (words.length > 0)
      offers.push({ keys: Array.from({ length: positional.count }, (_, offset) => `@${position + offset}`), words });
    position += positional.count;
  }
  return offers;
}

/** Builds the completion nodes of the tree under `root`, the root first (id 0). */
export function completionTable(root: ControllerNode, globals: readonly ArgumentSpec[]): CompletionNode[] {
  const nodes: CompletionNode[] = [];
  const addLevel = (path: readonly ControllerNode[]): number => {
    const level = path[path.length - 1];
    const id = nodes.length;
    const pathOptions = [...globals, ...path.flatMap((node) => node.arguments)];
    const levelPositionals = level.arguments.filter((spec) => spec.positional).map(positionalOf);
    const node = {
      id,
      next: [] as { names: readonly string[]; to: number; help: string }[],
      options: [...pathOptions, ...(level.defaultCommand?.arguments ?? [])]
        .filter((spec) => !spec.positional)
        .map(optionOf),
      positionals: levelPositionals,
      slots: levelPositionals.reduce(
        (sum, positional) => sum + (positional.count === 'many' ? 0 : positional.count),
        0,
      ),
    };
    nodes.push(node);
    for (const command of level.commands) {
      if (command.hide || command === level.defaultCommand) continue;
      node.next.push({
        names: [command.label, ...command.aliases],
        to: addCommand(pathOptions, command),
        help: command.help ?? '',
      });
    }
    for (const child of level.children) {
      if (child.hide) continue;
      node.next.push({
        names: [child.label, ...child.aliases],
        to: addLevel([...path, child]),
        help: child.help ?? '',
      });
    }
    return id;
  };
  const addCommand = (pathOptions: readonly ArgumentSpec[], command: CommandNode): number => {
    const id = nodes.length;
    nodes.push({
      id,
      next: [],
      options: [...pathOptions, ...command.arguments].filter((spec) => !spec.positional).map(optionOf),
      positionals: command.arguments.filter((spec) => spec.positional).map(positionalOf),
      slots: 0,
    });
    return id;
  };
  addLevel([root]);
  return nodes;
}

function optionOf(spec: ArgumentSpec): CompletionOption {
  const nargs = spec.nargs;
  const takes = !takesValue(spec) ? 0 : nargs === undefined ? 1 : nargs;
  return { flags: spec.flags, takes, choices: (spec.choices ?? []).map(String), help: spec.help ?? '' };
}

function positionalOf(spec: ArgumentSpec): CompletionPositional {
  const nargs = spec.nargs;
  const count = nargs === '*' || nargs === '+' ? 'many' : typeof nargs === 'number' ? nargs : 1;
  return { count, choices: (spec.choices ?? []).map(String) };
}
