import { FrameworkError } from './errors';
import type { OutputHandler } from './output-handler';

/**
 * The `json` output handler: the data as pretty-printed JSON (two spaces),
 * keys in the order the data gives them. A `Map` is written as an object, a
 * `Set` as an array, a `bigint` as a string of its digits; `undefined` alone is `null`.
 */
export const JsonOutput: OutputHandler = {
  name: 'json',
  render(data: unknown): string {
    try {
      return `${JSON.stringify(data, replace, 2) ?? 'null'}\n`;
    } catch (error) {
      throw new FrameworkError(
        `Cannot render the output as json: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}.`,
      );
    }
  },
};

function replace(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Map) return Object.fromEntries(value);
  if (value instanceof Set) return [...value];
  return value;
}
