import type { App } from './app';
import type { Class } from './class';
import type { ConfigData } from './config';
import { FrameworkError } from './errors';

/**
 * What turns the command line into a command and runs it: the controller
 * layer plugs itself into every app through this interface, the way
 * extensions do, so that `src/core` needs nothing from `src/controller`.
 */
export interface CommandRunner {
  /** The config defaults the controller classes declare, by section; the app merges them under the config files. */
  configDefaults(controllers: readonly Class[]): ConfigData;
  /**
   * Parses the app's command line (between the `pre_argument_parsing` and
   * `post_argument_parsing` hooks) and does what it asks: help, the version,
   * or a command. Resolves to the exit code.
   */
  run(app: App): Promise<number>;
}

let loadRunner: (() => CommandRunner) | undefined;
let runner: CommandRunner | undefined;

/** Sets the command runner of every app; the loader runs when an app first needs it. */
export function defineCommandRunner(loader: () => CommandRunner): void {
  loadRunner = loader;
  runner = undefined;
}

/** The command runner, loaded on first use. */
export function commandRunner(): CommandRunner {
  if (!loadRunner)
    throw new FrameworkError("No command runner is defined: load the app through 'mortar', the public entry.");
  return (runner ??= loadRunner());
}
