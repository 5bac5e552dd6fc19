import { appOf } from '../../controller/controller-resolver';
import { FrameworkError } from '../../core/errors';
import type { DaemonizeOptions } from './daemon-service';

/**
 * Daemonizes before the command runs: the same as calling
 * `DaemonService.daemonize(options)` first. Stack it under `@Expose()`.
 */
export function Daemonize(options: DaemonizeOptions = {}): MethodDecorator {
  return (prototype, method, descriptor) => {
    const original = descriptor.value as unknown;
    if (typeof original !== 'function') throw new TypeError(`@Daemonize() needs a method, not '${String(method)}'`);
    const where = `${prototype.constructor.name}.${String(method)}`;
    const wrapped = async function (this: object, ...args: unknown[]): Promise<unknown> {
      const app = appOf(this);
      if (!app?.hasExtension('daemon')) {
        throw new FrameworkError(
          app
            ? `@Daemonize on ${where} needs the daemon extension: add extensions: ['daemon'] to the app.`
            : `@Daemonize on ${where}: the controller was not built by an app.`,
        );
      }
      await app.daemonize(options);
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    };
    Object.defineProperty(wrapped, 'name', { value: String(method) });
    (descriptor as PropertyDescriptor).value = wrapped;
    return descriptor;
  };
}
