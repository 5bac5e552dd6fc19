import { FrameworkError } from './errors';
import type { OutputHandler, RenderContext } from './output-handler';

/**
 * The `text` output handler, for people at a terminal:
 * - a string as it is; a number, boolean or date on a line of its own;
 * - an object as `key: value` lines, a nested object indented under its key;
 * - a list one item per line, and a list of flat objects (whose values are
 *   scalars or lists of scalars) as aligned columns under a header of their keys;
 * - nothing at all for `null`, `undefined`, an empty list or an empty object.
 *
 * A function template replaces this layout: it is called with the data and
 * its text is printed.
 */
export const TextOutput: OutputHandler = {
  name: 'text',
  render(data: unknown, { template }: RenderContext): string {
    let text: unknown;
    if (typeof template === 'function') text = template(data as never);
    else text = typeof data === 'string' ? data : layout(data, []).join('\n');
    if (typeof text !== 'string')
      throw new FrameworkError(`The text template returned ${describe(text)}, not a string.`);
    return text === '' || text.endsWith('\n') ? text : `${text}\n`;
  },
};

type Row = Record<string, unknown>;

function layout(value: unknown, parents: unknown[]): string[] {
  const data = normalize(value);
  if (isScalar(data)) {
    const text = scalarText(data);
    return text === '' ? [] : text.split('\n');
  }
  if (parents.includes(data)) throw new FrameworkError('Cannot render the output as text: it contains itself.');
  const inside = [...parents, data];
  if (Array.isArray(data)) {
    if (data.length > 0 && data.every(isFlatObject)) return table(data as Row[]);
    const items = data.map((item) => (isInline(normalize(item)) ? [inline(normalize(item))] : layout(item, inside)));
    // Items of several lines each are told apart by a blank line between them.
    return items.some((item) => item.length > 1)
      ? items.flatMap((item, index) => (index === 0 ? item : ['', ...item]))
      : items.flat();
  }
  const lines: string[] = [];
  for (const [key, raw] of entries(data as Row)) {
    const item = normalize(raw);
    if (isInline(item)) {
      const [first, ...rest] = inline(item).split('\n');
      lines.push(first === '' ? `${key}:` : `${key}: ${first}`, ...rest.map((line) => `  ${line}`));
    } else {
      lines.push(`${key}:`, ...layout(item, inside).map((line) => (line === '' ? line : `  ${line}`)));
    }
  }
  return lines;
}

/** Aligned columns under a header of every key; numbers are aligned right. */
function table(rows: readonly Row[]): string[] {
  const keys = [...new Set(rows.flatMap((row) => entries(row).map(([key]) => key)))];
  const cells = rows.map((row) =>
    keys.map((key) => inline(normalize(row[key])).replace(/\r?\n/g, '\\n').replace(/\t/g, ' ')),
  );
  const isNumeric = keys.map((key) =>
    rows.every((row) => row[key] == null || typeof row[key] === 'number' || typeof row[key] === 'bigint'),
  );
  const widths = keys.map((key, column) => Math.max(width(key), ...cells.map((row) => width(row[column]))));
  const line = (texts: readonly string[]): string =>
    texts
      .map((text, column) => {
        const padding = ' '.repeat(widths[column] - width(text));
        return isNumeric[column] ? padding + text : text + padding;
      })
      .join('  ')
      .trimEnd();
  return [line(keys), ...cells.map(line)];
}

/** What the data stands for: `toJSON()` where it has one (except dates), a Map as an object, a Set as a list. */
function normalize(value: unknown): unknown {
  if (value instanceof Date || value === null || typeof value !== 'object') return value;
  if (value instanceof Map) return Object.fromEntries(value);
  if (value instanceof Set) return [...value];
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  return typeof toJSON === 'function' ? (toJSON as () => unknown).call(value) : value;
}

/** Keys with something to show: like JSON, `undefined`, functions and symbols are left out. */
function entries(row: Row): [string, unknown][] {
  return Object.entries(row).filter(
    ([, value]) => value !== undefined && typeof value !== 'function' && typeof value !== 'symbol',
  );
}

function isScalar(value: unknown): boolean {
  return value === null || value instanceof Date || (typeof value !== 'object' && typeof value !== 'function');
}

function isInline(value: unknown): boolean {
  return isScalar(value) || (Array.isArray(value) && value.every((item) => isScalar(normalize(item))));
}

function isFlatObject(value: unknown): boolean {
  const data = normalize(value);
  return (
    data !== null &&
    typeof data === 'object' &&
    !Array.isArray(data) &&
    !(data instanceof Date) &&
    entries(data as Row).every(([, item]) => isInline(normalize(item)))
  );
}

function inline(value: unknown): string {
  return Array.isArray(value) ? value.map((item) => scalarText(normalize(item))).join(', ') : scalarText(value);
}

function scalarText(value: unknown): string {
  if (value === null || value === undefined || typeof value === 'function') return '';
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  return String(value);
}

/** Columns on a terminal, counted in code points. */
function width(text: string): number {
  return [...text].length;
}

function describe(value: unknown): string {
  return value === null ? 'null' : typeof value;
}
