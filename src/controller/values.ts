/**
 * One value of an argument, from the text a user wrote (on the command line
 * or in a config file) to what the command receives: the argument's `type`,
 * then its `choices`. The caller words the failure for where the text came from.
 */
import type { ArgumentSpec, Nargs } from './metadata';
import { isUnsafeInteger, readFloat, readInteger } from './python-numbers';

/**
 * A converted value, or why the text is not one: a value of the wrong type (`expected`
 * says what was wanted, e.g. `an integer`), or none of the choices (`choices` lists them quoted).
 */
export type Conversion =
  | { readonly value: string | number }
  | { readonly expected: string; readonly choices?: undefined }
  | { readonly choices: string; readonly expected?: undefined };

/** Converts one value as written to the argument's type and checks it against its choices. */
export function convertValue(spec: Pick<ArgumentSpec, 'type' | 'choices'>, text: string): Conversion {
  let value: string | number = text;
  if (spec.type === 'integer') {
    const number = readInteger(text);
    if (number === undefined) {
      return {
        expected: isUnsafeInteger(text)
          ? `an integer from ${-Number.MAX_SAFE_INTEGER} to ${Number.MAX_SAFE_INTEGER}`
          : 'an integer',
      };
    }
    value = number;
  } else if (spec.type === 'number') {
    const number = readFloat(text);
    if (number === undefined) return { expected: 'a number' };
    value = number;
  }
  const { choices } = spec;
  if (choices && !choices.some((choice) => choice === value || String(choice) === String(value))) {
    return { choices: choices.map((choice) => `'${String(choice)}'`).join(', ') };
  }
  return { value };
}

/** The least and most values an argument takes; `undefined` nargs is one value. */
export function valueCount(spec: Pick<ArgumentSpec, 'nargs' | 'positional' | 'required'>): {
  min: number;
  max: number;
} {
  const nargs: Nargs | undefined = spec.nargs;
  if (nargs === undefined) return { min: spec.positional && !spec.required ? 0 : 1, max: 1 };
  if (nargs === '?') return { min: 0, max: 1 };
  if (nargs === '*') return { min: 0, max: Infinity };
  if (nargs === '+') return { min: 1, max: Infinity };
  return { min: nargs, max: nargs };
}

/** Whether the argument's value is an array of values (per occurrence, for `append`). */
export function isList(spec: Pick<ArgumentSpec, 'nargs'>): boolean {
  return spec.nargs === '*' || spec.nargs === '+' || typeof spec.nargs === 'number';
}

/** Whether an option takes values on the command line (`store`, `append` and `extend` do; flags, constants and counters do not). */
export function takesValue(spec: Pick<ArgumentSpec, 'action'>): boolean {
  return spec.action === 'store' || spec.action === 'append' || spec.action === 'extend';
}
