import type { App } from '../core/app';
import { envName } from '../core/config';
import { snakeCase } from './arg';
import type { ArgumentSpec } from './metadata';
import type { ConfigValue } from './parser';

/** The config key an option is filled from and written back to: its dest in snake_case (`--dry-run` → `dry_run`). */
export function configKey(spec: ArgumentSpec): string {
  return snakeCase(spec.dest);
}

/**
 * Where options not given on the command line find their config values: the
 * key of the option's dest in snake_case (`--pid-file` → `pid_file`), in the
 * section of the controller that declares it (`base` for the base controller).
 * The app's config already holds code defaults, files (with `[DEFAULT]`) and
 * the environment; a variable `MYAPP_<SECTION>_<KEY>` for a section that
 * nothing else created is read here, since the config only takes variables
 * for sections it has.
 */
export function configLookup(app: App): (spec: ArgumentSpec, section: string) => ConfigValue | undefined {
  const prefix = envName(app.label);
  return (spec, section) => {
    const key = configKey(spec);
    const name = `[${section}] ${key}`;
    if (app.config.has(section, key)) {
      const origin = (): string => app.config.origin(section, key) ?? 'the config defaults in code';
      return { value: app.config.get(section, key), name, origin };
    }
    const variable = `${prefix}_${envName(section)}_${envName(key)}`;
    const value = app.config.has(section) ? undefined : process.env[variable];
    return value === undefined ? undefined : { value, name, origin: () => `environment variable ${variable}` };
  };
}
