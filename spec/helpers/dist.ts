import { join, resolve } from 'node:path';

/** The repository root (this file runs from build/spec/helpers). */
export const ROOT = resolve(__dirname, '../../..');

/**
 * Loads a module of the compiled library that the public entry does not
 * export, e.g. `requireDist<typeof ExtensionModule>('core/extension')`, with
 * `import type * as ExtensionModule from '../../dist/core/extension'` for its
 * type. It is the same module instance `mortar` uses, so `instanceof` holds.
 */
export function requireDist<T>(path: string): T {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- dist/ is compiled apart from the specs: a path known at run time
  return require(join(ROOT, 'dist', path)) as T;
}
