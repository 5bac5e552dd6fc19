/**
 * Units that run spec/fixtures/systemd/supervised.js (a service that
 * misbehaves as its environment asks) in a {@link SystemdSandbox}, each with a
 * directory of its own for its pid file and first-run flag.
 *
 * ```ts
 * const unit = await addSupervisedUnit(systemd, { type: 'notify', directives: ['WatchdogSec=2'], env: { BLOCK_MS: '5000' } });
 * ```
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { addonUnavailable } from './addons';
import { SystemdSandbox } from './systemd';

/** The compiled fixture (this file runs from build/spec/helpers). */
export const SUPERVISED = resolve(__dirname, '../fixtures/systemd/supervised.js');

/** How a unit runs the fixture. */
export interface SupervisedUnitOptions {
  readonly type: 'notify' | 'forking' | 'simple';
  /** Whether it runs with --daemon (always with Type=forking). */
  readonly detach?: boolean;
  /** More `[Service]` directives, e.g. `WatchdogSec=2`. */
  readonly directives?: readonly string[];
  /** The fixture's environment (see its header). */
  readonly env?: Readonly<Record<string, string>>;
}

/** A unit added to the sandbox: its name, its directory, its pid file and first-run flag. */
export interface SupervisedUnit {
  readonly name: string;
  readonly dir: string;
  readonly pidFile: string;
  readonly flagFile: string;
}

let count = 0;

/** Writes the unit (not started). */
export async function addSupervisedUnit(
  systemd: SystemdSandbox,
  options: SupervisedUnitOptions,
): Promise<SupervisedUnit> {
  const detach = options.detach ?? options.type === 'forking';
  const name = `supervised-${options.type}${detach ? '-daemon' : ''}-${++count}.service`;
  const dir = join(systemd.dir, name);
  mkdirSync(dir);
  const pidFile = join(dir, 'supervised.pid');
  const flagFile = join(dir, 'first-run');
  const env = { FLAG_FILE: flagFile, ...(detach ? { SUPERVISED_DAEMON_PID_FILE: pidFile } : {}), ...options.env };
  const lines = [
    '[Unit]',
    `Description=mortar spec ${name}`,
    '[Service]',
    `Type=${options.type}`,
    `ExecStart=${process.execPath} ${SUPERVISED} serve${detach ? ' --daemon' : ''}`,
    ...(options.type === 'forking' ? [`PIDFile=${pidFile}`] : []),
    ...Object.entries(env).map(([key, value]) => `Environment="${key}=${value}"`),
    ...(options.directives ?? []),
  ];
  await systemd.addUnit(name, `${lines.join('\n')}\n`);
  return { name, dir, pidFile, flagFile };
}

/** Why the optional unix-dgram addon (mortar's sd_notify transport) cannot be loaded, or undefined when it can. */
export function notifyUnavailable(): string | undefined {
  return addonUnavailable('unix-dgram');
}

/** Boots a sandbox for a spec file, or skips it saying why (no root, no systemd, no unix-dgram). */
export async function bootOrSkip(context: Mocha.Context): Promise<SystemdSandbox | undefined> {
  const reason = SystemdSandbox.unavailable() ?? notifyUnavailable();
  if (reason) {
    process.stdout.write(`      (skipped: ${reason})\n`);
    context.skip();
  }
  return SystemdSandbox.boot({ mask: ['/etc/supervised'] });
}
