import type { App, Class } from '../core/app';
import { FrameworkError } from '../core/errors';
import { lazy } from '../core/lazy';
import { parameterTokens } from './injection-tokens';
import type { ControllerClass } from './tree';

/** The container is loaded only for a dependency the app does not provide itself. */
const tsyringe = lazy<typeof import('tsyringe')>(require, 'tsyringe');

const owners = new WeakMap<object, App>();
/** The code of the errors a controller that cannot be built throws. */
const INJECTION = 'mortar.cannotInject';

/** The app that built a controller instance (used by method decorators such as `@Daemonize`). */
export function appOf(instance: object): App | undefined {
  return owners.get(instance);
}

interface ReflectWithMetadata {
  getMetadata?(key: unknown, target: object): unknown;
}

/**
 * Builds a controller with its constructor dependencies. Each parameter is
 * injected by its explicit token (`@inject(TOKEN)`) or else by its type from
 * the decorator metadata tsc emits; explicit tokens need no metadata, so a
 * controller whose every parameter has one also works under esbuild-based
 * runners (tsx), which emit none. When every dependency is something the app
 * provides (App, Config, Logger, extension services) the class is constructed
 * directly; anything else goes through the app's tsyringe container, which is
 * only then loaded.
 */
export function resolveController<T extends object>(app: App, target: Class<T>): T {
  const reflect = Reflect as unknown as ReflectWithMetadata;
  const types = reflect.getMetadata?.('design:paramtypes', target) as unknown[] | undefined;
  const tokens = parameterTokens(target);
  const names = parameterNames(target);
  const what = `Cannot build controller ${target.name}`;
  const count = types?.length ?? Math.max(target.length, ...[...tokens.keys()].map((index) => index + 1));
  const dependencies: unknown[] = [];
  let direct = true;
  for (let index = 0; index < count; index++) {
    const parameter = `parameter '${names[index] ?? '?'}' (#${index})`;
    const explicit = tokens.get(index);
    if (explicit) {
      dependencies.push(explicit.token);
      direct &&= explicit.plain;
      continue;
    }
    if (!types) {
      // mortar installs a Reflect metadata API itself when none is loaded, so what is missing is the compiler's metadata.
      throw new FrameworkError(
        `${what}: ${parameter} has no @inject(TOKEN), and there is no type metadata to inject it by ` +
          `(tsc writes it with emitDecoratorMetadata; tsx and esbuild write none); give it an explicit @inject(TOKEN), ` +
          `or compile with tsc and emitDecoratorMetadata.`,
        { code: INJECTION },
      );
    }
    const type = types[index];
    if (type === undefined) {
      throw new FrameworkError(
        `${what}: ${parameter} has no runtime type (a circular import, or a class imported with 'import type').`,
        { code: INJECTION },
      );
    }
    if (type === Object || type === Number || type === String || type === Boolean || type === Array) {
      throw new FrameworkError(
        `${what}: ${parameter} is typed as an interface, union or primitive; inject it by token with @inject(TOKEN).`,
        { code: INJECTION },
      );
    }
    dependencies.push(type);
  }
  const providers = dependencies.map((token) => app.providerFor(token));
  if (direct && providers.every((provider) => provider !== undefined)) {
    const Target = target as unknown as new (...args: unknown[]) => T;
    return own(app, new Target(...providers.map((provider) => provider!())));
  }
  tsyringe().injectable()(target as unknown as new (...args: unknown[]) => T);
  try {
    return own(app, app.container.resolve(target as unknown as new (...args: unknown[]) => T));
  } catch (error) {
    const reason = (error instanceof Error ? error.message : String(error)).replace(/\s*\n\s*/g, ' ');
    throw new FrameworkError(`${what}: ${reason}`, { cause: error, code: INJECTION });
  }
}

function own<T extends object>(app: App, instance: T): T {
  owners.set(instance, app);
  return instance;
}

/** Constructor parameter names, read from the compiled source (best effort; used in error messages only). */
export function parameterNames(target: ControllerClass): string[] {
  const source = Function.prototype.toString.call(target);
  const match = /constructor\s*\(([^)]*)\)/.exec(source);
  if (!match) return [];
  return match[1]
    .split(',')
    .map((part) =>
      part
        .replace(/=.*$/s, '')
        .replace(/\/\*.*?\*\//gs, '')
        .trim(),
    )
    .filter(Boolean);
}
