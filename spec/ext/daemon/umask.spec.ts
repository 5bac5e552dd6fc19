import { expect } from 'chai';
import type * as UmaskModule from '../../../dist/ext/daemon/umask';
import { requireDist } from '../../helpers/dist';

// The compiled library: this spec runs from build/spec/ext/daemon, the library lives in dist/.
const { parseUmask } = requireDist<typeof UmaskModule>('ext/daemon/umask');

describe('parseUmask', () => {
  it('reads a config string as octal, however it is written', () => {
    for (const text of ['027', '0027', '0o027', '0O027', '27', ' 027 ', '00000027']) {
      expect(parseUmask(text), text).to.equal(0o027);
    }
  });

  it('reads the INI value `umask = 027` (the string "027") as 0o027, not 27', () => {
    expect(parseUmask('027')).to.equal(23);
  });

  it('reads a one-digit and the full range of strings', () => {
    expect(parseUmask('0')).to.equal(0);
    expect(parseUmask('7')).to.equal(0o7);
    expect(parseUmask('022')).to.equal(0o022);
    expect(parseUmask('777')).to.equal(0o777);
    expect(parseUmask('0o777')).to.equal(0o777);
  });

  it('takes a number as it is', () => {
    expect(parseUmask(23)).to.equal(0o027);
    expect(parseUmask(0o027)).to.equal(0o027);
    expect(parseUmask(0)).to.equal(0);
    expect(parseUmask(0o777)).to.equal(0o777);
  });

  it('refuses garbage, negatives, values above 777, digits 8 and 9, and empty values', () => {
    const bad: unknown[] = [
      '',
      ' ',
      '0o',
      'abc',
      '02x',
      '0x1f',
      '-1',
      '-027',
      '1000',
      '0o1000',
      '08',
      '9',
      '027.0',
      '0b11',
      -1,
      0o1000,
      1.5,
      Number.NaN,
      Infinity,
      undefined,
      null,
      true,
      {},
      [],
    ];
    for (const value of bad) {
      expect(() => parseUmask(value), String(value)).to.throw(/^Invalid umask '.*': expected an octal value/);
    }
  });

  it('says which value is wrong and how to write it, as a FrameworkError (exit 1)', () => {
    let caught: unknown;
    try {
      parseUmask('089');
    } catch (error) {
      caught = error;
    }
    expect(caught).to.be.instanceOf(Error);
    expect((caught as Error).name).to.equal('FrameworkError');
    expect((caught as { exitCode: number }).exitCode).to.equal(1);
    expect((caught as Error).message).to.equal("Invalid umask '089': expected an octal value like 027 (0 to 777).");
  });
});
