import { expect } from 'chai';
import type * as ArgModule from '../../dist/controller/arg';
import type * as HelpModule from '../../dist/controller/help';
import { command, level } from '../helpers/tree';
import { requireDist } from '../helpers/dist';

const { arg } = requireDist<typeof ArgModule>('controller/arg');
const { formatHelp, formatUsage } = requireDist<typeof HelpModule>('controller/help');

const migrate = command('migrate', {
  help: 'Apply the pending migrations to the database schema, one at a time, in the order they were written.',
  arguments: [
    arg('target', { default: 'latest', help: 'the migration to reach' }),
    arg(['--steps'], { type: 'integer', help: 'at most this many' }),
    arg(['-m', '--mode'], { choices: ['fast', 'safe'], default: 'safe', help: 'how to apply them' }),
    arg(['-I', '--include'], { action: 'append', default: ['core', 'auth'], help: 'also run these' }),
    arg(['--label'], { default: '', help: 'a label' }),
    arg(['--lock-timeout-seconds'], {
      type: 'number',
      metavar: 'SECONDS',
      help: 'give up waiting for the migration lock after this long',
    }),
    arg(['--name'], { required: true }),
  ],
});
const backup = command('backup', { aliases: ['bk', 'save'] });
const dropEverything = command('drop-everything', { hide: true, help: 'never shown' });
const replica = level('replica', { help: 'replica tools', description: 'Everything about replicas.' });
const internals = level('internals', { hide: true, aliases: ['int'], description: 'hidden things' });
const db = level('db', {
  aliases: ['database'],
  description: 'Database tools: migrations and backups.\nKeeps the schema in step with the code.',
  arguments: [arg(['--url'], { help: 'database url' })],
  commands: [migrate, dropEverything, backup],
  children: [replica, internals],
});
const rootDefault = command('default', {
  hide: true,
  aliases: ['run'],
  arguments: [arg('script', { default: 'main', help: 'script to run' })],
});
const secret = command('secret', { hide: true, aliases: ['sec'], help: 'the secret command' });
const hiddenLevel = level('hidden-level', { hide: true, description: 'hidden things' });
const root = level('base', {
  description: 'My Application does amazing things!',
  arguments: [
    arg(['-f', '--foo'], { help: 'the notorious foo option' }),
    arg(['-C'], { action: 'store_true', help: 'the big C option' }),
  ],
  defaultCommand: rootDefault,
  commands: [rootDefault, command('run-forever', { aliases: ['rf'], help: 'run the daemon command.' }), secret],
  children: [db, hiddenLevel],
});

const HELP = arg(['-h', '--help'], { action: 'store_true' });
const DEBUG = arg(['--debug'], { action: 'store_true', help: 'toggle debug output' });
const VERSION = arg(['--version'], { action: 'store_true' });
const GLOBALS = [HELP, DEBUG, VERSION];

describe('formatUsage', () => {
  it('lists the global and level options and the visible commands, argparse style', () => {
    expect(
      formatUsage('myapp', [level('base', { ...root, defaultCommand: undefined })], undefined, [HELP, DEBUG]),
    ).to.equal('usage: myapp [-h] [--debug] [-f FOO] [-C] {run-forever,db} ...');
  });

  it('folds the default command into its level without naming it', () => {
    expect(formatUsage('myapp', [root], rootDefault, [HELP, DEBUG])).to.equal(
      'usage: myapp [-h] [--debug] [-f FOO] [-C] [script] {run-forever,db} ...',
    );
  });

  it('names the nested levels and the command, with every option the command accepts', () => {
    expect(formatUsage('myapp', [root, db], undefined, [HELP])).to.equal(
      'usage: myapp db [-h] [-f FOO] [-C] [--url URL] {migrate,backup,replica} ...',
    );
    expect(formatUsage('myapp', [root, db], migrate, [HELP])).to.equal(
      'usage: myapp db migrate [-h] [-f FOO] [-C] [--url URL] [--steps STEPS] [-m {fast,safe}] [-I INCLUDE] ' +
        '[--label LABEL] [--lock-timeout-seconds SECONDS] --name NAME [target]',
    );
  });

  it('writes required options and positionals without brackets, optional ones within', () => {
    const copy = command('copy', {
      arguments: [arg('source'), arg('dest', { default: '.' }), arg(['-m', '--mode'], { required: true })],
    });
    expect(formatUsage('cp', [level('base', { commands: [copy] })], copy, [])).to.equal(
      'usage: cp copy -m MODE source [dest]',
    );
  });

  it('shows a level without visible commands without a command list', () => {
    expect(formatUsage('myapp', [root, db, internals], undefined, [HELP])).to.equal(
      'usage: myapp db internals [-h] [-f FOO] [-C] [--url URL]',
    );
  });

  it('stays one line however long it gets', () => {
    const usage = formatUsage('myapp', [root, db], migrate, GLOBALS);
    expect(usage).not.to.include('\n');
    expect(usage.length).to.be.greaterThan(80);
  });

  it('never names a hidden command, alias or controller', () => {
    const usage = formatUsage('myapp', [root], undefined, GLOBALS);
    for (const name of ['default', 'run', 'secret', 'sec', 'hidden-level']) {
      expect(usage.split(/[\s{},]+/)).not.to.include(name);
    }
  });
});

describe('formatHelp', () => {
  it('shows a level: usage, description, options and visible commands with their aliases', () => {
    const base = level('base', { ...root, defaultCommand: undefined });
    expect(formatHelp('myapp', [base], undefined, GLOBALS, { version: '1.2.3' })).to.equal(
      [
        'usage: myapp [-h] [--debug] [--version] [-f FOO] [-C] {run-forever,db} ...',
        '',
        'My Application does amazing things!',
        '',
        'options:',
        '  -h, --help         show this help message and exit',
        '  --debug            toggle debug output',
        "  --version          show program's version number and exit",
        '  -f FOO, --foo FOO  the notorious foo option',
        '  -C                 the big C option',
        '',
        'commands:',
        '  run-forever (rf)   run the daemon command.',
        '  db (database)      Database tools: migrations and backups.',
        '',
      ].join('\n'),
    );
  });

  it("shows the default command's arguments on its level's screen, without its name", () => {
    expect(formatHelp('myapp', [root], rootDefault, GLOBALS, { version: '1.2.3' })).to.equal(
      [
        'usage: myapp [-h] [--debug] [--version] [-f FOO] [-C]',
        '             [script] {run-forever,db} ...',
        '',
        'My Application does amazing things!',
        '',
        'arguments:',
        '  script             script to run (default: main)',
        '',
        'options:',
        '  -h, --help         show this help message and exit',
        '  --debug            toggle debug output',
        "  --version          show program's version number and exit",
        '  -f FOO, --foo FOO  the notorious foo option',
        '  -C                 the big C option',
        '',
        'commands:',
        '  run-forever (rf)   run the daemon command.',
        '  db (database)      Database tools: migrations and backups.',
        '',
      ].join('\n'),
    );
  });

  it('leaves --version out when no version is given', () => {
    const help = formatHelp('myapp', [root], undefined, GLOBALS);
    expect(help).not.to.include('--version');
    expect(help.split('\n')[0]).to.equal('usage: myapp [-h] [--debug] [-f FOO] [-C] {run-forever,db} ...');
  });

  it('shows a nested level: its help line or the first line of its description for each child', () => {
    expect(formatHelp('myapp', [root, db], undefined, [HELP])).to.equal(
      [
        'usage: myapp db [-h] [-f FOO] [-C] [--url URL] {migrate,backup,replica} ...',
        '',
        'Database tools: migrations and backups. Keeps the schema in step with the code.',
        '',
        'options:',
        '  -h, --help         show this help message and exit',
        '  -f FOO, --foo FOO  the notorious foo option',
        '  -C                 the big C option',
        '  --url URL          database url',
        '',
        'commands:',
        '  migrate            Apply the pending migrations to the database schema, one at',
        '                     a time, in the order they were written.',
        '  backup (bk, save)',
        '  replica            replica tools',
        '',
      ].join('\n'),
    );
  });

  it('shows a command: its help, arguments, every accepted option and the defaults worth showing', () => {
    expect(formatHelp('myapp', [root, db], migrate, [HELP, DEBUG])).to.equal(
      [
        'usage: myapp db migrate [-h] [--debug] [-f FOO] [-C] [--url URL] [--steps STEPS]',
        '                        [-m {fast,safe}] [-I INCLUDE] [--label LABEL]',
        '                        [--lock-timeout-seconds SECONDS] --name NAME',
        '                        [target]',
        '',
        'Apply the pending migrations to the database schema, one at a time, in the order',
        'they were written.',
        '',
        'arguments:',
        '  target                the migration to reach (default: latest)',
        '',
        'options:',
        '  -h, --help            show this help message and exit',
        '  --debug               toggle debug output',
        '  -f FOO, --foo FOO     the notorious foo option',
        '  -C                    the big C option',
        '  --url URL             database url',
        '  --steps STEPS         at most this many',
        '  -m {fast,safe}, --mode {fast,safe}',
        '                        how to apply them (default: safe)',
        '  -I INCLUDE, --include INCLUDE',
        '                        also run these (default: core, auth)',
        '  --label LABEL         a label',
        '  --lock-timeout-seconds SECONDS',
        '                        give up waiting for the migration lock after this long',
        '  --name NAME',
        '',
      ].join('\n'),
    );
  });

  it('wraps to a small width with a hanging indent at a third of it', () => {
    expect(formatHelp('myapp', [root, db], migrate, [HELP, DEBUG], { width: 40 })).to.equal(
      [
        'usage: myapp db migrate',
        '       [-h] [--debug] [-f FOO] [-C]',
        '       [--url URL] [--steps STEPS]',
        '       [-m {fast,safe}] [-I INCLUDE]',
        '       [--label LABEL]',
        '       [--lock-timeout-seconds SECONDS]',
        '       --name NAME',
        '       [target]',
        '',
        'Apply the pending migrations to the',
        'database schema, one at a time, in the',
        'order they were written.',
        '',
        'arguments:',
        '  target     the migration to reach',
        '             (default: latest)',
        '',
        'options:',
        '  -h, --help',
        '             show this help message and',
        '             exit',
        '  --debug    toggle debug output',
        '  -f FOO, --foo FOO',
        '             the notorious foo option',
        '  -C         the big C option',
        '  --url URL  database url',
        '  --steps STEPS',
        '             at most this many',
        '  -m {fast,safe}, --mode {fast,safe}',
        '             how to apply them (default:',
        '             safe)',
        '  -I INCLUDE, --include INCLUDE',
        '             also run these (default:',
        '             core, auth)',
        '  --label LABEL',
        '             a label',
        '  --lock-timeout-seconds SECONDS',
        '             give up waiting for the',
        '             migration lock after this',
        '             long',
        '  --name NAME',
        '',
      ].join('\n'),
    );
  });

  it('wraps a long usage line after the program words when they leave room', () => {
    const help = formatHelp('myapp', [root, db], undefined, [HELP, DEBUG, arg(['--log-level'], { help: 'x' })], {
      width: 50,
    });
    expect(help.split('\n').slice(0, 5)).to.deep.equal([
      'usage: myapp db [-h] [--debug]',
      '                [--log-level LOG_LEVEL] [-f FOO]',
      '                [-C] [--url URL]',
      '                {migrate,backup,replica} ...',
      '',
    ]);
  });

  it('treats a width below 40 as 40, and 80 as the default', () => {
    expect(formatHelp('myapp', [root, db], migrate, GLOBALS, { width: 10 })).to.equal(
      formatHelp('myapp', [root, db], migrate, GLOBALS, { width: 40 }),
    );
    expect(formatHelp('myapp', [root, db], migrate, GLOBALS)).to.equal(
      formatHelp('myapp', [root, db], migrate, GLOBALS, { width: 80 }),
    );
  });

  it('keeps every line within the width, ends with one newline and leaves no trailing blanks', () => {
    for (const width of [40, 57, 80, 120]) {
      for (const [path, target] of [
        [[root], undefined],
        [[root], rootDefault],
        [[root, db], undefined],
        [[root, db], migrate],
      ] as const) {
        const help = formatHelp('myapp', path, target, GLOBALS, { width, version: '1' });
        expect(help.endsWith('\n') && !help.endsWith('\n\n'), `width ${width}`).to.equal(true);
        for (const line of help.slice(0, -1).split('\n')) {
          expect(line.length, line).to.be.at.most(width);
          expect(line, line).not.to.match(/\s$/);
        }
      }
    }
  });

  it('never shows a hidden command, alias or controller', () => {
    const rootNames = ['run-forever', 'db', 'rf', 'database'];
    const screens = [
      [formatHelp('myapp', [root], undefined, GLOBALS), rootNames],
      [formatHelp('myapp', [root], rootDefault, GLOBALS), rootNames],
      [formatHelp('myapp', [root, db], undefined, GLOBALS), ['migrate', 'backup', 'replica', 'bk', 'save']],
    ] as const;
    for (const [help, visible] of screens) {
      // The names a screen offers: the usage's command list and the invocations under `commands:`.
      const offered = new Set(/\{([^}]*)\} \.\.\./.exec(help)?.[1].split(',') ?? []);
      const commands = help.slice(help.indexOf('commands:'));
      for (const match of commands.matchAll(/^ {2}(\S+)(?: \(([^)]*)\))?/gm)) {
        for (const name of [match[1], ...(match[2]?.split(', ') ?? [])]) offered.add(name);
      }
      expect([...offered].sort()).to.deep.equal([...visible].sort());
      expect(help).not.to.include('never shown');
      expect(help).not.to.include('the secret command');
      expect(help).not.to.include('hidden things');
    }
  });

  it('keeps the paragraphs of a description apart', () => {
    const node = level('base', { description: 'First paragraph,\nstill the first.\n\nSecond paragraph.' });
    expect(formatHelp('x', [node], undefined, [])).to.equal(
      ['usage: x', '', 'First paragraph, still the first.', '', 'Second paragraph.', ''].join('\n'),
    );
  });

  it('prefers an argument help text of its own, and an explicit metavar over the choices', () => {
    const node = level('base', {
      arguments: [
        arg(['-h', '--help'], { action: 'store_true', help: 'print help' }),
        arg(['--level'], { type: 'integer', choices: [1, 2], metavar: 'N', default: 0 }),
        arg(['-v'], { action: 'count', help: 'louder' }),
        arg(['--tag'], { action: 'append', default: [] }),
        arg(['--color'], { choices: ['auto', 'never'] }),
      ],
    });
    expect(formatHelp('x', [node], undefined, [])).to.equal(
      [
        'usage: x [-h] [--level N] [-v] [--tag TAG] [--color {auto,never}]',
        '',
        'options:',
        '  -h, --help            print help',
        '  --level N             (default: 0)',
        '  -v                    louder',
        '  --tag TAG',
        '  --color {auto,never}',
        '',
      ].join('\n'),
    );
  });

  it('shows a hidden command by name when its own help is asked for', () => {
    expect(formatHelp('myapp', [root], secret, [HELP])).to.equal(
      [
        'usage: myapp secret [-h] [-f FOO] [-C]',
        '',
        'the secret command',
        '',
        'options:',
        '  -h, --help         show this help message and exit',
        '  -f FOO, --foo FOO  the notorious foo option',
        '  -C                 the big C option',
        '',
      ].join('\n'),
    );
  });

  it('writes nargs as argparse does, in the usage line and the lists', () => {
    // argparse 3.11 prints these exact usage parts and invocations for the same declarations.
    const rm = command('default', {
      hide: true,
      arguments: [
        arg('files', { nargs: '+', help: 'files to remove' }),
        arg('extra', { nargs: '*' }),
        arg('maybe', { nargs: '?', default: 'x' }),
        arg('pair', { nargs: 2 }),
        arg(['-I', '--include'], { nargs: '*' }),
        arg(['--two'], { nargs: 2, type: 'integer' }),
        arg(['--opt'], { nargs: '?', const: 'c' }),
        arg(['--mode'], { nargs: '+', choices: ['a', 'b'] }),
      ],
    });
    const node = level('base', { defaultCommand: rm, commands: [rm] });
    expect(formatHelp('rm', [node], rm, [HELP], { width: 80 })).to.equal(
      [
        'usage: rm [-h] [-I [INCLUDE ...]] [--two TWO TWO] [--opt [OPT]]',
        '          [--mode {a,b} [{a,b} ...]]',
        '          files [files ...] [extra ...] [maybe] pair pair',
        '',
        'arguments:',
        '  files                 files to remove',
        '  extra',
        '  maybe                 (default: x)',
        '  pair',
        '',
        'options:',
        '  -h, --help            show this help message and exit',
        '  -I [INCLUDE ...], --include [INCLUDE ...]',
        '  --two TWO TWO',
        '  --opt [OPT]',
        '  --mode {a,b} [{a,b} ...]',
        '',
      ].join('\n'),
    );
  });

  it('shows the effective defaults it is given (values the config gives options) in place of the declared ones', () => {
    const node = level('base', {
      arguments: [
        arg(['--name'], { default: 'World' }),
        arg(['-p'], { type: 'integer' }),
        arg(['--yes'], { action: 'store_true' }),
      ],
    });
    const defaults = new Map<string, unknown>([
      ['name', 'Env'],
      ['p', 3],
      ['yes', true],
    ]);
    expect(formatHelp('x', [node], undefined, [], { defaults }).split('\n').slice(2, 6)).to.deep.equal([
      'options:',
      '  --name NAME  (default: Env)',
      '  -p P         (default: 3)',
      '  --yes        (default: true)',
    ]);
  });
});
