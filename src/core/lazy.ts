/**
 * A module loaded the first time it is used rather than when the file that
 * names it loads, so a program pays only for what its command needs at start:
 *
 * ```ts
 * const help = lazy<typeof import('./help')>(require, './help');
 * // ... later, when help is printed:
 * help().formatHelp(...);
 * ```
 *
 * `load` is the calling module's own `require`, so `id` resolves from the
 * caller's file, as an inline `require` would: in the per-file build that is
 * Node's, and in the single-file build the one src/bundle/prologue.ts gives
 * each module. The type is the caller's to state; spec/core/lazy.spec.ts holds
 * `typeof import(ID)` to name the same module as `id`.
 *
 * The module is loaded once, by the first call; a load that throws (an
 * optional addon that is not installed) throws again on the next call, as
 * `require` does, so a caller that wants to remember the failure keeps that itself.
 */
export function lazy<T>(load: (id: string) => unknown, id: string): () => T {
  let loaded: { exports: T } | undefined;
  return () => (loaded ??= { exports: load(id) as T }).exports;
}
