import { expect } from 'chai';
import { Controller, FrameworkError, arg, type ArgumentOptions } from 'mortar';

/** The message of the FrameworkError a declaration throws. */
function declarationError(declare: () => unknown): string {
  try {
    declare();
  } catch (error) {
    expect(error).to.be.instanceOf(FrameworkError);
    return (error as Error).message;
  }
  throw new Error('expected the declaration to throw');
}

describe('arg()', () => {
  it('fills in dest, metavar, required and the defaults of each action', () => {
    expect(arg(['-p', '--pid-file'])).to.include({
      dest: 'pidFile',
      metavar: 'PID_FILE',
      required: false,
      positional: false,
      action: 'store',
    });
    expect(arg(['-C'])).to.include({ dest: 'C', metavar: 'C' });
    expect(arg('file_name')).to.include({ dest: 'fileName', metavar: 'file_name', required: true, positional: true });
    expect(arg(['-v'], { action: 'count' }).default).to.equal(0);
    expect(arg(['--yes'], { action: 'store_true' }).default).to.equal(false);
    expect(arg(['--no-cache'], { action: 'store_false' }).default).to.equal(true);
  });

  it('makes nargs decide whether a positional is required, as argparse does', () => {
    expect(arg('files', { nargs: '+' }).required).to.equal(true);
    expect(arg('pair', { nargs: 2 }).required).to.equal(true);
    expect(arg('files', { nargs: '*' }).required).to.equal(false);
    expect(arg('file', { nargs: '?' }).required).to.equal(false);
    expect(arg('file', { default: 'x' }).required).to.equal(false);
  });

  it('reads a string default of a typed argument as a typed-in value (argparse: type is applied to string defaults)', () => {
    expect(arg(['--port'], { type: 'integer', default: '8080' }).default).to.equal(8080);
    expect(arg(['--ratio'], { type: 'number', default: 'inf' }).default).to.equal(Infinity);
    expect(arg(['--names'], { nargs: '+', default: 'a' }).default).to.equal('a');
    expect(declarationError(() => arg(['--port'], { type: 'integer', default: 'http' }))).to.equal(
      "arg('--port'): default 'http' is not an integer",
    );
  });

  it('refuses an unknown option key, suggesting the close one', () => {
    const options = { nargz: '+' } as unknown as ArgumentOptions;
    expect(declarationError(() => arg(['-f', '--files'], options))).to.equal(
      "arg(['-f', '--files']): unknown option 'nargz' (did you mean 'nargs'?); arg() takes 'action', 'type', 'nargs', 'const', " +
        "'choices', 'default', 'required', 'help', 'dest', 'metavar'",
    );
    expect(declarationError(() => arg('x', { defualt: 1 } as unknown as ArgumentOptions))).to.match(
      /unknown option 'defualt' \(did you mean 'default'\?\)/,
    );
  });

  it('refuses a nargs the argument cannot take', () => {
    expect(declarationError(() => arg(['-n'], { nargs: 0 }))).to.equal(
      "arg('-n'): invalid nargs 0 (use '?', '*', '+' or a whole number of at least 1)",
    );
    expect(declarationError(() => arg(['-n'], { nargs: 1.5 }))).to.match(/invalid nargs 1.5/);
    expect(declarationError(() => arg(['-n'], { nargs: 'x' as never }))).to.match(/invalid nargs "x"/);
    expect(declarationError(() => arg(['-v'], { action: 'count', nargs: 2 } as never))).to.equal(
      "arg('-v'): action 'count' takes no value, so it has no type, choices or nargs",
    );
    expect(declarationError(() => arg('files', { nargs: '+', required: false }))).to.equal(
      "arg('files'): 'required' is fixed by nargs \"+\" for a positional argument; leave it out",
    );
  });

  it("refuses const except on an option with nargs '?', store_const or append_const", () => {
    expect(declarationError(() => arg(['--level'], { const: 1 }))).to.equal(
      "arg('--level'): 'const' is the value of an option given without one, so it needs nargs '?' on an option (or action 'store_const' or 'append_const')",
    );
    expect(declarationError(() => arg('x', { nargs: '?', const: 1 }))).to.match(/'const' is the value/);
    expect(arg(['--level'], { nargs: '?', const: 1 }).const).to.equal(1);
  });

  it('refuses bad actions, types, choices and flags', () => {
    expect(declarationError(() => arg(['-x'], { action: 'store_constant' as never }))).to.equal(
      "arg('-x'): unknown action 'store_constant' (use 'store', 'store_true', 'store_false', 'store_const', 'append', 'append_const', 'extend', 'count', 'boolean_optional')",
    );
    expect(declarationError(() => arg(['-x'], { type: 'float' as never }))).to.equal(
      "arg('-x'): unknown type 'float' (use 'string', 'number', 'integer')",
    );
    expect(declarationError(() => arg(['-x'], { choices: [] }))).to.equal(
      "arg('-x'): 'choices' must be a non-empty list of strings and numbers",
    );
    expect(declarationError(() => arg('x', { action: 'append' }))).to.equal(
      "arg('x'): a positional argument only supports action 'store'",
    );
    expect(declarationError(() => arg(['--bad flag']))).to.match(/^arg\('--bad flag'\): invalid flag '--bad flag'/);
    expect(declarationError(() => arg([]))).to.equal('arg(): at least one flag or a positional name is required');
    expect(declarationError(() => arg(['-x'], { dest: '' }))).to.equal("arg('-x'): 'dest' must be a non-empty string");
  });

  it("refuses a controller's positional argument that does not take a fixed number of values", () => {
    for (const spec of [
      arg('env', { nargs: '?' }),
      arg('env', { nargs: '*' }),
      arg('env', { nargs: '+' }),
      arg('env', { default: 'dev' }),
    ]) {
      const message = declarationError(() => {
        @Controller({ label: 'db', arguments: [spec] })
        class DbController {}
        return DbController;
      });
      expect(message).to.match(
        /^@Controller on DbController: positional argument 'env' (has nargs '[?*+]'|is optional), but a controller's positional arguments come before its command name and must take a fixed number of values; declare it on a command instead\.$/,
      );
    }
    expect(() => Controller({ arguments: [arg('env'), arg('pair', { nargs: 2 })] })(class Fine {})).not.to.throw();
  });
});
