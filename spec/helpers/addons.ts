/**
 * The optional native addons (`posix`, `unix-dgram`) as the specs meet them:
 * whether this process can load one, and the module itself.
 */
type Addon = 'posix' | 'unix-dgram';

/** Loads an optional addon; throws when it is not installed or was built for another Node. */
export function loadAddon<T>(name: Addon): T {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- optional: a static import would fail every spec that imports this file where it is missing
  return require(name) as T;
}

/** Why an optional addon cannot be loaded in this process, or undefined when it can. */
export function addonUnavailable(name: Addon): string | undefined {
  try {
    loadAddon(name);
    return undefined;
  } catch (error) {
    return `the optional ${name} addon cannot be loaded (${(error as Error).message.split('\n')[0]})`;
  }
}
