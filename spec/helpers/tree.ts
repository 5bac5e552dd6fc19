import type { CommandNode, ControllerNode } from '../../dist/controller/tree';

/** The class hand-made tree nodes point at when a spec does not care which. */
export class BaseController {}

/** A command node as the registry would build it, with `options` on top of empty defaults. */
export function command(label: string, options: Partial<CommandNode> = {}): CommandNode {
  return { label, aliases: [], hide: false, arguments: [], method: label, controller: BaseController, ...options };
}

/** A controller level as the registry would build it, with `options` on top of empty defaults. */
export function level(label: string, options: Partial<ControllerNode> = {}): ControllerNode {
  return {
    label,
    aliases: [],
    hide: false,
    arguments: [],
    commands: [],
    children: [],
    controller: BaseController,
    ...options,
  };
}
