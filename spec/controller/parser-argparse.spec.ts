/**
 * The parser against Python's argparse (3.11), the parser Cement programs use.
 * Each case names what argparse gives for the same declaration and words; where
 * mortar differs on purpose, the case says so and why.
 */
import { expect } from 'chai';
import type * as ArgModule from '../../dist/controller/arg';
import type * as ParserModule from '../../dist/controller/parser';
import type * as ErrorsModule from '../../dist/core/errors';
import type * as HelpModule from '../../dist/controller/help';
import type * as CompletionTableModule from '../../dist/controller/completion-table';
import type * as OptionFromConfigModule from '../../dist/controller/option-from-config';
import type { ArgumentSpec } from '../../dist/controller/metadata';
import type { ControllerNode } from '../../dist/controller/tree';
import { requireDist } from '../helpers/dist';
import { command, level } from '../helpers/tree';

const { arg } = requireDist<typeof ArgModule>('controller/arg');
const { parseCommandLine } = requireDist<typeof ParserModule>('controller/parser');
const { UsageError, FrameworkError } = requireDist<typeof ErrorsModule>('core/errors');
const { formatHelp, formatUsage } = requireDist<typeof HelpModule>('controller/help');
const { completionTable } = requireDist<typeof CompletionTableModule>('controller/completion-table');
const { optionFromConfig } = requireDist<typeof OptionFromConfigModule>('controller/option-from-config');

const GLOBALS = [arg(['-h', '--help'], { action: 'store_true' }), arg(['--debug'], { action: 'store_true' })];

/** A program whose base level has a default command taking `specs`. */
function program(...specs: ArgumentSpec[]): ControllerNode {
  const run = command('default', { hide: true, arguments: specs });
  return level('base', { defaultCommand: run, commands: [run] });
}

function parse(root: ControllerNode, ...argv: string[]): Record<string, unknown> {
  return parseCommandLine(root, argv, GLOBALS, 'p').pargs;
}

/** The message of the FrameworkError a declaration throws. */
function declaration(declare: () => unknown): string {
  try {
    declare();
  } catch (error) {
    if (error instanceof FrameworkError) return error.message;
    throw error;
  }
  throw new Error('expected the declaration to throw');
}

function failure(root: ControllerNode, ...argv: string[]): string {
  try {
    parseCommandLine(root, argv, GLOBALS, 'p');
  } catch (error) {
    if (error instanceof UsageError) return error.message;
    throw error;
  }
  throw new Error(`expected a UsageError for: ${argv.join(' ')}`);
}

describe('the parser, compared with argparse', () => {
  describe('nargs of positional arguments', () => {
    it("'+' takes one or more words; none is a missing argument (argparse: 'the following arguments are required')", () => {
      const rm = program(arg('files', { nargs: '+' }));
      expect(parse(rm, 'a', 'b', 'c').files).to.deep.equal(['a', 'b', 'c']);
      expect(parse(rm, 'a').files).to.deep.equal(['a']);
      expect(failure(rm)).to.equal("missing required argument 'files'");
    });

    it("'*' may be empty: [] or its default (argparse: [] or the default)", () => {
      expect(parse(program(arg('files', { nargs: '*' }))).files).to.deep.equal([]);
      expect(parse(program(arg('files', { nargs: '*', default: ['.'] }))).files).to.deep.equal(['.']);
      expect(parse(program(arg('files', { nargs: '*' })), 'x', 'y').files).to.deep.equal(['x', 'y']);
    });

    it("'?' takes one word or gives its default", () => {
      const root = program(arg('target', { nargs: '?', default: 'latest' }));
      expect(parse(root).target).to.equal('latest');
      expect(parse(root, 'v2').target).to.equal('v2');
      expect(failure(root, 'v2', 'v3')).to.equal("unexpected argument 'v3'");
    });

    it('a number takes exactly that many words, as an array', () => {
      const root = program(arg('pair', { nargs: 2, type: 'integer' }));
      expect(parse(root, '1', '2').pair).to.deep.equal([1, 2]);
      expect(failure(root, '1')).to.equal("missing required argument 'pair'");
      expect(failure(root, '1', '2', '3')).to.equal("unexpected argument '3'");
      expect(failure(root, '1', 'x')).to.equal("argument 'pair' expects an integer, got 'x'");
    });

    it("shares words out greedily, left to right, leaving later ones their minimum (argparse: a='*', b='+' on 1 2 3 gives a=[1, 2], b=[3])", () => {
      const root = program(arg('a', { nargs: '*' }), arg('b', { nargs: '+' }));
      expect(parse(root, '1', '2', '3')).to.deep.include({ a: ['1', '2'], b: ['3'] });
      expect(parse(root, '1')).to.deep.include({ a: [], b: ['1'] });
      expect(failure(root)).to.equal("missing required argument 'b'");
    });

    it("fills a '?' before a fixed count only when words are left over (argparse: [a] b b c on 1 2 3 gives a='d', on 1 2 3 4 a='1')", () => {
      const root = program(arg('a', { nargs: '?', default: 'd' }), arg('b', { nargs: 2 }), arg('c'));
      expect(parse(root, '1', '2', '3')).to.deep.include({ a: 'd', b: ['1', '2'], c: '3' });
      expect(parse(root, '1', '2', '3', '4')).to.deep.include({ a: '1', b: ['2', '3'], c: '4' });
      expect(failure(root, '1', '2')).to.equal("missing required argument 'c'");
      expect(failure(root, '1')).to.equal("missing required argument 'b'");
      expect(failure(root, '1', '2', '3', '4', '5')).to.equal("unexpected argument '5'");
    });

    it('lets options come between the words of one argument (argparse needs parse_intermixed_args for that)', () => {
      // argparse's parse_args fails here with 'unrecognized arguments: 2 3'; parse_intermixed_args gives a=[1, 2], b=[3].
      const root = program(
        arg('a', { nargs: '*' }),
        arg('b', { nargs: '+' }),
        arg(['-C'], { action: 'store_true' }),
        arg(['-x']),
      );
      expect(parse(root, '1', '-C', '2', '3')).to.deep.include({ a: ['1', '2'], b: ['3'], C: true });
      expect(parse(root, '-x', '1', '2')).to.deep.include({ a: [], b: ['2'], x: '1' });
    });

    it('keeps a positional with a default and no nargs optional, where argparse would still require it', () => {
      // argparse ignores such a default (the argument stays required); mortar has always read it as '?'.
      const root = program(arg('target', { default: 'latest' }));
      expect(parse(root).target).to.equal('latest');
    });
  });

  describe('nargs of options', () => {
    const root = program(
      arg(['--files'], { nargs: '+' }),
      arg(['--opt'], { nargs: '?', const: 'C', default: 'D' }),
      arg(['--two'], { nargs: 2, type: 'integer' }),
      arg(['--any'], { nargs: '*' }),
      arg('pos', { nargs: '*' }),
    );

    it("'+' takes the values up to the next option (argparse: --files a b --opt gives files=[a, b], opt='C')", () => {
      expect(parse(root, '--files', 'a', 'b', '--opt')).to.deep.include({ files: ['a', 'b'], opt: 'C', pos: [] });
      expect(failure(root, '--files')).to.equal("option '--files' expects at least one value");
      expect(failure(root, '--files', '--opt')).to.equal("option '--files' expects at least one value");
    });

    it("'?' takes one value, const when bare, default when absent (argparse: --opt x y gives opt='x', pos=['y'])", () => {
      expect(parse(root).opt).to.equal('D');
      expect(parse(root, '--opt').opt).to.equal('C');
      expect(parse(root, '--opt', 'x', 'y')).to.deep.include({ opt: 'x', pos: ['y'] });
      expect(parse(root, '--opt=').opt).to.equal('');
    });

    it("takes an attached value as the only one (argparse: --files=a b gives files=['a'], pos=['b'])", () => {
      expect(parse(root, '--files=a', 'b')).to.deep.include({ files: ['a'], pos: ['b'] });
      expect(parse(root, '--any=a', 'b')).to.deep.include({ any: ['a'], pos: ['b'] });
    });

    it('a number takes exactly that many, converted (argparse: --two 1 2 3 gives two=[1, 2], pos=[3])', () => {
      expect(parse(root, '--two', '1', '2', '3')).to.deep.include({ two: [1, 2], pos: ['3'] });
      expect(parse(root, '--two', '-1', '-2').two).to.deep.equal([-1, -2]);
      expect(failure(root, '--two', '1')).to.equal("option '--two' expects 2 values");
      expect(failure(root, '--two=1')).to.equal("option '--two' expects 2 values");
      expect(failure(root, '--two', '1', 'x')).to.equal("option '--two' expects an integer, got 'x'");
    });

    it("stops at `--` (argparse: --files a -- b gives files=['a'], pos=['b'])", () => {
      expect(parse(root, '--files', 'a', '--', 'b')).to.deep.include({ files: ['a'], pos: ['b'] });
      expect(parse(root, '--any', '--', 'b')).to.deep.include({ any: [], pos: ['b'] });
    });

    it("with append, collects one array per occurrence (argparse: [['a', 'b'], ['c', 'd']])", () => {
      const append = program(
        arg(['--pair'], { action: 'append', nargs: 2 }),
        arg(['--st'], { action: 'append', nargs: '?', const: 'c' }),
      );
      expect(parse(append, '--pair', 'a', 'b', '--pair', 'c', 'd').pair).to.deep.equal([
        ['a', 'b'],
        ['c', 'd'],
      ]);
      expect(parse(append, '--st', '--st', 'x').st).to.deep.equal(['c', 'x']);
    });
  });

  describe('append and const, as argparse reads them', () => {
    it("adds to a list default instead of replacing it (argparse: default=['X'], --baz a gives ['X', 'a'])", () => {
      const root = program(arg(['--baz'], { action: 'append', default: ['X'] }));
      expect(parse(root, '--baz', 'a').baz).to.deep.equal(['X', 'a']);
      expect(parse(root, '--baz', 'a', '--baz', 'b').baz).to.deep.equal(['X', 'a', 'b']);
      expect(parse(root).baz).to.deep.equal(['X']);
    });

    it("refuses a default that is not a list for what adds to it (argparse: AttributeError: 'str' object has no attribute 'append')", () => {
      for (const action of ['append', 'append_const', 'extend'] as const) {
        const declare = (): unknown =>
          arg(['--baz'], { action, default: 'X', ...(action === 'append_const' ? { const: 1 } : {}) } as never);
        expect(declaration(declare)).to.equal(
          `arg('--baz'): action '${action}' adds to its default, so the default must be an array (e.g. default: ["X"])`,
        );
      }
    });

    it("converts a string const by type (argparse: nargs='?', type=int, const='42' gives 42) and checks it against choices", () => {
      expect(parse(program(arg(['--foo'], { nargs: '?', type: 'integer', const: '42' })), '--foo').foo).to.equal(42);
      expect(parse(program(arg(['--foo'], { nargs: '?', type: 'number', const: '1e3' })), '--foo').foo).to.equal(1000);
      expect(parse(program(arg(['--foo'], { nargs: '?', const: '42' })), '--foo').foo).to.equal('42');
      expect(parse(program(arg(['--foo'], { nargs: '?', type: 'integer', const: 7 })), '--foo').foo).to.equal(7);
      // argparse fails only when the bare option is used (invalid choice: 42); the declaration is the mistake.
      expect(declaration(() => arg(['--foo'], { nargs: '?', type: 'integer', const: '42', choices: [1] }))).to.equal(
        "arg('--foo'): const \"42\" is not one of the choices ('1')",
      );
      expect(declaration(() => arg(['--foo'], { nargs: '?', type: 'integer', const: 'x' }))).to.equal(
        'arg(\'--foo\'): const "x" is not an integer',
      );
    });
  });

  describe('store_const, append_const, extend and boolean_optional', () => {
    it('store_const stores const when given, else the default (argparse: const=42 gives 42, absent None)', () => {
      const root = program(
        arg(['--foo'], { action: 'store_const', const: 42 }),
        arg(['--bar'], { action: 'store_const', const: 'b', default: 'a' }),
      );
      expect(parse(root, '--foo', '--bar')).to.deep.include({ foo: 42, bar: 'b' });
      expect(parse(root)).to.deep.include({ foo: undefined, bar: 'a' });
      expect(failure(root, '--foo=1')).to.equal("option '--foo' takes no value");
    });

    it("append_const adds const per occurrence, several options sharing a dest (argparse: [42, 'b', 42]; absent: mortar [], argparse None)", () => {
      const root = program(
        arg(['--foo'], { action: 'append_const', const: 42, dest: 'foo' }),
        arg(['--bar'], { action: 'append_const', const: 'b', dest: 'foo' }),
      );
      expect(parse(root, '--foo', '--bar', '--foo').foo).to.deep.equal([42, 'b', 42]);
      expect(parse(root).foo).to.deep.equal([]);
      expect(
        parse(program(arg(['--t'], { action: 'append_const', const: 't', default: ['s'] })), '--t').t,
      ).to.deep.equal(['s', 't']);
    });

    it("extend adds each value of each occurrence, after the default's (argparse: nargs='+', type=int: --foo 1 2 --foo 3 gives [1, 2, 3])", () => {
      const root = program(
        arg(['--foo'], { action: 'extend', nargs: '+', type: 'integer' }),
        arg(['--tag'], { action: 'extend', default: ['X'] }),
      );
      expect(parse(root, '--foo', '1', '2', '--foo', '3').foo).to.deep.equal([1, 2, 3]);
      expect(parse(root, '--tag', 'a', '--tag', 'b').tag).to.deep.equal(['X', 'a', 'b']);
      expect(parse(root)).to.deep.include({ foo: [], tag: ['X'] });
      expect(failure(root, '--foo', 'x')).to.equal("option '--foo' expects an integer, got 'x'");
      expect(failure(root, '--foo')).to.equal("option '--foo' expects at least one value");
    });

    it('extend without nargs adds the one value it takes, where argparse adds each character of it (--foo ab: mortar [ab], argparse [a, b])', () => {
      expect(parse(program(arg(['--foo'], { action: 'extend' })), '--foo', 'ab', '--foo', 'c').foo).to.deep.equal([
        'ab',
        'c',
      ]);
    });

    it('boolean_optional gives --x true, --no-x false, neither the default (argparse BooleanOptionalAction: True, False, None)', () => {
      const root = program(
        arg(['-f', '--foo'], { action: 'boolean_optional', help: 'the foo' }),
        arg(['--color'], { action: 'boolean_optional', default: true }),
      );
      expect(parse(root, '--foo').foo).to.equal(true);
      expect(parse(root, '--no-foo').foo).to.equal(false);
      expect(parse(root, '-f').foo).to.equal(true);
      expect(parse(root, '--foo', '--no-foo').foo).to.equal(false);
      expect(parse(root)).to.deep.include({ foo: undefined, color: true });
      expect(parse(root, '--no-color').color).to.equal(false);
      expect(failure(root, '--no-fo')).to.equal("unknown option '--no-fo' (did you mean '--no-foo'?)");
      expect(declaration(() => arg(['-f'], { action: 'boolean_optional' }))).to.equal(
        "arg('-f'): action 'boolean_optional' makes '--no-x' of a long flag '--x', so it needs one",
      );
    });

    it('refuses what the constants and flags cannot take, and store_const without const', () => {
      expect(declaration(() => arg(['--x'], { action: 'store_const' }))).to.equal(
        "arg('--x'): action 'store_const' stores its 'const', so it needs one",
      );
      expect(declaration(() => arg(['--x'], { action: 'append_const' }))).to.equal(
        "arg('--x'): action 'append_const' appends its 'const', so it needs one",
      );
      expect(declaration(() => arg(['--x'], { action: 'boolean_optional', type: 'integer' }))).to.equal(
        "arg('--x'): action 'boolean_optional' takes no value, so it has no type, choices or nargs",
      );
      expect(declaration(() => arg(['--x'], { action: 'store_const', const: 1, nargs: '?' }))).to.match(
        /takes no value/,
      );
    });

    it("shows them in help as argparse does: [--foo | --no-foo], 'extend' values with their nargs", () => {
      const run = command('default', {
        hide: true,
        arguments: [
          arg(['-f', '--foo'], { action: 'boolean_optional', help: 'the foo' }),
          arg(['--bar'], { action: 'store_const', const: 1, help: 'c' }),
          arg(['--baz'], { action: 'append_const', const: 1, help: 'a' }),
          arg(['--qux'], { action: 'extend', nargs: '*', help: 'e' }),
        ],
      });
      const root = level('base', { defaultCommand: run, commands: [run] });
      // argparse 3.11: usage: p [-h] [-f | --foo | --no-foo] [--bar] [--baz] [--qux [QUX ...]]
      expect(formatUsage('p', [root], run, [])).to.equal(
        'usage: p [-f | --foo | --no-foo] [--bar] [--baz] [--qux [QUX ...]]',
      );
      const help = formatHelp('p', [root], run, []);
      expect(help).to.contain('  -f, --foo, --no-foo  the foo\n');
      expect(help).to.contain('  --bar                c\n');
      expect(help).to.contain('  --qux [QUX ...]      e\n');
    });

    it('offers --no-x in completion, and takes no value after a constant or a flag', () => {
      const run = command('default', {
        hide: true,
        arguments: [
          arg(['--foo'], { action: 'boolean_optional' }),
          arg(['--bar'], { action: 'store_const', const: 1 }),
          arg(['--baz'], { action: 'append_const', const: 1 }),
          arg(['--qux'], { action: 'extend', nargs: 2 }),
        ],
      });
      const [node] = completionTable(level('base', { defaultCommand: run, commands: [run] }), []);
      expect(node.options.map((option) => [option.flags.join(' '), option.takes])).to.deep.equal([
        ['--foo --no-foo', 0],
        ['--bar', 0],
        ['--baz', 0],
        ['--qux', 2],
      ]);
    });

    it('takes config values: a boolean for boolean_optional, store_const and append_const, one value per line for extend', () => {
      const flag = arg(['--foo'], { action: 'boolean_optional' });
      expect(optionFromConfig(flag, 'no')).to.deep.equal({ value: false });
      expect(optionFromConfig(flag, 'yes')).to.deep.equal({ value: true });
      expect(optionFromConfig(arg(['--bar'], { action: 'store_const', const: 42 }), 'true')).to.deep.equal({
        value: 42,
      });
      expect(optionFromConfig(arg(['--bar'], { action: 'store_const', const: 42 }), 'false')).to.deep.equal({
        value: undefined,
      });
      expect(optionFromConfig(arg(['--baz'], { action: 'append_const', const: 42 }), 'on')).to.deep.equal({
        value: [42],
      });
      expect(optionFromConfig(arg(['--bar'], { action: 'store_const', const: 42 }), 'maybe')).to.deep.equal({
        problem: 'expected true or false (or yes/no, on/off, 1/0)',
        text: 'maybe',
      });
      expect(optionFromConfig(arg(['--qux'], { action: 'extend', type: 'integer' }), '1\n2')).to.deep.equal({
        value: [1, 2],
      });
    });
  });

  describe('values that start with a dash', () => {
    const root = program(
      arg(['-n', '--num'], { type: 'integer' }),
      arg(['-f']),
      arg(['-C'], { action: 'store_true' }),
      arg('pos', { nargs: '*' }),
    );

    it('takes a negative number as a value, for an option or a positional (argparse: -n -5 gives -5)', () => {
      expect(parse(root, '-n', '-5').num).to.equal(-5);
      expect(parse(root, '--num', '-5').num).to.equal(-5);
      expect(parse(root, '-5', '-6').pos).to.deep.equal(['-5', '-6']);
      expect(parse(root, '-f', '-.5').f).to.equal('-.5');
      // Python's \d is any Unicode decimal digit (argparse: -f -٣ gives f='-٣').
      expect(parse(root, '-f', '-٣').f).to.equal('-٣');
      expect(parse(root, '-٣', '-.٥').pos).to.deep.equal(['-٣', '-.٥']);
    });

    it('takes only what argparse calls a negative number: not -1e3, -inf, -5_0 or -5. (argparse: expected one argument)', () => {
      for (const word of ['-1e3', '-inf', '-5_0', '-5.']) {
        expect(failure(root, '-f', word)).to.equal(
          `option '-f' expects a value (to pass '${word}' as its value, write '-f${word}')`,
        );
      }
    });

    it('takes a word with a space as a value, and `-` alone (argparse: -f "-x y" gives f="-x y")', () => {
      expect(parse(root, '-f', '-x y').f).to.equal('-x y');
      expect(parse(root, '-f', '-').f).to.equal('-');
    });

    it('reads negative numbers as options when a flag looks like one (argparse: -5 is then unrecognized)', () => {
      const withOne = program(
        arg(['-1'], { action: 'store_true', dest: 'one' }),
        arg(['-n']),
        arg('pos', { nargs: '*' }),
      );
      expect(parse(withOne, '-1').one).to.equal(true);
      expect(failure(withOne, '-5')).to.equal("unknown option '-5'");
      expect(failure(withOne, '-n', '-5')).to.equal(
        "option '-n' expects a value (to pass '-5' as its value, write '-n-5')",
      );
      expect(parse(withOne, '-n=-5').n).to.equal('-5');
      expect(parse(withOne, '-n-5').n).to.equal('-5');
    });

    it('judges by the options of the command line at hand, not those of other commands', () => {
      const root2 = level('base', {
        commands: [
          command('calc', { arguments: [arg('x', { type: 'integer' })] }),
          command('odd', { arguments: [arg(['-1'], { action: 'store_true', dest: 'one' })] }),
        ],
      });
      expect(parseCommandLine(root2, ['calc', '-3'], GLOBALS, 'p').pargs.x).to.equal(-3);
    });
  });

  describe('attached values', () => {
    const root = program(arg(['-n', '--num'], { type: 'integer' }), arg(['-f']), arg(['-C'], { action: 'store_true' }));

    it("reads -n=3 as 3 and -f=bar as bar (argparse too; mortar gave '=3')", () => {
      expect(parse(root, '-n=3').num).to.equal(3);
      expect(parse(root, '-f=bar').f).to.equal('bar');
      expect(parse(root, '-f=').f).to.equal('');
      expect(parse(root, '-f==x').f).to.equal('=x');
      expect(parse(root, '-fx=y').f).to.equal('x=y');
    });

    it('reads a cluster ending in a value-taking flag', () => {
      expect(parse(root, '-Cfx')).to.include({ C: true, f: 'x' });
      expect(parse(root, '-fC')).to.include({ C: false, f: 'C' });
      // argparse 3.11 gives f='=x' here, unlike -f=x: mortar reads both alike.
      expect(parse(root, '-Cf=x')).to.include({ C: true, f: 'x' });
    });

    it('refuses a value attached to a flag (argparse: ignored explicit argument)', () => {
      expect(failure(root, '-C=x')).to.equal("option '-C' takes no value");
      expect(failure(root, '-Cx')).to.equal("unknown option '-x'");
    });

    it('never abbreviates a long option (argparse does, by default), and suggests the full one', () => {
      expect(failure(root, '--nu', '3')).to.equal("unknown option '--nu' (did you mean '--num'?)");
    });
  });

  describe('integer and number values, read as Python int() and float()', () => {
    const root = program(arg(['-i'], { type: 'integer' }), arg(['-x'], { type: 'number' }));
    const integer = (text: string): unknown => parse(root, `-i=${text}`).i;
    const number = (text: string): unknown => parse(root, `-x=${text}`).x;

    it('reads what int() reads', () => {
      const cases: [string, number][] = [
        ['5_000', 5000],
        ['010', 10],
        ['+7', 7],
        ['-0', 0],
        [' 7 ', 7],
        ['\t7\n', 7],
        ['\u00a07', 7],
        ['\u0663', 3],
        ['\uff17', 7],
        ['\u{1d7d9}', 1],
      ];
      for (const [text, value] of cases) expect(integer(text), JSON.stringify(text)).to.equal(value);
      expect(Object.is(integer('-0'), 0)).to.equal(true);
    });

    it('refuses what int() refuses: 1e3, 0x10, 7.0, misplaced underscores, inner spaces (argparse: invalid int value)', () => {
      for (const text of [
        '1e3',
        '0x10',
        '0o7',
        '0b1',
        '7.0',
        '_5',
        '5_',
        '5__0',
        '',
        '  ',
        '1 000',
        '\ufeff7',
        '\x1c7',
        '--1',
      ]) {
        expect(failure(root, `-i=${text}`), JSON.stringify(text)).to.equal(
          `option '-i' expects an integer, got '${text}'`,
        );
      }
    });

    it('refuses an integer a JavaScript number cannot hold exactly, which Python would read', () => {
      expect(failure(root, '-i=99999999999999999999')).to.equal(
        "option '-i' expects an integer from -9007199254740991 to 9007199254740991, got '99999999999999999999'",
      );
      expect(integer('9007199254740991')).to.equal(Number.MAX_SAFE_INTEGER);
    });

    it('reads what float() reads, inf and nan included', () => {
      const cases: [string, number][] = [
        ['1e3', 1000],
        ['1E+5', 100000],
        ['1_0.5', 10.5],
        ['.5', 0.5],
        ['5.', 5],
        ['1.5e-3', 0.0015],
        ['1e1_0', 1e10],
        ['inf', Infinity],
        ['-Infinity', -Infinity],
        ['INF', Infinity],
        ['1e400', Infinity],
        ['\u0663.\u0665', 3.5],
      ];
      for (const [text, value] of cases) expect(number(text), text).to.equal(value);
      expect(number('nan')).to.satisfy(Number.isNaN);
      expect(number('+NaN')).to.satisfy(Number.isNaN);
    });

    it('refuses what float() refuses: 0x10, 1._5, e5, infinit (argparse: invalid float value)', () => {
      for (const text of ['0x10', '1._5', 'e5', '1e', 'infinit', '.', '1.2.3', '', 'in f']) {
        expect(failure(root, `-x=${text}`), text).to.equal(`option '-x' expects a number, got '${text}'`);
      }
    });
  });

  describe('`--` before the command name', () => {
    const root = level('base', {
      commands: [command('go', { arguments: [arg('who', { nargs: '*' })] })],
    });

    it("ends options there: `-- go bob` is not the go command (argparse 3.11: invalid choice: '--')", () => {
      expect(failure(root, '--', 'go', 'bob')).to.equal(
        "unexpected argument 'go' after '--' (a command name goes before '--')",
      );
      expect(failure(root, '--', 'x')).to.equal("unexpected argument 'x' after '--'");
    });

    it("ends the command's options after its name (argparse: go -- bob gives who=['bob'])", () => {
      expect(parseCommandLine(root, ['go', '--', 'bob', '--debug'], GLOBALS, 'p').pargs).to.deep.include({
        who: ['bob', '--debug'],
        debug: false,
      });
    });

    it("gives the words to the level's default command when it takes positional arguments", () => {
      expect(parse(program(arg('words', { nargs: '*' })), '--', 'go', '-x').words).to.deep.equal(['go', '-x']);
    });
  });
});
