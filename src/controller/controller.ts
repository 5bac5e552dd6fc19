import { CONTROLLER_KEY, type ControllerOptions } from './metadata';

/**
 * Marks a class as a controller: its `@Expose`d methods become commands.
 * The class is built by the app's dependency injection, so constructor
 * parameters (`App`, `Config`, `Logger`, services) are injected.
 */
export function Controller(options: ControllerOptions = {}): ClassDecorator {
  return (target) => {
    Object.defineProperty(target, CONTROLLER_KEY, { value: Object.freeze({ ...options }), configurable: true });
  };
}
