import { expect } from 'chai';
import { FrameworkError, type App } from 'mortar';
import type * as JsonOutputModule from '../../dist/core/json-output';
import { requireDist } from '../helpers/dist';

const { JsonOutput } = requireDist<typeof JsonOutputModule>('core/json-output');

function json(data: unknown): string {
  return JsonOutput.render(data, { app: {} as App }) as string;
}

describe('the json output handler', () => {
  it('pretty-prints with two spaces, keys in the order the data gives them, and a final newline', () => {
    expect(json({ zeta: 1, alpha: [true, null], mid: { b: 'x', a: 'y' } })).to.equal(
      '{\n  "zeta": 1,\n  "alpha": [\n    true,\n    null\n  ],\n  "mid": {\n    "b": "x",\n    "a": "y"\n  }\n}\n',
    );
  });

  it('writes scalars as JSON values, and undefined alone as null', () => {
    expect(json('text')).to.equal('"text"\n');
    expect(json(3.5)).to.equal('3.5\n');
    expect(json(null)).to.equal('null\n');
    expect(json(undefined)).to.equal('null\n');
  });

  it('writes a Map as an object, a Set as an array and a bigint as its digits, where JSON.stringify would lose or refuse them', () => {
    expect(JSON.parse(json({ m: new Map([['a', 1]]), s: new Set([1, 2]), big: 12345678901234567890n }))).to.deep.equal({
      m: { a: 1 },
      s: [1, 2],
      big: '12345678901234567890',
    });
  });

  it('refuses data that contains itself, as a FrameworkError of one line', () => {
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    expect(() => json(loop)).to.throw(
      FrameworkError,
      /^Cannot render the output as json: Converting circular structure to JSON\.?/,
    );
    try {
      json(loop);
    } catch (error) {
      expect((error as Error).message).not.to.include('\n');
    }
  });
});
