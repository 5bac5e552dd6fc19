import { expect } from 'chai';
import type * as SuggestModule from '../../dist/controller/suggest';
import { requireDist } from '../helpers/dist';

// The compiled library: this spec runs from build/spec/controller, the library lives in dist/.
const { suggest } = requireDist<typeof SuggestModule>('controller/suggest');

describe('suggest', () => {
  const commands = ['run-forever', 'rf', 'status', 'db', 'database'];

  it('finds a name one typo away', () => {
    expect(suggest('dbb', commands)).to.equal('db');
    expect(suggest('statsu', commands)).to.equal('status');
    expect(suggest('run-forevr', commands)).to.equal('run-forever');
  });

  it('counts two swapped neighbours as one edit', () => {
    expect(suggest('stauts', commands)).to.equal('status');
    expect(suggest('--dbeug', ['--debug', '--daemon'])).to.equal('--debug');
    // Two characters allow one edit: a swap fits, two substitutions do not.
    expect(suggest('bd', ['db'])).to.equal('db');
  });

  it('allows one edit per three characters, and at least one', () => {
    expect(suggest('x', ['y'])).to.equal('y');
    expect(suggest('ab', ['xy'])).to.equal(undefined);
    // 'staXXs' is 2 edits from 'status': allowed for 6 characters (floor(6/3) = 2).
    expect(suggest('staXXs', commands)).to.equal('status');
    // 'stXXXs' is 3 edits: too far.
    expect(suggest('stXXXs', commands)).to.equal(undefined);
  });

  it('accepts a prefix that only one candidate starts with, however short', () => {
    expect(suggest('run-f', commands)).to.equal('run-forever');
    expect(suggest('--verb', ['--verbose', '--version'])).to.equal('--verbose');
  });

  it('ignores a prefix shared by several candidates unless one of them is close', () => {
    expect(suggest('--ver', ['--verbose', '--version'])).to.equal(undefined);
    expect(suggest('dat', ['database', 'datastore'])).to.equal(undefined);
    expect(suggest('dat', ['database', 'data'])).to.equal('data');
  });

  it('prefers the closest candidate over an earlier one or a unique prefix', () => {
    expect(suggest('migrat', ['migrate-all', 'migrate'])).to.equal('migrate');
    expect(suggest('dat', ['database', 'cat'])).to.equal('cat');
  });

  it('breaks a tie by the order of the candidates', () => {
    expect(suggest('--fo', ['--fox', '--foo'])).to.equal('--fox');
    expect(suggest('--fo', ['--foo', '--fox'])).to.equal('--foo');
  });

  it('returns an exact match as it is', () => {
    expect(suggest('db', commands)).to.equal('db');
  });

  it('treats a repeated candidate as one when judging prefixes', () => {
    expect(suggest('run-f', ['run-forever', 'run-forever'])).to.equal('run-forever');
  });

  it('returns undefined when nothing is close', () => {
    expect(suggest('deploy', commands)).to.equal(undefined);
    expect(suggest('x', [])).to.equal(undefined);
    expect(suggest('', commands)).to.equal(undefined);
  });

  it('is case-sensitive: a different case is an edit', () => {
    expect(suggest('DB', ['db'])).to.equal(undefined);
    expect(suggest('Status', ['status'])).to.equal('status');
  });
});
