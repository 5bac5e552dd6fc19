import { expect } from 'chai';
import { FrameworkError, type App } from 'mortar';
import type * as TextOutputModule from '../../dist/core/text-output';
import { requireDist } from '../helpers/dist';

const { TextOutput } = requireDist<typeof TextOutputModule>('core/text-output');

/** The handler's text for some data, with an optional template. */
function text(data: unknown, template?: (data: never) => string): string {
  return TextOutput.render(data, { app: {} as App, template }) as string;
}

describe('the text output handler', () => {
  it('prints a string as it is, ending with a newline', () => {
    expect(text('hello')).to.equal('hello\n');
    expect(text('two\nlines\n')).to.equal('two\nlines\n');
    expect(text('')).to.equal('');
  });

  it('prints numbers, booleans, bigints and dates on a line of their own, and nothing for null or undefined', () => {
    expect(text(42)).to.equal('42\n');
    expect(text(false)).to.equal('false\n');
    expect(text(12345678901234567890n)).to.equal('12345678901234567890\n');
    expect(text(new Date(Date.UTC(2026, 10, 24, 3, 27, 42)))).to.equal('2026-11-24T03:27:42.000Z\n');
    expect(text(null)).to.equal('');
    expect(text(undefined)).to.equal('');
  });

  it('prints a list of scalars one item a line', () => {
    expect(text(['a', 2, true])).to.equal('a\n2\ntrue\n');
    expect(text([])).to.equal('');
    expect(text(new Set(['x', 'y']))).to.equal('x\ny\n');
  });

  it('prints an object as key: value lines, in the order of its keys, lists inline and nested objects indented', () => {
    const data = {
      name: 'web',
      port: 8080,
      tags: ['a', 'b'],
      owner: { user: 'www', groups: { main: 'www' } },
      none: null,
      skipped: undefined,
    };
    expect(text(data)).to.equal(
      [
        'name: web',
        'port: 8080',
        'tags: a, b',
        'owner:',
        '  user: www',
        '  groups:',
        '    main: www',
        'none:',
        '',
      ].join('\n'),
    );
    expect(text(new Map([['k', 'v']]))).to.equal('k: v\n');
    expect(text({})).to.equal('');
  });

  it('indents the following lines of a value that has several', () => {
    expect(text({ motd: 'one\ntwo', after: 1 })).to.equal('motd: one\n  two\nafter: 1\n');
  });

  it('aligns a list of flat objects in columns under a header of every key, numbers to the right', () => {
    const rows = [
      { id: 1, title: 'buy milk', tags: ['home', 'shop'] },
      { id: 12, title: 'write a report', done: true },
    ];
    expect(text(rows)).to.equal(
      [
        'id  title           tags        done',
        ' 1  buy milk        home, shop',
        '12  write a report              true',
        '',
      ].join('\n'),
    );
  });

  it('keeps a table on its lines: newlines and tabs inside a cell are shown, not obeyed', () => {
    expect(text([{ a: 'x\ny', b: 'p\tq' }])).to.equal('a     b\nx\\ny  p q\n');
  });

  it('prints a list of nested objects as blocks separated by a blank line', () => {
    expect(
      text([
        { name: 'a', owner: { user: 'u' } },
        { name: 'b', owner: { user: 'v' } },
      ]),
    ).to.equal('name: a\nowner:\n  user: u\n\nname: b\nowner:\n  user: v\n');
  });

  it('uses toJSON() where the data has one', () => {
    class Money {
      constructor(private readonly cents: number) {}
      toJSON(): string {
        return `${(this.cents / 100).toFixed(2)} EUR`;
      }
    }
    expect(text({ price: new Money(1250) })).to.equal('price: 12.50 EUR\n');
  });

  it('refuses data that contains itself, as a FrameworkError', () => {
    const loop: Record<string, unknown> = { name: 'loop' };
    loop.self = { again: loop };
    expect(() => text(loop)).to.throw(FrameworkError, 'Cannot render the output as text: it contains itself.');
  });

  it('prints what a function template returns instead of its own layout, ending it with a newline', () => {
    const template = (items: string[]) => items.map((item) => `* ${item}`).join('\n');
    expect(text(['a', 'b'], template as (data: never) => string)).to.equal('* a\n* b\n');
    expect(text([], (() => '') as (data: never) => string)).to.equal('');
  });

  it('refuses a template that returns something other than a string', () => {
    expect(() => text(1, (() => 7) as unknown as (data: never) => string)).to.throw(
      FrameworkError,
      'The text template returned number, not a string.',
    );
  });
});
