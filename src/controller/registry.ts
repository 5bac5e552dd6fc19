import { FrameworkError } from '../core/errors';
import { kebabCase } from './arg';
import {
  CONTROLLER_KEY,
  EXPOSE_KEY,
  type ArgumentSpec,
  type ControllerOptions,
  type ExposeList,
  type ExposeOptions,
  type ExposeRecord,
} from './metadata';
import type { CommandNode, ControllerClass, ControllerNode } from './tree';

/**
 * One level of the tree. Its commands are read from the metadata only when
 * the level is first used, so an app with a thousand commands pays for the
 * few levels a command line walks through, not for all of them.
 */
class Level implements ControllerNode {
  readonly label: string;
  readonly aliases: readonly string[];
  readonly description?: string;
  readonly help?: string;
  readonly hide: boolean;
  readonly arguments: ArgumentSpec[];
  /** The config section of each argument that an embedded controller brought (the others use this level's label). */
  readonly sections = new Map<ArgumentSpec, string>();
  readonly children: Level[] = [];
  parent?: Level;
  /** Classes whose `@Expose`d methods are commands at this level: the controller, then those embedded into it. */
  readonly sources: ControllerClass[];
  private built?: { commands: readonly CommandNode[]; defaultCommand?: CommandNode };

  constructor(
    readonly controller: ControllerClass,
    options: ControllerOptions,
    label: string,
  ) {
    this.label = label;
    this.aliases = options.aliases ?? [];
    this.description = options.description;
    this.help = options.help ?? options.description?.split('\n')[0];
    this.hide = options.hide ?? false;
    this.arguments = [...(options.arguments ?? [])];
    this.sources = [controller];
  }

  get commands(): readonly CommandNode[] {
    return this.build().commands;
  }

  get defaultCommand(): CommandNode | undefined {
    return this.build().defaultCommand;
  }

  private build(): { commands: readonly CommandNode[]; defaultCommand?: CommandNode } {
    if (!this.built) {
      const commands = this.sources.flatMap((source) =>
        exposedMethods(source).map((record) => commandOf(source, record)),
      );
      checkNames(this, commands);
      this.built = { commands, defaultCommand: commands.find((command) => command.method === 'default') };
    }
    return this.built;
  }
}

/** The `@Controller` options of a class, or undefined when it is not a controller. */
export function controllerOptions(target: ControllerClass): ControllerOptions | undefined {
  return Object.hasOwn(target, CONTROLLER_KEY)
    ? (target as unknown as Record<symbol, ControllerOptions>)[CONTROLLER_KEY]
    : undefined;
}

/** The label a controller answers to. */
export function controllerLabel(target: ControllerClass): string {
  const options = controllerOptions(target);
  return options?.label ?? (kebabCase(target.name.replace(/Controller$/, '')) || 'base');
}

/** Every `@Expose` record of a class and its ancestors; a subclass's record wins for the same method. */
export function exposedMethods(target: ControllerClass): ExposeRecord[] {
  const byMethod = new Map<string, ExposeRecord>();
  for (let cls: ControllerClass | null = target; cls && cls !== Function.prototype; cls = Object.getPrototypeOf(cls)) {
    if (!Object.hasOwn(cls, EXPOSE_KEY)) continue;
    const list = (cls as unknown as Record<symbol, ExposeList>)[EXPOSE_KEY];
    for (let i = 0; i < list.length; i += 2) {
      const method = list[i] as string;
      if (!byMethod.has(method)) byMethod.set(method, { ...(list[i + 1] as ExposeOptions), method });
    }
  }
  return [...byMethod.values()];
}

/**
 * Every flag the controllers declare, at any level or command, with the
 * controller that declares it (first one wins). Reads metadata only.
 */
export function declaredFlags(controllers: readonly ControllerClass[]): Map<string, string> {
  const flags = new Map<string, string>();
  for (const target of controllers) {
    const specs = [
      ...(controllerOptions(target)?.arguments ?? []),
      ...exposedMethods(target).flatMap((record) => record.arguments ?? []),
    ];
    for (const spec of specs)
      for (const flag of spec.positional ? [] : spec.flags) if (!flags.has(flag)) flags.set(flag, target.name);
  }
  return flags;
}

/**
 * Builds the command tree from controller classes, reading metadata only
 * (nothing is instantiated). Mistakes in the declarations (unknown
 * `stackedOn`, duplicate names, cycles) are {@link FrameworkError}s naming
 * the controllers involved.
 */
export function buildCommandTree(controllers: readonly ControllerClass[]): ControllerNode {
  const nodes = new Map<string, { node: Level; options: ControllerOptions }>();
  for (const target of controllers) {
    const options = controllerOptions(target);
    if (!options)
      throw new FrameworkError(`${target.name || 'A class'} is not a controller: decorate it with @Controller().`, {
        code: 'mortar.invalidDeclaration',
      });
    const label = controllerLabel(target);
    const clash = nodes.get(label);
    if (clash)
      throw new FrameworkError(
        `Controllers ${clash.node.controller.name} and ${target.name} both use the label '${label}'.`,
        { code: 'mortar.invalidDeclaration' },
      );
    nodes.set(label, { node: new Level(target, options, label), options });
  }
  const base = nodes.get('base')?.node ?? emptyBase();
  // Attach every controller to the level it stacks on; embedded ones hand their commands and arguments up.
  const levelOf = (label: string, seen: string[] = []): Level => {
    const entry = nodes.get(label);
    if (!entry || label === 'base') return base;
    if (seen.includes(label))
      throw new FrameworkError(`Controllers stack on each other in a cycle: ${[...seen, label].join(' \u2192 ')}.`, {
        code: 'mortar.invalidDeclaration',
      });
    if ((entry.options.stackedType ?? 'nested') === 'nested') return entry.node;
    return levelOf(parentLabel(entry.node, entry.options, nodes), [...seen, label]);
  };
  for (const [label, { node, options }] of nodes) {
    if (label === 'base') continue;
    const parent = levelOf(parentLabel(node, options, nodes), [label]);
    if ((options.stackedType ?? 'nested') === 'nested') {
      node.parent = parent;
      parent.children.push(node);
    } else {
      parent.arguments.push(...node.arguments);
      for (const spec of node.arguments) parent.sections.set(spec, label);
      parent.sources.push(...node.sources);
    }
  }
  const reachable = new Set(walk(base));
  const lost = [...nodes.values()].filter(
    ({ node, options }) =>
      (options.stackedType ?? 'nested') === 'nested' && node.label !== 'base' && !reachable.has(node),
  );
  if (lost.length > 0) {
    throw new FrameworkError(
      `Controllers stack on each other in a cycle: ${lost.map(({ node }) => node.controller.name).join(', ')}.`,
      { code: 'mortar.invalidDeclaration' },
    );
  }
  return base;
}

function parentLabel(node: Level, options: ControllerOptions, nodes: Map<string, unknown>): string {
  const label = options.stackedOn ?? 'base';
  if (label !== 'base' && !nodes.has(label)) {
    throw new FrameworkError(`Controller ${node.controller.name} is stacked on unknown controller '${label}'.`, {
      code: 'mortar.invalidDeclaration',
    });
  }
  if (label === node.label)
    throw new FrameworkError(`Controller ${node.controller.name} is stacked on itself.`, {
      code: 'mortar.invalidDeclaration',
    });
  return label;
}

function commandOf(target: ControllerClass, record: ExposeRecord): CommandNode {
  if (typeof (target.prototype as Record<string, unknown>)[record.method] !== 'function') {
    throw new FrameworkError(`@Expose on ${target.name}.${record.method}: not a method.`, {
      code: 'mortar.invalidDeclaration',
    });
  }
  return Object.freeze({
    label: record.label ?? kebabCase(record.method),
    aliases: record.aliases ?? [],
    help: record.help,
    hide: record.hide ?? false,
    arguments: record.arguments ?? [],
    template: record.template,
    method: record.method,
    controller: target,
    section: controllerLabel(target),
  });
}

function emptyBase(): Level {
  class Base {}
  return new Level(Base, {}, 'base');
}

function* walk(node: Level): Generator<Level> {
  yield node;
  for (const child of node.children) yield* walk(child);
}

function checkNames(node: Level, commands: readonly CommandNode[]): void {
  const owners = new Map<string, string>();
  const claim = (name: string, owner: string): void => {
    const previous = owners.get(name);
    if (previous) {
      throw new FrameworkError(`'${name}' names both ${previous} and ${owner} under '${node.label}'.`, {
        code: 'mortar.invalidDeclaration',
      });
    }
    owners.set(name, owner);
  };
  for (const command of commands) {
    const owner = `command ${command.controller.name}.${command.method}`;
    for (const name of [command.label, ...command.aliases]) claim(name, owner);
  }
  for (const child of node.children) {
    for (const name of [child.label, ...child.aliases]) claim(name, `controller ${child.controller.name}`);
  }
}
