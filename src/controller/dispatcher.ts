import type { App } from '../core/app';
import { FrameworkError } from '../core/errors';
import { lazy } from '../core/lazy';
import type { Template } from '../core/output-handler';
import type { ArgumentSpec } from './metadata';
import { configKey, configLookup } from './config-lookup';
import { resolveController } from './controller-resolver';
import { globalArguments } from './global-arguments';
import { configurableOptions, parseCommandLine } from './parser';
import { buildCommandTree } from './registry';
import type { ParsedCommandLine } from './tree';

const help = lazy<typeof import('./help')>(require, './help');

/** The command each app dispatched to, as typed: see {@link dispatchedCommand}. */
const dispatched = new WeakMap<App, string>();

/**
 * The command `run()` dispatched to, as a user types it (`'info'`, `'db migrate'`; the app's
 * label for the base level's default command), or undefined when none ran (help, `--version`,
 * a usage error). For messages about the command, such as the daemon's `--daemon has no effect`.
 */
export function dispatchedCommand(app: App): string | undefined {
  return dispatched.get(app);
}

/**
 * argv → parser → controller method. Prints help or the version when asked,
 * runs the command otherwise, and resolves to the exit code.
 */
export async function dispatch(app: App): Promise<number> {
  const tree = buildCommandTree(app.controllers);
  await app.hooks.run('pre_argument_parsing', app);
  const globals = globalArguments(app);
  const parsed = parseCommandLine(tree, app.argv, globals, app.label, { configValue: configLookup(app) });
  app.pargs = parsed.pargs;
  applyToConfig(app, parsed, globals);
  await app.hooks.run('post_argument_parsing', app);
  if (app.version !== undefined && parsed.pargs.version === true && parsed.pargs.help !== true) {
    app.stdout.write(`${app.label} ${app.version}\n`);
    return 0;
  }
  if (parsed.pargs.help === true || (!parsed.command && app.controllers.length > 0)) {
    const options = { width: terminalWidth(app), version: app.version, defaults: parsed.configured };
    app.stdout.write(help().formatHelp(app.label, parsed.path, parsed.command, globals, options));
    return 0;
  }
  const command = parsed.command;
  if (!command) return 0;
  const level = parsed.path[parsed.path.length - 1];
  const words = [
    ...parsed.path.slice(1).map((node) => node.label),
    ...(command === level.defaultCommand ? [] : [command.label]),
  ];
  dispatched.set(app, words.length > 0 ? words.join(' ') : app.label);
  const instance = resolveController(app, command.controller as never) as Record<string, (args: unknown) => unknown>;
  app.log.debug(`running command '${command.label}' (${command.controller.name}.${command.method})`, 'controller');
  const result = await app.track(`command '${command.label}' never finished`, () =>
    instance[command.method](parsed.pargs),
  );
  if (typeof result === 'number') {
    if (Number.isInteger(result) && result >= 0 && result <= 255) return result;
    throw new FrameworkError(`Command '${command.label}' returned ${result}, which is not an exit code (0 to 255).`, {
      code: 'mortar.invalidExitCode',
    });
  }
  if (result !== undefined) await app.render<unknown>(result, { template: command.template as Template | undefined });
  return 0;
}

/**
 * Command-line values override config: an option given on the line whose key (its dest in
 * snake_case, the key the config fills it from) is in its controller's section replaces that
 * value, whether the section comes from the controller's `configDefaults`, a file or the environment.
 */
function applyToConfig(app: App, parsed: ParsedCommandLine, globals: readonly ArgumentSpec[]): void {
  for (const [spec, section] of configurableOptions(parsed.path, parsed.command, globals)) {
    if (!parsed.given.has(spec.dest)) continue;
    const key = configKey(spec);
    if (app.config.has(section, key)) app.config.set(section, key, parsed.pargs[spec.dest]);
  }
}

function terminalWidth(app: App): number {
  const columns = (app.stdout as { columns?: number }).columns ?? Number(process.env.COLUMNS);
  return Number.isFinite(columns) && columns > 0 ? columns : 80;
}
