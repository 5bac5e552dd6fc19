/**
 * Environments for running npm in specs the way a user's machine would:
 * without a C/C++ toolchain on PATH, and without the npm settings of the
 * script that runs the specs.
 */
import { mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Compiler and build-tool names node-gyp needs (`gcc-12`, `x86_64-linux-gnu-g++` included). */
const TOOLCHAIN = /^(?:.*-)?(?:make|gmake|cc|c89|c99|c\+\+|gcc|g\+\+|clang|clang\+\+|cpp)(?:-[\d.]+)?$/;

/**
 * Makes `dir` a directory of links to every command on `path` except
 * compilers and make, and returns it as a PATH: what a slim container or a
 * machine without build tools offers.
 */
export function pathWithoutToolchain(dir: string, path = process.env.PATH ?? '/usr/bin:/bin'): string {
  mkdirSync(dir, { recursive: true });
  const seen = new Set<string>();
  for (const directory of path.split(delimiter)) {
    let entries: string[];
    try {
      entries = readdirSync(directory);
    } catch {
      continue;
    }
    for (const name of entries) {
      if (seen.has(name) || TOOLCHAIN.test(name)) continue;
      seen.add(name);
      symlinkSync(join(directory, name), join(dir, name));
    }
  }
  return dir;
}

/** npm settings that a nested npm may inherit: where its cache is, which registry and certificates. */
const KEPT_NPM_SETTINGS = new Set([
  'npm_config_cache',
  'npm_config_registry',
  'npm_config_userconfig',
  'npm_config_globalconfig',
  'npm_config_cafile',
]);

/**
 * This process's environment for a nested `npm`, without the `npm_*`
 * variables that `npm test` sets for its script (the package being tested,
 * its lifecycle event, its prefix), which would otherwise steer the nested
 * npm, and with `extra` on top.
 */
export function npmEnv(extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (/^npm_/i.test(name) && !KEPT_NPM_SETTINGS.has(name.toLowerCase())) continue;
    env[name] = value;
  }
  return { ...env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false', ...extra };
}
