/**
 * Usage lines and help screens, in the style of Python's argparse. Pure
 * functions of the command tree: they read plain metadata and return text.
 *
 * A screen describes either a controller level (its description and its
 * visible commands and nested controllers) or a command (its help line). A
 * level's default command is never named: its arguments are shown on the
 * level's own screen. Every option the parser accepts at that point is listed:
 * the global ones, those of every level on the path, then the command's.
 */
import { kebabCase } from './arg';
import type { ArgumentSpec } from './metadata';
import type { CommandNode, ControllerNode } from './tree';
import { takesValue } from './values';

/** Options of {@link formatHelp}. */
export interface HelpOptions {
  /** The width to wrap the text to, in columns. Default: 80; anything below 40 counts as 40. */
  width?: number;
  /**
   * The program's version. When given, a `--version` option (dest `version`) without help text of its
   * own reads "show program's version number and exit"; when absent, that option is left out of the help.
   */
  version?: string;
  /**
   * Effective defaults by dest, where they differ from the declared ones (values the config gives
   * options); shown as `(default: ...)`. Default: the declared defaults only.
   */
  defaults?: ReadonlyMap<string, unknown>;
}

const DEFAULT_WIDTH = 80;
const MIN_WIDTH = 40;
const MAX_HELP_COLUMN = 24;
const BUILT_IN_HELP: Readonly<Record<string, string>> = {
  help: 'show this help message and exit',
  version: "show program's version number and exit",
};

/** What one help screen or usage line is about. */
interface Screen {
  /** The program name, the nested levels' labels, and the command's label unless it is the level's default. */
  readonly words: readonly string[];
  readonly options: readonly ArgumentSpec[];
  readonly positionals: readonly ArgumentSpec[];
  /** The level whose commands are listed; undefined on a command's screen. */
  readonly level?: ControllerNode;
  readonly text?: string;
}

interface Entry {
  readonly invocation: string;
  readonly help: string;
}

/**
 * The one-line usage of a controller level or a command, e.g.
 * `usage: myapp [-h] [--debug] [-f FOO] [-C] {run-forever,db} ...`.
 * Hidden commands and nested controllers are left out. No trailing newline.
 */
export function formatUsage(
  prog: string,
  path: readonly ControllerNode[],
  command: CommandNode | undefined,
  globals: readonly ArgumentSpec[],
): string {
  const screen = screenOf(prog, path, command, globals);
  return ['usage:', ...screen.words, ...usageParts(screen)].join(' ');
}

/**
 * The full help of a controller level or a command: usage, description,
 * `arguments:`, `options:` and, for a level, `commands:`, wrapped to
 * `options.width`. Ends with a newline.
 */
export function formatHelp(
  prog: string,
  path: readonly ControllerNode[],
  command: CommandNode | undefined,
  globals: readonly ArgumentSpec[],
  options: HelpOptions = {},
): string {
  const width = Math.max(MIN_WIDTH, Math.floor(options.width ?? DEFAULT_WIDTH));
  const hasVersion = options.version !== undefined && options.version !== '';
  const visibleGlobals = hasVersion ? globals : globals.filter((spec) => spec.dest !== 'version');
  const screen = screenOf(prog, path, command, visibleGlobals);

  const entry = (spec: ArgumentSpec): Entry => argumentEntry(spec, options.defaults);
  const sections: [string, Entry[]][] = [
    ['arguments:', screen.positionals.map(entry)],
    ['options:', screen.options.map(entry)],
    ['commands:', screen.level ? commandEntries(screen.level) : []],
  ];
  const entries = sections.flatMap(([, list]) => list);
  const longest = Math.max(0, ...entries.map((entry) => entry.invocation.length));
  const column = Math.min(longest + 4, MAX_HELP_COLUMN, Math.floor(width / 3));

  const blocks: string[][] = [usageLines(screen, width)];
  if (screen.text) blocks.push(paragraphs(screen.text, width));
  for (const [title, list] of sections) {
    if (list.length > 0) blocks.push([title, ...list.flatMap((entry) => entryLines(entry, column, width))]);
  }
  return blocks.map((lines) => lines.join('\n')).join('\n\n') + '\n';
}

function screenOf(
  prog: string,
  path: readonly ControllerNode[],
  command: CommandNode | undefined,
  globals: readonly ArgumentSpec[],
): Screen {
  const level = path.length > 0 ? path[path.length - 1] : undefined;
  const isLevelScreen = command === undefined || command === level?.defaultCommand;
  const positionalsOf = (node: ControllerNode): ArgumentSpec[] => node.arguments.filter((spec) => spec.positional);
  // A level's positional arguments come before its command name, so they belong to the words of the screens below it.
  const words = [prog];
  path.forEach((node, index) => {
    if (index > 0) words.push(node.label);
    if (!isLevelScreen || node !== level) words.push(...positionalsOf(node).map(positionalUsage));
  });
  if (command && !isLevelScreen) words.push(command.label);
  const levelOptions = path.flatMap((node) => node.arguments.filter((spec) => !spec.positional));
  const commandArguments = command?.arguments ?? [];
  const commandPositionals = commandArguments.filter((spec) => spec.positional);
  return {
    words,
    options: [...globals, ...levelOptions, ...commandArguments.filter((spec) => !spec.positional)],
    positionals: isLevelScreen && level ? [...positionalsOf(level), ...commandPositionals] : commandPositionals,
    level: isLevelScreen ? level : undefined,
    text: isLevelScreen ? level?.description : command?.help,
  };
}

function usageParts(screen: Screen): string[] {
  const { options, positionals } = usageGroups(screen);
  return [...options, ...positionals];
}

/** The usage parts of the options, and of the positional arguments with the command list. */
function usageGroups(screen: Screen): { options: string[]; positionals: string[] } {
  const options = screen.options.map((spec) => {
    // argparse writes a BooleanOptionalAction's flags as alternatives: [--x | --no-x].
    if (spec.action === 'boolean_optional')
      return spec.required ? spec.flags.join(' | ') : `[${spec.flags.join(' | ')}]`;
    const text = takesValue(spec) ? `${spec.flags[0]} ${valuesUsage(spec)}` : spec.flags[0];
    return spec.required ? text : `[${text}]`;
  });
  const positionals = screen.positionals.map(positionalUsage);
  if (screen.level) {
    const names = visibleNames(screen.level);
    if (names.length > 0) positionals.push(`{${names.join(',')}} ...`);
  }
  return { options, positionals };
}

/** A positional argument in a usage line: `FILE`, `[FILE]`, `[FILE ...]`, `FILE [FILE ...]`, `FILE FILE`. */
function positionalUsage(spec: ArgumentSpec): string {
  if (spec.nargs === undefined && !spec.required) return `[${metavarOf(spec)}]`;
  return valuesUsage(spec);
}

/** The values an argument takes, as argparse writes them for its nargs. */
function valuesUsage(spec: ArgumentSpec): string {
  const metavar = metavarOf(spec);
  switch (spec.nargs) {
    case undefined:
      return metavar;
    case '?':
      return `[${metavar}]`;
    case '*':
      return `[${metavar} ...]`;
    case '+':
      return `${metavar} [${metavar} ...]`;
    default:
      return Array.from({ length: spec.nargs }, () => metavar).join(' ');
  }
}

/**
 * The usage, wrapped argparse-style: continuation lines line up after the
 * program name, or after `usage: ` when the name leaves too little room; once
 * wrapped, the positional arguments start a line of their own.
 */
function usageLines(screen: Screen, width: number): string[] {
  const head = `usage: ${screen.words.join(' ')}`;
  const { options, positionals } = usageGroups(screen);
  const parts = [...options, ...positionals];
  if ([head, ...parts].join(' ').length <= width) return [[head, ...parts].join(' ')];
  const widest = Math.max(0, ...parts.map((part) => part.length));
  const isHeadShort = head.length + 1 <= width * 0.75 && head.length + 1 + widest <= width;
  const indent = ' '.repeat(isHeadShort ? head.length + 1 : 'usage: '.length);
  const fill = (group: readonly string[], first: string): string[] => {
    const lines: string[] = [];
    let line = first;
    for (const part of group) {
      if (line === '') line = indent + part;
      else if (line.length + 1 + part.length <= width) line += ` ${part}`;
      else {
        lines.push(line);
        line = indent + part;
      }
    }
    if (line !== '') lines.push(line);
    return lines;
  };
  if (isHeadShort) {
    if (options.length === 0) return fill(positionals, head);
    return [...fill(options, head), ...fill(positionals, '')];
  }
  return [head, ...fill(options, ''), ...fill(positionals, '')];
}

function argumentEntry(spec: ArgumentSpec, defaults: ReadonlyMap<string, unknown> | undefined): Entry {
  const invocation = spec.positional
    ? metavarOf(spec)
    : spec.flags.map((flag) => (takesValue(spec) ? `${flag} ${valuesUsage(spec)}` : flag)).join(', ');
  const help = spec.help ?? (spec.positional ? undefined : BUILT_IN_HELP[spec.dest]);
  const effective = defaults?.has(spec.dest) ? defaults.get(spec.dest) : spec.default;
  const shown = takesValue(spec) || spec.positional || defaults?.has(spec.dest) ? defaultText(effective) : undefined;
  const suffix = shown === undefined ? '' : `(default: ${shown})`;
  return { invocation, help: [help ?? '', suffix].filter((text) => text !== '').join(' ') };
}

function commandEntries(level: ControllerNode): Entry[] {
  const named = (label: string, aliases: readonly string[]): string =>
    aliases.length > 0 ? `${label} (${aliases.join(', ')})` : label;
  return [
    ...level.commands
      .filter((command) => !command.hide)
      .map((command) => ({ invocation: named(command.label, command.aliases), help: command.help ?? '' })),
    ...level.children
      .filter((child) => !child.hide)
      .map((child) => ({
        invocation: named(child.label, child.aliases),
        help: child.help ?? firstLine(child.description),
      })),
  ];
}

function entryLines(entry: Entry, column: number, width: number): string[] {
  const head = `  ${entry.invocation}`;
  const help = wrap(entry.help, width - column);
  if (help.length === 0) return [head];
  const pad = ' '.repeat(column);
  if (head.length + 2 <= column) {
    return [head.padEnd(column) + help[0], ...help.slice(1).map((line) => pad + line)];
  }
  return [head, ...help.map((line) => pad + line)];
}

/** Paragraphs are separated by blank lines; within one, whitespace is collapsed and the text refilled. */
function paragraphs(text: string, width: number): string[] {
  const blocks = text
    .trim()
    .split(/\n\s*\n/)
    .map((block) => wrap(block, width));
  return blocks.flatMap((lines, index) => (index === 0 ? lines : ['', ...lines]));
}

/** Greedy word wrap; a word longer than the width stays whole on its own line. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter((piece) => piece !== '')) {
    if (line === '') line = word;
    else if (line.length + 1 + word.length <= width) line += ` ${word}`;
    else {
      lines.push(line);
      line = word;
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}

function visibleNames(level: ControllerNode): string[] {
  return [
    ...level.commands.filter((command) => !command.hide).map((command) => command.label),
    ...level.children.filter((child) => !child.hide).map((child) => child.label),
  ];
}

/** `{a,b}` for an argument with choices and no metavar of its own, as argparse does. */
function metavarOf(spec: ArgumentSpec): string {
  const implicit = spec.positional ? spec.flags[0] : kebabCase(spec.dest).replace(/-/g, '_').toUpperCase();
  if (spec.choices && spec.choices.length > 0 && spec.metavar === implicit) return `{${spec.choices.join(',')}}`;
  return spec.metavar;
}

function defaultText(value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (Array.isArray(value))
    return value.length > 0
      ? value.map((item) => (Array.isArray(item) ? item.join(' ') : String(item))).join(', ')
      : undefined;
  return String(value);
}

function firstLine(text: string | undefined): string {
  return (
    (text ?? '')
      .split('\n')
      .find((line) => line.trim() !== '')
      ?.trim() ?? ''
  );
}
