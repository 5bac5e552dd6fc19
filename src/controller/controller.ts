import { FrameworkError } from '../core/errors';
import { CONTROLLER_KEY, type ControllerOptions } from './metadata';

/**
 * Marks a class as a controller: its `@Expose`d methods become commands.
 * The class is built by the app's dependency injection, so constructor
 * parameters (`App`, `Config`, `Logger`, services) are injected.
 *
 * A controller's positional arguments are read before its command name
 * (`myapp <env> deploy`), so each must take a fixed number of values: one
 * declared with `nargs` `'?'`, `'*'` or `'+'`, or left optional, would make
 * the command name ambiguous, and throws a {@link FrameworkError} here.
 */
export function Controller(options: ControllerOptions = {}): ClassDecorator {
  return (target) => {
    for (const spec of options.arguments ?? []) {
      if (spec.positional && (!spec.required || (spec.nargs !== undefined && typeof spec.nargs !== 'number'))) {
        const what = spec.nargs === undefined ? 'is optional' : `has nargs '${String(spec.nargs)}'`;
        throw new FrameworkError(
          `@Controller on ${target.name}: positional argument '${spec.flags[0]}' ${what}, but a controller's positional ` +
            `arguments come before its command name and must take a fixed number of values; declare it on a command instead.`,
          { code: 'mortar.invalidDeclaration' },
        );
      }
    }
    Object.defineProperty(target, CONTROLLER_KEY, { value: Object.freeze({ ...options }), configurable: true });
  };
}
