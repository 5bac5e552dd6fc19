import { expect } from 'chai';
import type * as ArgModule from '../../dist/controller/arg';
import type * as ParserModule from '../../dist/controller/parser';
import type * as HelpModule from '../../dist/controller/help';
import type * as ErrorsModule from '../../dist/core/errors';
import type { ControllerNode, ParsedCommandLine } from '../../dist/controller/tree';
import { command, level } from '../helpers/tree';
import type { UsageError as UsageErrorType } from '../../dist/core/errors';
import { requireDist } from '../helpers/dist';

const { arg } = requireDist<typeof ArgModule>('controller/arg');
const { parseCommandLine } = requireDist<typeof ParserModule>('controller/parser');
const { formatUsage } = requireDist<typeof HelpModule>('controller/help');
const { UsageError } = requireDist<typeof ErrorsModule>('core/errors');

class StatusController {}
class DbController {}
class ReplicaController {}
class DebugToolsController {}

/**
 * myapp                      -f/--foo, -C, -v (count), -I (append), --no-cache, --color (embedded)
 *   default (hidden, alias run)
 *   run-forever (rf)
 *   status                   from an embedded controller
 *   secret (hidden, alias sec)
 *   db (database)            --url
 *     migrate                target, --steps, --ratio, --mode, --level, -n/--dry-run
 *     create                 table (required), --name (required)
 *     replica                --lag
 *       default              host, --port   (a default command with a positional)
 *       sync                 shards
 *   debug-tools (hidden)
 *     dump
 */
function buildTree(): ControllerNode {
  const replicaDefault = command('default', {
    hide: true,
    controller: ReplicaController,
    arguments: [arg('host'), arg(['--port'], { type: 'integer', default: 5432 })],
  });
  const replica = level('replica', {
    description: 'Replica tools.',
    controller: ReplicaController,
    arguments: [arg(['--lag'], { type: 'number' })],
    defaultCommand: replicaDefault,
    commands: [
      replicaDefault,
      command('sync', {
        controller: ReplicaController,
        arguments: [arg('shards', { type: 'integer', default: 1 })],
      }),
    ],
  });
  const db = level('db', {
    aliases: ['database'],
    description: 'Database tools.',
    controller: DbController,
    arguments: [arg(['--url'], { help: 'database url' })],
    commands: [
      command('migrate', {
        controller: DbController,
        help: 'apply migrations',
        arguments: [
          arg('target', { default: 'latest' }),
          arg(['--steps'], { type: 'integer' }),
          arg(['--ratio'], { type: 'number' }),
          arg(['--mode'], { choices: ['fast', 'safe'] }),
          arg(['--level'], { type: 'integer', choices: [1, 2, 3] }),
          arg(['-n', '--dry-run'], { action: 'store_true' }),
        ],
      }),
      command('create', {
        controller: DbController,
        arguments: [arg('table'), arg(['--name'], { required: true })],
      }),
    ],
    children: [replica],
  });
  const debugTools = level('debug-tools', {
    hide: true,
    controller: DebugToolsController,
    commands: [command('dump', { controller: DebugToolsController })],
  });
  const rootDefault = command('default', { hide: true, aliases: ['run'] });
  return level('base', {
    description: 'My Application does amazing things!',
    arguments: [
      arg(['-f', '--foo'], { help: 'the notorious foo option' }),
      arg(['-C'], { action: 'store_true', help: 'the big C option' }),
      arg(['-v', '--verbose'], { action: 'count' }),
      arg(['-I', '--include'], { action: 'append' }),
      arg(['--no-cache'], { action: 'store_false', dest: 'cache' }),
      // Embedded from StatusController: its arguments and commands live on this level.
      arg(['--color'], { choices: ['auto', 'never'], default: 'auto' }),
    ],
    defaultCommand: rootDefault,
    commands: [
      rootDefault,
      command('run-forever', { aliases: ['rf'], help: 'run the daemon command.' }),
      command('status', { controller: StatusController }),
      command('secret', { hide: true, aliases: ['sec'] }),
    ],
    children: [db, debugTools],
  });
}

const GLOBALS = [
  arg(['-h', '--help'], { action: 'store_true' }),
  arg(['--debug'], { action: 'store_true' }),
  arg(['--quiet'], { action: 'store_true' }),
  arg(['--version'], { action: 'store_true' }),
  arg(['--daemon'], { action: 'store_true' }),
];

const tree = buildTree();
const db = tree.children[0];
const replica = db.children[0];

function parse(...argv: string[]): ParsedCommandLine {
  return parseCommandLine(tree, argv, GLOBALS, 'myapp');
}

function failure(...argv: string[]): UsageErrorType {
  try {
    parse(...argv);
  } catch (error) {
    if (error instanceof UsageError) return error;
    throw error;
  }
  throw new Error(`expected a UsageError for: ${argv.join(' ')}`);
}

function where(parsed: ParsedCommandLine): string {
  return [...parsed.path.map((node) => node.label), parsed.command?.label ?? '(none)'].join(' ');
}

describe('parseCommandLine', () => {
  describe('walking the command tree', () => {
    it('runs the default command when no command is named', () => {
      const parsed = parse();
      expect(where(parsed)).to.equal('base default');
      expect(parsed.command).to.equal(tree.defaultCommand);
    });

    it('finds a command by its label or an alias', () => {
      expect(where(parse('run-forever'))).to.equal('base run-forever');
      expect(where(parse('rf'))).to.equal('base run-forever');
      expect(where(parse('status'))).to.equal('base status');
    });

    it('descends into nested controllers, two levels deep, by label or alias', () => {
      expect(where(parse('db', 'migrate'))).to.equal('base db migrate');
      expect(where(parse('database', 'migrate'))).to.equal('base db migrate');
      expect(where(parse('db', 'replica', 'sync'))).to.equal('base db replica sync');
      expect(parse('db', 'replica', 'sync').path).to.deep.equal([tree, db, replica]);
    });

    it('leaves the command undefined at a level without a default command', () => {
      const parsed = parse('db');
      expect(where(parsed)).to.equal('base db (none)');
      expect(parsed.command).to.equal(undefined);
    });

    it('runs hidden commands and controllers when they are named exactly', () => {
      expect(where(parse('secret'))).to.equal('base secret');
      expect(where(parse('sec'))).to.equal('base secret');
      expect(where(parse('run'))).to.equal('base default');
      expect(where(parse('debug-tools', 'dump'))).to.equal('base debug-tools dump');
    });

    it("gives an unmatched word to the level's default command when it declares positional arguments", () => {
      const parsed = parse('db', 'replica', 'primary');
      expect(where(parsed)).to.equal('base db replica default');
      expect(parsed.pargs.host).to.equal('primary');
      expect(parsed.pargs.port).to.equal(5432);
    });

    it("tokenizes with the default command's options before its positional", () => {
      const parsed = parse('db', 'replica', '--port', '6000', 'primary');
      expect(parsed.pargs).to.include({ host: 'primary', port: 6000 });
    });

    it('gives further words to the command, not to the tree', () => {
      expect(parse('db', 'migrate', 'replica').pargs.target).to.equal('replica');
    });

    it('stops walking at `--`: what follows is positional at that level, never a command (argparse: `--` ends options)', () => {
      expect(failure('--', 'db', 'migrate').message).to.equal(
        "unexpected argument 'db' after '--' (a command name goes before '--')",
      );
      expect(failure('db', '--', 'migrate').message).to.equal(
        "unexpected argument 'migrate' after '--' (a command name goes before '--')",
      );
      const parsed = parse('db', 'replica', '--', 'sync');
      expect(where(parsed)).to.equal('base db replica default');
      expect(parsed.pargs.host).to.equal('sync');
      expect(where(parse('--'))).to.equal('base default');
    });
  });

  describe("a controller's positional arguments", () => {
    class DeployController {}
    const run = command('run', { controller: DeployController, arguments: [arg('what', { nargs: '*' })] });
    const deploy = level('deploy', {
      controller: DeployController,
      arguments: [arg('env'), arg('region', { nargs: 2 }), arg(['--force'], { action: 'store_true' })],
      commands: [run, command('status', { controller: DeployController })],
    });
    const checkDefault = command('default', { hide: true });
    const check = level('check', {
      arguments: [arg('target')],
      defaultCommand: checkDefault,
      commands: [checkDefault],
    });
    const root = level('base', { children: [deploy, check] });
    const parseDeploy = (...argv: string[]): ParsedCommandLine => parseCommandLine(root, argv, GLOBALS, 'myapp');

    it('are read before the command name, in order (argparse: positionals before the sub-parsers action)', () => {
      const parsed = parseDeploy('deploy', 'prod', 'eu', 'west', 'run', 'web', 'db');
      expect(where(parsed)).to.equal('base deploy run');
      expect(parsed.pargs).to.deep.include({ env: 'prod', region: ['eu', 'west'], what: ['web', 'db'] });
    });

    it('take options between them, and a command name where a value is due', () => {
      const parsed = parseDeploy('deploy', '--force', 'status', 'eu', 'west', 'run');
      expect(parsed.pargs).to.deep.include({ env: 'status', region: ['eu', 'west'], force: true });
      expect(where(parsed)).to.equal('base deploy run');
    });

    it('leave the command undefined when the words run out, so that help is shown rather than an error', () => {
      expect(where(parseDeploy('deploy', 'prod'))).to.equal('base deploy (none)');
      expect(where(parseDeploy('deploy'))).to.equal('base deploy (none)');
    });

    it('are required when the level runs its default command', () => {
      expect(() => parseDeploy('check')).to.throw(UsageError, "missing required argument 'target'");
      expect(parseDeploy('check', 'x').pargs.target).to.equal('x');
      expect(parseDeploy('check', '--', '-x').pargs.target).to.equal('-x');
    });

    it('are written into the usage of the commands below', () => {
      expect(formatUsage('myapp', [root, deploy], run, GLOBALS)).to.equal(
        'usage: myapp deploy env region region run [-h] [--debug] [--quiet] [--version] [--daemon] [--force] [what ...]',
      );
      expect(formatUsage('myapp', [root, deploy], undefined, GLOBALS)).to.equal(
        'usage: myapp deploy [-h] [--debug] [--quiet] [--version] [--daemon] [--force] env region region {run,status} ...',
      );
    });
  });

  describe('unknown commands', () => {
    it('names the command and suggests a close visible one', () => {
      const error = failure('dbb');
      expect(error.message).to.equal("unknown command 'dbb' (did you mean 'db'?)");
      expect(error.exitCode).to.equal(2);
      expect(failure('stauts').message).to.equal("unknown command 'stauts' (did you mean 'status'?)");
      expect(failure('run-forevr').message).to.equal("unknown command 'run-forevr' (did you mean 'run-forever'?)");
      expect(failure('databse').message).to.equal("unknown command 'databse' (did you mean 'database'?)");
    });

    it('suggests nothing when nothing is close', () => {
      expect(failure('deploy').message).to.equal("unknown command 'deploy'");
    });

    it('never suggests a hidden command, alias or controller', () => {
      expect(failure('secrte').message).to.equal("unknown command 'secrte'");
      expect(failure('rnu').message).to.equal("unknown command 'rnu'");
      expect(failure('debug-tool').message).to.equal("unknown command 'debug-tool'");
      expect(failure('defaul').message).to.equal("unknown command 'defaul'");
    });

    it('fails at a nested level, with the usage of that level', () => {
      const error = failure('db', 'migrat');
      expect(error.message).to.equal("unknown command 'migrat' (did you mean 'migrate'?)");
      expect(error.usage).to.equal(
        'usage: myapp db [-h] [--debug] [--quiet] [--version] [--daemon] [-f FOO] [-C] [-v] [-I INCLUDE] ' +
          '[--no-cache] [--color {auto,never}] [--url URL] {migrate,create,replica} ...',
      );
    });

    it('still fails when help is asked for', () => {
      expect(failure('nope', '--help').message).to.equal("unknown command 'nope'");
      expect(failure('-h', 'db', 'nope').message).to.equal("unknown command 'nope'");
    });

    it('treats a word after `--` as a word, even one that looks like an option', () => {
      expect(failure('--', '--help').message).to.equal("unexpected argument '--help' after '--'");
      expect(failure('--', '--help').usage).to.match(/^usage: myapp \[-h\]/);
    });
  });

  describe('option forms', () => {
    it('reads --opt value, --opt=value, -f value and -fvalue', () => {
      expect(parse('--foo', 'x').pargs.foo).to.equal('x');
      expect(parse('--foo=x').pargs.foo).to.equal('x');
      expect(parse('--foo=').pargs.foo).to.equal('');
      expect(parse('-f', 'x').pargs.foo).to.equal('x');
      expect(parse('-fx').pargs.foo).to.equal('x');
      expect(parse('-f', '-').pargs.foo).to.equal('-');
    });

    it('reads clusters of short flags, a value-taking flag last or with its value attached', () => {
      expect(parse('-vC').pargs).to.include({ verbose: 1, C: true });
      expect(parse('-Cf', 'x').pargs).to.include({ C: true, foo: 'x' });
      expect(parse('-vvCfx').pargs).to.include({ verbose: 2, C: true, foo: 'x' });
    });

    it('counts repetitions', () => {
      expect(parse().pargs.verbose).to.equal(0);
      expect(parse('-vvv').pargs.verbose).to.equal(3);
      expect(parse('-v', '--verbose', 'rf', '-v').pargs.verbose).to.equal(3);
    });

    it('collects append values in order, [] when none is given', () => {
      expect(parse('-I', 'a', '--include', 'b', '-Ic', '--include=d').pargs.include).to.deep.equal([
        'a',
        'b',
        'c',
        'd',
      ]);
      expect(parse().pargs.include).to.deep.equal([]);
    });

    it('sets store_false options to false when present', () => {
      expect(parse().pargs.cache).to.equal(true);
      expect(parse('--no-cache').pargs.cache).to.equal(false);
    });

    it('maps a short-only flag to its dest', () => {
      expect(parse('-C').pargs.C).to.equal(true);
      expect(parse().pargs.C).to.equal(false);
    });

    it('keeps the last value of a store option given twice', () => {
      expect(parse('-f', 'a', '--foo', 'b').pargs.foo).to.equal('b');
    });

    it('ends options at `--`: everything after it is positional, even --help', () => {
      const parsed = parse('db', 'migrate', '--', '--help');
      expect(parsed.pargs).to.include({ target: '--help', help: false });
      expect(parsed.given.has('help')).to.equal(false);
    });

    it('accepts options of every level and global options anywhere on the line', () => {
      const parsed = parse('--debug', 'db', '-f', 'x', 'migrate', '--url', 'u', '--daemon', '-n');
      expect(where(parsed)).to.equal('base db migrate');
      expect(parsed.pargs).to.include({ debug: true, foo: 'x', url: 'u', daemon: true, dryRun: true });
      expect(parse('rf', '--daemon').pargs.daemon).to.equal(true);
      expect(parse('--daemon', 'rf').pargs.daemon).to.equal(true);
    });

    it('accepts an option of a later level or of the command before their names, value included', () => {
      // argparse wants each sub-parser's options after its name; mortar reads ahead under the level it stands at.
      expect(parse('--url', 'u', 'db', 'migrate').pargs.url).to.equal('u');
      expect(where(parse('--url', 'u', 'db', 'migrate'))).to.equal('base db migrate');
      expect(parse('--steps', '3', 'db', 'migrate').pargs.steps).to.equal(3);
      expect(parse('db', '--steps=3', 'migrate').pargs.steps).to.equal(3);
      expect(parse('db', '-n', 'migrate').pargs.dryRun).to.equal(true);
      expect(parse('--lag', '2', 'db', 'replica', 'sync').pargs.lag).to.equal(2);
    });

    it('still refuses an option read ahead that the command reached does not have', () => {
      expect(failure('--steps', '3').message).to.equal("unknown option '--steps'");
      expect(failure('--url', 'u', 'status').message).to.equal("unknown option '--url'");
      expect(failure('db', '--steps', '3', 'create', 't', '--name', 'n').message).to.equal("unknown option '--steps'");
    });

    it('refuses an option written early whose meaning depends on the command', () => {
      const root = level('base', {
        commands: [
          command('a', { arguments: [arg(['-d'], { action: 'store_true' })] }),
          command('b', { arguments: [arg(['-d'])] }),
        ],
      });
      expect(() => parseCommandLine(root, ['-d', 'x', 'b'], GLOBALS, 'myapp')).to.throw(
        UsageError,
        "option '-d' means different things under 'base': write it after the command it belongs to",
      );
      expect(parseCommandLine(root, ['b', '-d', 'x'], GLOBALS, 'myapp').pargs.d).to.equal('x');
    });

    it('skips the value of an option known so far while looking for the command', () => {
      // '-f' belongs to the root level, so 'db' is its value, not a command.
      const parsed = parse('-f', 'db');
      expect(where(parsed)).to.equal('base default');
      expect(parsed.pargs.foo).to.equal('db');
      expect(where(parse('db', '--url', 'migrate', 'replica', 'sync'))).to.equal('base db replica sync');
    });
  });

  describe('types and choices', () => {
    it('converts integers and numbers', () => {
      expect(parse('db', 'migrate', '--steps', '3').pargs.steps).to.equal(3);
      expect(parse('db', 'migrate', '--steps=-2').pargs.steps).to.equal(-2);
      expect(parse('db', 'migrate', '--ratio', '0.5').pargs.ratio).to.equal(0.5);
      expect(parse('db', 'replica', 'sync', '4').pargs.shards).to.equal(4);
      expect(parse('db', 'replica', '--lag', '1e3', 'sync').pargs.lag).to.equal(1000);
    });

    it('rejects a bad integer, naming the option by its longest flag', () => {
      expect(failure('db', 'migrate', '--steps', 'x').message).to.equal("option '--steps' expects an integer, got 'x'");
      expect(failure('db', 'migrate', '--steps', '1.5').message).to.equal(
        "option '--steps' expects an integer, got '1.5'",
      );
      expect(failure('db', 'migrate', '--steps=').message).to.equal("option '--steps' expects an integer, got ''");
    });

    it('rejects a bad number: empty, blank, not a number', () => {
      for (const value of ['', ' ', 'abc', '1x', '0x10']) {
        expect(failure('db', 'migrate', `--ratio=${value}`).message).to.equal(
          `option '--ratio' expects a number, got '${value}'`,
        );
      }
    });

    it('names a positional argument by its name', () => {
      expect(failure('db', 'replica', 'sync', 'many').message).to.equal(
        "argument 'shards' expects an integer, got 'many'",
      );
    });

    it('accepts only the choices, compared after conversion', () => {
      expect(parse('db', 'migrate', '--mode', 'safe').pargs.mode).to.equal('safe');
      expect(parse('db', 'migrate', '--level', '02').pargs.level).to.equal(2);
      expect(failure('db', 'migrate', '--mode', 'z').message).to.equal(
        "invalid value 'z' for option '--mode' (choose from 'fast', 'safe')",
      );
      expect(failure('db', 'migrate', '--level', '4').message).to.equal(
        "invalid value '4' for option '--level' (choose from '1', '2', '3')",
      );
      expect(failure('--color', 'always').message).to.equal(
        "invalid value 'always' for option '--color' (choose from 'auto', 'never')",
      );
    });

    it('matches a string option against number choices by their text', () => {
      const root = level('base', { arguments: [arg(['--size'], { choices: [1, 2] })] });
      expect(parseCommandLine(root, ['--size', '2'], [], 'x').pargs.size).to.equal('2');
      expect(() => parseCommandLine(root, ['--size', '3'], [], 'x')).to.throw(
        "invalid value '3' for option '--size' (choose from '1', '2')",
      );
    });

    it('suggests the closest of string choices for a mistyped word, and never a number for a number', () => {
      const root = level('base', { arguments: [arg(['--format'], { choices: ['json', 'text', '10'] })] });
      expect(() => parseCommandLine(root, ['--format', 'jsno'], [], 'x')).to.throw(
        "invalid value 'jsno' for option '--format' (choose from 'json', 'text', '10'; did you mean 'json'?)",
      );
      expect(() => parseCommandLine(root, ['--format', 'xml'], [], 'x')).to.throw(
        "invalid value 'xml' for option '--format' (choose from 'json', 'text', '10')",
      );
      expect(() => parseCommandLine(root, ['--format', '11'], [], 'x')).to.throw(
        "invalid value '11' for option '--format' (choose from 'json', 'text', '10')",
      );
    });

    it('converts every append value', () => {
      const include = arg(['--port'], { action: 'append', type: 'integer' });
      const root = level('base', { arguments: [include] });
      expect(parseCommandLine(root, ['--port', '1', '--port=2'], [], 'x').pargs.port).to.deep.equal([1, 2]);
      expect(() => parseCommandLine(root, ['--port', 'a'], [], 'x')).to.throw(
        "option '--port' expects an integer, got 'a'",
      );
    });
  });

  describe('unknown and malformed options', () => {
    it('names an unknown option and suggests a close visible flag', () => {
      expect(failure('--fo').message).to.equal("unknown option '--fo' (did you mean '--foo'?)");
      expect(failure('--fo=bar').message).to.equal("unknown option '--fo' (did you mean '--foo'?)");
      expect(failure('rf', '--daemn').message).to.equal("unknown option '--daemn' (did you mean '--daemon'?)");
      expect(failure('db', 'migrate', '--dry-rn').message).to.equal(
        "unknown option '--dry-rn' (did you mean '--dry-run'?)",
      );
      expect(failure('--zzzzzz').message).to.equal("unknown option '--zzzzzz'");
    });

    it('suggests for a short option only a flag that differs in case', () => {
      expect(failure('-c').message).to.equal("unknown option '-c' (did you mean '-C'?)");
      expect(failure('-x').message).to.equal("unknown option '-x'");
      expect(failure('-vx').message).to.equal("unknown option '-x'");
    });

    it("rejects another command's or level's options", () => {
      expect(failure('rf', '--url', 'u').message).to.equal("unknown option '--url'");
      expect(failure('db', 'create', '--steps', '1').message).to.equal("unknown option '--steps'");
    });

    it('still fails when help is asked for', () => {
      expect(failure('--fo', '--help').message).to.equal("unknown option '--fo' (did you mean '--foo'?)");
    });

    it('names an option given without its value', () => {
      expect(failure('db', 'migrate', '--steps').message).to.equal("option '--steps' expects a value");
      expect(failure('-f').message).to.equal("option '--foo' expects a value");
    });

    it('asks for the attached form when the value starts with a dash and is no negative number', () => {
      expect(failure('db', 'migrate', '--steps', '-x').message).to.equal(
        "option '--steps' expects a value (to pass '-x' as its value, write '--steps=-x')",
      );
      expect(failure('-f', '--debug').message).to.equal(
        "option '--foo' expects a value (to pass '--debug' as its value, write '--foo=--debug')",
      );
    });

    it('rejects a value given to a flag', () => {
      expect(failure('--debug=yes').message).to.equal("option '--debug' takes no value");
      expect(failure('--verbose=2').message).to.equal("option '--verbose' takes no value");
    });

    it('reports an option that swallowed the command name as missing its value', () => {
      // '--steps' is only known once 'migrate' is found, and then it takes 'migrate' as its value.
      expect(failure('db', '--steps', 'migrate').message).to.equal("option '--steps' expects a value");
    });

    it('never shows parseArgs wording', () => {
      for (const argv of [['--fo'], ['-f'], ['--debug=1'], ['-f', '-x'], ['-Z']]) {
        const { message } = failure(...argv);
        expect(message).not.to.match(/Unknown option|ambiguous|To specify|<value>|\n/);
      }
    });
  });

  describe('positional and required arguments', () => {
    it('fills positional arguments in order and rejects extra ones', () => {
      expect(parse('db', 'create', 'users', '--name', 'u').pargs).to.include({ table: 'users', name: 'u' });
      expect(failure('rf', 'extra').message).to.equal("unexpected argument 'extra'");
      expect(failure('db', 'migrate', 'v1', 'v2').message).to.equal("unexpected argument 'v2'");
    });

    it('reports a missing required option, then a missing required argument', () => {
      expect(failure('db', 'create').message).to.equal("missing required option '--name'");
      expect(failure('db', 'create', '--name', 'x').message).to.equal("missing required argument 'table'");
      expect(failure('db', 'replica').message).to.equal("missing required argument 'host'");
    });

    it('does not fail on missing required arguments when help is asked for', () => {
      const parsed = parse('db', 'create', '--help');
      expect(where(parsed)).to.equal('base db create');
      expect(parsed.pargs.help).to.equal(true);
      expect(where(parse('-h', 'db', 'replica'))).to.equal('base db replica default');
    });

    it('still fails on a bad value when help is asked for', () => {
      expect(failure('db', 'migrate', '--steps', 'x', '-h').message).to.equal(
        "option '--steps' expects an integer, got 'x'",
      );
    });
  });

  describe('the parsed result', () => {
    it('holds every dest of the path, the command and the globals, with defaults', () => {
      expect(parse('db', 'migrate').pargs).to.deep.equal({
        help: false,
        debug: false,
        quiet: false,
        version: false,
        daemon: false,
        foo: undefined,
        C: false,
        verbose: 0,
        include: [],
        cache: true,
        color: 'auto',
        url: undefined,
        steps: undefined,
        ratio: undefined,
        mode: undefined,
        level: undefined,
        dryRun: false,
        target: 'latest',
      });
    });

    it("holds nothing of other commands' or levels' arguments", () => {
      const { pargs } = parse('rf');
      expect(pargs).not.to.have.property('url');
      expect(pargs).not.to.have.property('steps');
      expect(pargs).not.to.have.property('host');
    });

    it('lists in `given` the dests written on the line, and only those', () => {
      const { given } = parse('-vv', 'db', 'migrate', 'v2', '--no-cache', '--color=never');
      expect([...given].sort()).to.deep.equal(['cache', 'color', 'target', 'verbose']);
      expect([...parse().given]).to.deep.equal([]);
    });

    it('copies an append default rather than sharing it, and adds the given values to it (argparse: default [a], -I b gives [a, b])', () => {
      const include = arg(['-I'], { action: 'append', default: ['a'] });
      const root = level('base', { arguments: [include] });
      const first = parseCommandLine(root, [], [], 'x').pargs.I as string[];
      first.push('changed');
      expect(include.default).to.deep.equal(['a']);
      expect(parseCommandLine(root, [], [], 'x').pargs.I).to.deep.equal(['a']);
      expect(parseCommandLine(root, ['-I', 'b'], [], 'x').pargs.I).to.deep.equal(['a', 'b']);
      expect(include.default).to.deep.equal(['a']);
    });

    it('lets the first declaration of a shared dest give the default', () => {
      const root = level('base', {
        arguments: [
          arg(['--color'], { action: 'store_true', dest: 'color' }),
          arg(['--no-color'], { action: 'store_false', dest: 'color' }),
        ],
      });
      expect(parseCommandLine(root, [], [], 'x').pargs.color).to.equal(false);
      expect(parseCommandLine(root, ['--color'], [], 'x').pargs.color).to.equal(true);
      expect(parseCommandLine(root, ['--color', '--no-color'], [], 'x').pargs.color).to.equal(false);
    });

    it('mutates neither argv nor the tree', () => {
      const argv = Object.freeze(['-vv', 'db', 'migrate', '-I', 'a', 'v2']);
      const frozen = deepFreeze(buildTree());
      const snapshot = JSON.stringify(frozen);
      const parsed = parseCommandLine(frozen, argv, GLOBALS, 'myapp');
      expect(parsed.pargs.target).to.equal('v2');
      expect(argv).to.deep.equal(['-vv', 'db', 'migrate', '-I', 'a', 'v2']);
      expect(JSON.stringify(frozen)).to.equal(snapshot);
    });
  });

  describe('usage lines on errors', () => {
    it('carries the usage of the command where the error happened', () => {
      expect(failure('db', 'migrate', '--mode', 'z').usage).to.equal(
        formatUsage('myapp', [tree, db], db.commands[0], GLOBALS),
      );
      expect(failure('db', 'create').usage).to.equal(
        'usage: myapp db create [-h] [--debug] [--quiet] [--version] [--daemon] [-f FOO] [-C] [-v] [-I INCLUDE] ' +
          '[--no-cache] [--color {auto,never}] [--url URL] --name NAME table',
      );
    });

    it('carries the usage of the level where an unknown command was met', () => {
      expect(failure('nope').usage).to.equal(
        'usage: myapp [-h] [--debug] [--quiet] [--version] [--daemon] [-f FOO] [-C] [-v] [-I INCLUDE] ' +
          '[--no-cache] [--color {auto,never}] {run-forever,status,db} ...',
      );
    });

    it('carries a usage line for option errors at the top level too', () => {
      expect(failure('--fo').usage).to.equal(failure('nope').usage);
    });
  });

  describe('declaration mistakes', () => {
    it('refuses two arguments that claim the same flag on one command line', () => {
      const root = level('base', {
        arguments: [arg(['-d', '--dir'])],
        commands: [command('go', { arguments: [arg(['-d', '--delay'])] })],
      });
      expect(() => parseCommandLine(root, ['go'], [], 'x')).to.throw(
        TypeError,
        "option '-d' is declared by two arguments ('dir' and 'delay') on the same command line",
      );
      expect(parseCommandLine(root, [], [], 'x').pargs.dir).to.equal(undefined);
    });
  });
});

function deepFreeze<T>(value: T, seen = new Set<unknown>()): T {
  if (value === null || typeof value !== 'object' || seen.has(value)) return value;
  seen.add(value);
  for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key], seen);
  return Object.freeze(value);
}
