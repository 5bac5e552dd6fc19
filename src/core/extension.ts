import { FrameworkError } from './errors';
import type { App } from './app';

/** An extension: a named object whose `load()` adds hooks, config defaults, members or options to an app. */
export interface Extension {
  /** A unique name; loading the same name twice is harmless (the second is skipped). */
  readonly name: string;
  /** Called once during `setup()`, after `pre_setup`. */
  load(app: App): void | Promise<void>;
}

const builtins = new Map<string, () => Extension>();

/**
 * Makes an extension loadable by name (`extensions: ['daemon']`). The loader
 * runs only when an app asks for that name, so unused extensions cost nothing.
 */
export function defineBuiltinExtension(name: string, loader: () => Extension): void {
  builtins.set(name, loader);
}

/** Turns a name or an extension object into an extension; an unknown name fails, listing the known ones. */
export function resolveExtension(spec: string | Extension): Extension {
  if (typeof spec !== 'string') {
    if (!spec || typeof spec.name !== 'string' || typeof spec.load !== 'function') {
      throw new FrameworkError(
        'An extension must be a built-in name or an object with a name and a load(app) function.',
      );
    }
    return spec;
  }
  const loader = builtins.get(spec);
  if (!loader) {
    const known = [...builtins.keys()].map((name) => `'${name}'`).join(', ') || 'none';
    throw new FrameworkError(`Unknown extension '${spec}' (known: ${known}).`);
  }
  return loader();
}
