/**
 * The command tree the registry builds from decorator metadata, and that the
 * parser, the help formatter and the dispatcher read. Plain data: no classes
 * are instantiated to build it, so help needs nothing but metadata.
 */
import type { Template } from '../core/output-handler';
import type { ArgumentSpec } from './metadata';

/** A controller class, whatever its constructor takes. */
export type ControllerClass = abstract new (...args: never[]) => unknown;

/** A runnable command: one `@Expose`d method. */
export interface CommandNode {
  /** The name typed on the command line. */
  readonly label: string;
  readonly aliases: readonly string[];
  readonly help?: string;
  readonly hide: boolean;
  /** The command's own arguments (options and positionals). */
  readonly arguments: readonly ArgumentSpec[];
  /** The template its returned data is rendered with, if any. */
  readonly template?: Template<never>;
  /** The method to call. */
  readonly method: string;
  /** The config section that fills its options when they are not given: its controller's label. Default: its level's. */
  readonly section?: string;
  /** The class that holds the method (for an embedded controller: that controller, not the parent level). */
  readonly controller: ControllerClass;
}

/** One level of the command line: the base controller or a nested one. */
export interface ControllerNode {
  readonly label: string;
  readonly aliases: readonly string[];
  readonly description?: string;
  /** One line shown next to this controller in its parent's command list. */
  readonly help?: string;
  readonly hide: boolean;
  /** This level's own arguments, including those of controllers embedded into it. */
  readonly arguments: readonly ArgumentSpec[];
  /** The config section that fills each of those options, for those of embedded controllers. Default: the level's label. */
  readonly sections?: ReadonlyMap<ArgumentSpec, string>;
  /** Commands at this level, including those of embedded controllers; may include hidden ones. */
  readonly commands: readonly CommandNode[];
  /** Nested controllers (`myapp <label> ...`). */
  readonly children: readonly ControllerNode[];
  readonly parent?: ControllerNode;
  /** The command run when this level is reached with no sub-command: a method named `default`. */
  readonly defaultCommand?: CommandNode;
  readonly controller: ControllerClass;
}

/** What the parser found on the command line. */
export interface ParsedCommandLine {
  /** The controller levels walked, base first; the last is where parsing ended. */
  readonly path: readonly ControllerNode[];
  /** The command to run, if one was named or the level has a default command. */
  readonly command?: CommandNode;
  /** Every argument of every level on the path, the command's and the global ones, by dest, with defaults filled in. */
  readonly pargs: Record<string, unknown>;
  /** The dests that were given on the command line (not filled from defaults). */
  readonly given: ReadonlySet<string>;
  /**
   * Option values taken from the config, by dest: those filling options not given on the line,
   * and, when help is asked for, those of every option (help shows them as the defaults).
   */
  readonly configured: ReadonlyMap<string, unknown>;
}
