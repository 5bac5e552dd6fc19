import { FrameworkError } from './errors';
import type { Logger } from './logger';
import type { PendingWork } from './pending-work';

/** A hook function: receives the app (or whatever the hook's runner passes) and may be async. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- so a function that takes (app: App) is a hook function: unknown[] would refuse it
export type HookFunction = (...args: any[]) => unknown;

/** Options of {@link HookManager.register}. */
export interface RegisterHookOptions {
  /** Lower weights run first; equal weights run in registration order. Default: 0. */
  weight?: number;
}

/** The hooks every app defines. */
export const BUILTIN_HOOKS = [
  'pre_setup',
  'post_setup',
  'pre_argument_parsing',
  'post_argument_parsing',
  'pre_run',
  'post_run',
  'pre_close',
  'post_close',
  'signal',
  'pre_reload',
  'reload',
  'post_reload',
  'pre_render',
  'post_render',
] as const;

interface Registration {
  readonly fn: HookFunction;
  readonly weight: number;
  readonly order: number;
}

/**
 * Named extension points. Hooks must be defined before functions are
 * registered to them, so a typo in a hook name fails loudly instead of never running.
 */
export class HookManager {
  private readonly hooks = new Map<string, Registration[]>();
  private registrations = 0;

  /**
   * @param pending Where each function being awaited is known by name (`hook 'post_setup' (fn)`),
   * so that one that never settles is named.
   */
  constructor(
    private readonly log?: Logger,
    private readonly pending?: PendingWork,
  ) {
    for (const name of BUILTIN_HOOKS) this.hooks.set(name, []);
  }

  /** Defines a new hook. Defining an existing one is an error. */
  define(name: string): void {
    if (this.hooks.has(name)) throw new FrameworkError(`Hook '${name}' is already defined.`);
    this.hooks.set(name, []);
  }

  /** Whether a hook of that name is defined. */
  defined(name: string): boolean {
    return this.hooks.has(name);
  }

  /** Whether any function is registered to the hook. */
  hasRegistrations(name: string): boolean {
    return (this.hooks.get(name)?.length ?? 0) > 0;
  }

  /** Registers a function to a defined hook. */
  register(name: string, fn: HookFunction, options: RegisterHookOptions = {}): void {
    const list = this.hooks.get(name);
    if (!list) {
      throw new FrameworkError(
        `Cannot register to unknown hook '${name}' (defined: ${[...this.hooks.keys()].join(', ')}).`,
      );
    }
    if (typeof fn !== 'function') throw new FrameworkError(`Hook '${name}' needs a function.`);
    const weight = options.weight ?? 0;
    if (!Number.isFinite(weight)) throw new FrameworkError(`Hook '${name}': weight must be a finite number.`);
    list.push({ fn, weight, order: this.registrations++ });
    list.sort((a, b) => a.weight - b.weight || a.order - b.order);
    this.log?.debug(`registering hook '${describe(fn)}' into hooks['${name}']`, 'core.hook');
  }

  /** Runs every function of a hook in weight order, awaiting each; resolves to their results. */
  async run(name: string, ...args: unknown[]): Promise<unknown[]> {
    const list = this.hooks.get(name);
    if (!list) throw new FrameworkError(`Cannot run unknown hook '${name}'.`);
    const results: unknown[] = [];
    for (const { fn } of [...list]) {
      results.push(await this.call(name, fn, args));
    }
    return results;
  }

  /**
   * Runs a hook as a pipeline over a value: each function, in weight order,
   * receives `args(value)`; a result other than `undefined` goes through
   * `accept` (which may refuse it by throwing) and replaces the value for the
   * next one. Resolves to the last value.
   */
  async pipe<T>(
    name: string,
    value: T,
    args: (value: T) => unknown[],
    accept: (result: unknown) => T = (result) => result as T,
  ): Promise<T> {
    const list = this.hooks.get(name);
    if (!list) throw new FrameworkError(`Cannot run unknown hook '${name}'.`);
    let current = value;
    for (const { fn } of [...list]) {
      const result: unknown = await this.call(name, fn, args(current));
      if (result !== undefined) current = accept(result);
    }
    return current;
  }

  private call(name: string, fn: HookFunction, args: unknown[]): unknown {
    this.log?.debug(`running hook '${name}' (${describe(fn)})`, 'core.hook');
    return this.pending
      ? this.pending.track(`hook '${name}' (${describe(fn)}) never settled`, () => fn(...args))
      : fn(...args);
  }
}

function describe(fn: HookFunction): string {
  return fn.name || '<anonymous>';
}
