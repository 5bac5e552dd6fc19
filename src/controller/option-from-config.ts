/**
 * A config value as the value of the option it fills. Values from files and the
 * environment are text (or `true`/`false`), values from code defaults may be of
 * any type; each is converted by the option's `type` and checked against its
 * `choices` exactly as a value typed on the command line.
 *
 * - a flag (`store_true`/`store_false`/`boolean_optional`) takes what `Config.getBoolean()` takes
 *   (`true`/`false`, `yes`/`no`, `on`/`off`, `1`/`0`): the value its dest gets;
 * - a constant (`store_const`/`append_const`) takes a boolean too: true is the flag given once
 *   (`const`, or `[const]`), false is not set;
 * - a counter (`count`) takes a whole number of at least 0;
 * - an option with several values (`append`, `extend`, `nargs` `'*'`, `'+'` or a number)
 *   takes one value per line (a multi-line value), or an array from code;
 * - an empty value counts as not set, so the option keeps its own default.
 */
import { isUnset, toBoolean, toList } from '../core/config-value';
import type { ArgumentSpec } from './metadata';
import { readInteger } from './python-numbers';
import { convertValue, isList, valueCount } from './values';

/** The value an option gets (`undefined`: not set), or what is wrong with the text. */
export type OptionFromConfig = { readonly value: unknown } | { readonly problem: string; readonly text: string };

/** Converts a config value for an option (see the module's comment for the rules). */
export function optionFromConfig(spec: ArgumentSpec, raw: unknown): OptionFromConfig {
  if (isUnset(raw)) return { value: undefined };
  if (spec.action === 'store_true' || spec.action === 'store_false' || spec.action === 'boolean_optional') {
    const value = toBoolean(raw);
    return value === undefined ? { problem: BOOLEAN_EXPECTED, text: String(raw) } : { value };
  }
  if (spec.action === 'store_const' || spec.action === 'append_const') {
    // true: as if the flag were given once; false: not set.
    const value = toBoolean(raw);
    if (value === undefined) return { problem: BOOLEAN_EXPECTED, text: String(raw) };
    if (!value) return { value: undefined };
    return { value: spec.action === 'store_const' ? spec.const : [spec.const] };
  }
  if (spec.action === 'extend') {
    return listOf(Array.isArray(raw) ? raw : (toList(raw) ?? []), (item) => one(spec, item));
  }
  if (spec.action === 'count') {
    const value = typeof raw === 'number' ? raw : typeof raw === 'string' ? readInteger(raw) : undefined;
    const isValid = value !== undefined && Number.isSafeInteger(value) && value >= 0;
    return isValid ? { value } : { problem: 'expected a whole number of at least 0', text: String(raw) };
  }
  if (spec.action === 'append' && isList(spec)) {
    const groups = Array.isArray(raw) ? raw : (toList(raw) ?? []).map((line) => line.split(/\s+/));
    return listOf(groups, (group) => several(spec, Array.isArray(group) ? group : [group]));
  }
  if (spec.action === 'append' || isList(spec)) {
    const items = Array.isArray(raw) ? raw : (toList(raw) ?? []);
    return spec.action === 'append' ? listOf(items, (item) => one(spec, item)) : several(spec, items);
  }
  return one(spec, raw);
}

const BOOLEAN_EXPECTED = 'expected true or false (or yes/no, on/off, 1/0)';

/** The values of one occurrence of an option with several, checked against its nargs. */
function several(spec: ArgumentSpec, items: readonly unknown[]): OptionFromConfig {
  const { min, max } = valueCount(spec);
  if (items.length < min || items.length > max) {
    const wanted = min === max ? `${min} value${min === 1 ? '' : 's'}` : `at least ${min} value${min === 1 ? '' : 's'}`;
    return { problem: `expected ${wanted}, one per line`, text: items.map(String).join('\n') };
  }
  return listOf(items, (item) => one(spec, item));
}

function listOf(items: readonly unknown[], convert: (item: unknown) => OptionFromConfig): OptionFromConfig {
  const values: unknown[] = [];
  for (const item of items) {
    const result = convert(item);
    if ('problem' in result) return result;
    values.push(result.value);
  }
  return { value: values };
}

/** One value: text is read as if typed on the command line; a number from code must already fit. */
function one(spec: ArgumentSpec, raw: unknown): OptionFromConfig {
  if (typeof raw !== 'string' && typeof raw !== 'number' && typeof raw !== 'boolean') {
    return {
      problem: `expected ${spec.type === 'string' ? 'text' : spec.type === 'integer' ? 'an integer' : 'a number'}`,
      text: String(raw),
    };
  }
  const text = String(raw);
  if (typeof raw === 'number' && spec.type !== 'string') {
    if (spec.type === 'integer' && !Number.isSafeInteger(raw)) return { problem: 'expected an integer', text };
    const checked = convertValue({ ...spec, type: 'string' }, text);
    return 'value' in checked ? { value: raw } : { problem: `choose from ${checked.choices}`, text };
  }
  const result = convertValue(spec, text);
  if ('value' in result) return result;
  return {
    problem: result.choices === undefined ? `expected ${result.expected}` : `choose from ${result.choices}`,
    text,
  };
}
