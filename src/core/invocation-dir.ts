import { isAbsolute } from 'node:path';

/**
 * The variable through which a process started in another's place (a worker
 * of `[daemon] workers` that could not start in that directory) learns the
 * directory the program was started from. Taken out of the environment.
 */
export const INVOCATION_DIR_VARIABLE = 'MORTAR_INVOCATION_DIR';

/**
 * The directory the program was started from, against which relative paths
 * in config resolve: the working directory, unless the process that started
 * this one named another (an absolute path in `MORTAR_INVOCATION_DIR`).
 */
export function takeInvocationDir(env: NodeJS.ProcessEnv = process.env): string {
  const given = env[INVOCATION_DIR_VARIABLE];
  delete env[INVOCATION_DIR_VARIABLE];
  return given !== undefined && isAbsolute(given) ? given : process.cwd();
}
