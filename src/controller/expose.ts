import { EXPOSE_KEY, type ExposeOptions, type ExposeRecord } from './metadata';

/**
 * Makes a controller method a command. The method receives the parsed
 * arguments and may return a number, used as the exit code.
 */
export function Expose(options: ExposeOptions = {}): MethodDecorator {
  return (prototype, method) => {
    if (typeof method !== 'string') throw new TypeError('@Expose() needs a method with a string name');
    const target = prototype.constructor;
    const own: ExposeRecord[] = Object.hasOwn(target, EXPOSE_KEY) ? (target as unknown as Record<symbol, ExposeRecord[]>)[EXPOSE_KEY] : [];
    if (!Object.hasOwn(target, EXPOSE_KEY)) Object.defineProperty(target, EXPOSE_KEY, { value: own, configurable: true });
    own.push(Object.freeze({ ...options, method }));
  };
}
