/**
 * Config values fill the options not given on the command line (commander's
 * Option.env(), oclif's env:, click's default_map): the key of the option's
 * dest in snake_case, in the section of the controller that declares it.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Controller, Expose, arg, type AppOptions } from 'mortar';
import { TextSink } from '../helpers/streams';

/** What the last command saw. */
let seen: Record<string, unknown> = {};

@Controller({
  label: 'base',
  arguments: [arg(['-v', '--verbose'], { action: 'count' })],
})
class Base {
  @Expose({
    arguments: [
      arg(['--name'], { default: 'World' }),
      arg(['-p', '--priority'], { type: 'integer', choices: [1, 2, 3], default: 2 }),
      arg(['--ratio'], { type: 'number' }),
      arg(['--dry-run'], { action: 'store_true' }),
      arg(['--no-cache'], { action: 'store_false', dest: 'cache' }),
      arg(['-t', '--tag'], { action: 'append' }),
      arg(['--pair'], { nargs: 2, type: 'integer' }),
      arg('title', { default: 'untitled' }),
    ],
  })
  greet(args: Record<string, unknown>): void {
    seen = args;
  }

  @Expose({ arguments: [arg(['--token'], { required: true })] })
  login(args: Record<string, unknown>): void {
    seen = args;
  }
}

@Controller({ label: 'db', stackedOn: 'base', stackedType: 'nested', arguments: [arg(['--url'])] })
class Db {
  @Expose({ arguments: [arg(['--steps'], { type: 'integer' })] })
  migrate(args: Record<string, unknown>): void {
    seen = args;
  }
}

@Controller({
  label: 'extras',
  stackedOn: 'db',
  stackedType: 'embedded',
  arguments: [arg(['--color'], { choices: ['auto', 'never'] })],
})
class Extras {
  @Expose()
  vacuum(args: Record<string, unknown>): void {
    seen = args;
  }
}

const ENV_PREFIX = 'CFGOPT_';

describe('config values fill options not given on the command line', () => {
  let dir: string;
  let file: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mortar-cfgopt-'));
    file = join(dir, 'cfgopt.conf');
    seen = {};
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
    clearEnvironment();
  });

  function clearEnvironment(): void {
    for (const name of Object.keys(process.env)) if (name.startsWith(ENV_PREFIX)) delete process.env[name];
  }

  async function run(
    argv: string[],
    options: { ini?: string; env?: Record<string, string> } & Partial<AppOptions> = {},
  ) {
    const { ini, env, ...appOptions } = options;
    // Each run sees only its own file and variables.
    rmSync(file, { force: true });
    if (ini !== undefined) writeFileSync(file, ini);
    clearEnvironment();
    Object.assign(process.env, env);
    const stdout = new TextSink();
    const stderr = new TextSink();
    const app = new App('cfgopt', {
      controllers: [Base, Db, Extras],
      argv,
      stdout,
      stderr,
      configFiles: [file],
      handleSignals: false,
      ...appOptions,
    });
    const saved = process.exitCode;
    const code = await app.main();
    process.exitCode = saved;
    return { code, stdout: stdout.text, stderr: stderr.text, app };
  }

  it('takes, lowest first: the arg default, code defaults, files, the environment, the command line', async () => {
    await run(['greet']);
    expect(seen.name).to.equal('World');
    const code = { configDefaults: { base: { name: 'Code' } } };
    await run(['greet'], code);
    expect(seen.name).to.equal('Code');
    await run(['greet'], { ...code, ini: '[base]\nname = File\n' });
    expect(seen.name).to.equal('File');
    await run(['greet'], { ...code, ini: '[base]\nname = File\n', env: { CFGOPT_BASE_NAME: 'Env' } });
    expect(seen.name).to.equal('Env');
    await run(['greet', '--name', 'Cli'], { ...code, ini: '[base]\nname = File\n', env: { CFGOPT_BASE_NAME: 'Env' } });
    expect(seen.name).to.equal('Cli');
  });

  it('reads the environment even for a section nothing else created', async () => {
    await run(['greet'], { env: { CFGOPT_BASE_NAME: 'Env', CFGOPT_BASE_PRIORITY: '1' } });
    expect(seen).to.include({ name: 'Env', priority: 1 });
  });

  it('converts and checks each value as if typed on the command line', async () => {
    await run(['greet'], { ini: '[base]\npriority = 3\nratio = 1_000.5\ndry_run = yes\ncache = off\nverbose = 2\n' });
    expect(seen).to.include({ priority: 3, ratio: 1000.5, dryRun: true, cache: false, verbose: 2 });
    await run(['greet'], { configDefaults: { base: { priority: 1, dry_run: true, tag: ['a', 'b'], pair: [4, 5] } } });
    expect(seen).to.deep.include({ priority: 1, dryRun: true, tag: ['a', 'b'], pair: [4, 5] });
  });

  it('reads one value per line for an option with several: continuation lines, or the lines of a variable', async () => {
    await run(['greet'], { ini: '[base]\ntag: home\n  shop\npair = 1\n  2\n' });
    expect(seen).to.deep.include({ tag: ['home', 'shop'], pair: [1, 2] });
    await run(['greet'], { env: { CFGOPT_BASE_TAG: 'home\n shop \n', CFGOPT_BASE_PAIR: '1\n2' } });
    expect(seen).to.deep.include({ tag: ['home', 'shop'], pair: [1, 2] });
    await run(['greet', '-t', 'cli'], { env: { CFGOPT_BASE_TAG: 'home' } });
    expect(seen.tag).to.deep.equal(['cli']);
  });

  it('takes a key of [DEFAULT] in every section that lacks it, as configparser does', async () => {
    const { code, stderr } = await run(['db', 'migrate'], {
      ini: '[DEFAULT]\nsteps = 7\nname = Everyone\n[db]\nurl = pg://db\n',
    });
    expect(code, stderr).to.equal(0);
    expect(seen).to.include({ steps: 7, url: 'pg://db' });
    await run(['greet'], { ini: '[DEFAULT]\nname = Everyone\n[base]\n' });
    expect(seen.name).to.equal('Everyone');
    const wrong = await run(['db', 'migrate'], { ini: '[DEFAULT]\nsteps = many\n[db]\n' });
    expect(wrong.stderr).to.equal(
      `cfgopt: error: invalid value 'many' for [db] steps (from [DEFAULT] in ${file}, line 2): expected an integer\n`,
    );
  });

  it('leaves the arg default in place for an empty value', async () => {
    await run(['greet'], { ini: '[base]\nname =\npriority =\n' });
    expect(seen).to.include({ name: 'World', priority: 2 });
  });

  it('names the section, key, value and where it was set when a value does not fit: exit 1, one line', async () => {
    const fromFile = await run(['greet'], { ini: '[base]\npriority = 5\n' });
    expect(fromFile.code).to.equal(1);
    expect(fromFile.stderr).to.equal(
      `cfgopt: error: invalid value '5' for [base] priority (from ${file}, line 2): choose from '1', '2', '3'\n`,
    );
    const fromEnv = await run(['greet'], { ini: '[base]\npriority = 1\n', env: { CFGOPT_BASE_PRIORITY: 'high' } });
    expect(fromEnv.stderr).to.equal(
      "cfgopt: error: invalid value 'high' for [base] priority (from environment variable CFGOPT_BASE_PRIORITY): expected an integer\n",
    );
    const fromCode = await run(['greet'], { configDefaults: { base: { dry_run: 'maybe' } } });
    expect(fromCode.stderr).to.equal(
      "cfgopt: error: invalid value 'maybe' for [base] dry_run (from the config defaults in code): expected true or false (or yes/no, on/off, 1/0)\n",
    );
    const multiLine = await run(['greet'], { ini: '[base]\npair = 1\n  x\n' });
    expect(multiLine.stderr).to.equal(
      `cfgopt: error: invalid value 'x' for [base] pair (from ${file}, line 2): expected an integer\n`,
    );
    const tooFew = await run(['greet'], { env: { CFGOPT_BASE_PAIR: '1' } });
    expect(tooFew.stderr).to.equal(
      "cfgopt: error: invalid value '1' for [base] pair (from environment variable CFGOPT_BASE_PAIR): expected 2 values, one per line\n",
    );
  });

  it('names the later of two files that set the value', async () => {
    const second = join(dir, 'second.conf');
    writeFileSync(second, '[base]\nratio = lots\n');
    const { code, stderr } = await run(['greet'], { ini: '[base]\nratio = 1\n', configFiles: [file, second] });
    expect(code).to.equal(1);
    expect(stderr).to.equal(
      `cfgopt: error: invalid value 'lots' for [base] ratio (from ${second}, line 2): expected a number\n`,
    );
  });

  it('ignores a bad value for an option given on the command line, which wins anyway', async () => {
    const { code } = await run(['greet', '--priority', '1'], { ini: '[base]\npriority = 5\n' });
    expect(code).to.equal(0);
    expect(seen.priority).to.equal(1);
  });

  it("fills each option from its own controller's section: nested, embedded, and the level's", async () => {
    await run(['db', 'migrate'], { ini: '[db]\nurl = pg://db\nsteps = 4\n[base]\nverbose = 1\n' });
    expect(seen).to.include({ url: 'pg://db', steps: 4, verbose: 1 });
    await run(['db', 'vacuum'], { ini: '[extras]\ncolor = never\n[db]\ncolor = auto\n' });
    expect(seen.color).to.equal('never');
  });

  it('lets a config value satisfy a required option', async () => {
    expect((await run(['login'])).stderr).to.match(/^cfgopt: error: missing required option '--token'\n/);
    const { code } = await run(['login'], { env: { CFGOPT_BASE_TOKEN: 's3cret' } });
    expect(code).to.equal(0);
    expect(seen.token).to.equal('s3cret');
  });

  it('fills neither positional arguments nor the global options', async () => {
    const { code, stdout } = await run(['greet'], { ini: '[base]\ntitle = from-config\nhelp = true\ndebug = true\n' });
    expect(code).to.equal(0);
    expect(stdout).to.equal('');
    expect(seen).to.include({ title: 'untitled', help: false, debug: false });
  });

  it('shows the effective defaults in help', async () => {
    const { stdout } = await run(['greet', '--help'], { ini: '[base]\nname = File\npriority = 1\n' });
    expect(stdout).to.contain('  --name NAME');
    expect(stdout).to.match(/--name NAME\s+\(default: File\)/);
    expect(stdout).to.match(/--priority \{1,2,3\}\s+\(default: 1\)/);
  });
});
