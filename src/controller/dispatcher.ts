import type { App } from '../core/app';
import { FrameworkError } from '../core/errors';
import type { Template } from '../core/output-handler';
import { snakeCase } from './arg';
import { configLookup } from './config-lookup';
import { resolveController } from './controller-resolver';
import { globalArguments } from './global-arguments';
import { parseCommandLine } from './parser';
import { buildCommandTree, controllerLabel, controllerOptions } from './registry';
import type { ControllerNode, ParsedCommandLine } from './tree';

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
  applyToConfig(app, parsed);
  await app.hooks.run('post_argument_parsing', app);
  if (app.version !== undefined && parsed.pargs.version === true && parsed.pargs.help !== true) {
    app.stdout.write(`${app.label} ${app.version}\n`);
    return 0;
  }
  if (parsed.pargs.help === true || (!parsed.command && app.controllers.length > 0)) {
    const { formatHelp } = require('./help') as typeof import('./help');
    const options = { width: terminalWidth(app), version: app.version, defaults: parsed.configured };
    app.stdout.write(formatHelp(app.label, parsed.path, parsed.command, globals, options));
    return 0;
  }
  const command = parsed.command;
  if (!command) return 0;
  const instance = resolveController(app, command.controller as never) as Record<string, (args: unknown) => unknown>;
  app.log.debug(`running command '${command.label}' (${command.controller.name}.${command.method})`, 'controller');
  const result = await app.track(`command '${command.label}' never finished`, () => instance[command.method](parsed.pargs));
  if (typeof result === 'number') {
    if (Number.isInteger(result) && result >= 0 && result <= 255) return result;
    throw new FrameworkError(`Command '${command.label}' returned ${result}, which is not an exit code (0 to 255).`);
  }
  if (result !== undefined) await app.render<unknown>(result, { template: command.template as Template | undefined });
  return 0;
}

/**
 * Command-line values override config: an option given on the line whose dest
 * (or its snake_case form) is a key of its controller's config section replaces it.
 */
function applyToConfig(app: App, parsed: ParsedCommandLine): void {
  const levels: Function[] = parsed.path.map((node: ControllerNode) => node.controller);
  if (parsed.command) levels.push(parsed.command.controller);
  for (const controller of levels) {
    const options = controllerOptions(controller);
    if (!options?.configDefaults) continue;
    const section = controllerLabel(controller);
    for (const dest of parsed.given) {
      const key = [dest, snakeCase(dest)].find((name) => app.config.has(section, name));
      if (key) app.config.set(section, key, parsed.pargs[dest]);
    }
  }
}

function terminalWidth(app: App): number {
  const columns = (app.stdout as { columns?: number }).columns ?? Number(process.env.COLUMNS);
  return Number.isFinite(columns) && columns > 0 ? columns : 80;
}
