import { EXPOSE_KEY, type ExposeList, type ExposeOptions } from './metadata';

/**
 * Makes a controller method a command. The method receives the parsed
 * arguments and may return a number, used as the exit code.
 */
export function Expose(options: ExposeOptions = {}): MethodDecorator {
  return (prototype, method) => {
    if (typeof method !== 'string') throw new TypeError('@Expose() needs a method with a string name');
    const target = prototype.constructor as unknown as Record<symbol, ExposeList>;
    if (Object.hasOwn(target, EXPOSE_KEY)) target[EXPOSE_KEY].push(method, options);
    else Object.defineProperty(target, EXPOSE_KEY, { value: [method, options], configurable: true });
  };
}
