import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Config, Controller, Expose, FrameworkError, arg, defaults, type AppOptions } from 'mortar';
import { TextSink } from '../helpers/streams';

/** The config value `show` saw while it ran, after the command line was applied. */
let seen: Record<string, unknown> = {};

@Controller({
  label: 'base',
  configDefaults: { foo: 'x', log_dir: '/var/log/t', verbose: false },
  arguments: [arg(['--foo']), arg(['--log-dir']), arg(['--verbose'], { action: 'store_true' }), arg(['--other'])],
})
class BaseController {
  constructor(private readonly app: App) {}

  @Expose()
  show(): void {
    seen = this.app.config.getSection('base');
  }
}

/** Runs `fn` and returns what it threw, failing when it did not throw. */
function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return expect.fail('expected an error');
}

describe('Config', () => {
  let dir: string;
  let stderr: TextSink;
  let savedEnv: NodeJS.ProcessEnv;
  let savedExitCode: typeof process.exitCode;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mortar-config-'));
    stderr = new TextSink();
    savedEnv = { ...process.env };
    savedExitCode = process.exitCode;
    seen = {};
  });

  afterEach(() => {
    for (const name of Object.keys(process.env)) if (!(name in savedEnv)) delete process.env[name];
    Object.assign(process.env, savedEnv);
    process.exitCode = savedExitCode;
    rmSync(dir, { recursive: true, force: true });
  });

  /** Writes a file in the test's directory and returns its path. */
  function file(name: string, text: string): string {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  }

  /** A Config holding exactly what one INI text says. */
  function parsed(text: string): Config {
    const config = new Config();
    expect(config.parseFile(file('parsed.conf', text))).to.equal(true);
    return config;
  }

  function makeApp(argv: readonly string[] = [], options: AppOptions = {}): App {
    return new App('t', { argv, stdout: new TextSink(), stderr, configFiles: [], handleSignals: false, ...options });
  }

  /** Resolves to the error `setup()` rejects with. */
  async function setupError(app: App): Promise<unknown> {
    try {
      await app.setup();
    } catch (error) {
      return error;
    }
    return expect.fail('setup() should have failed');
  }

  describe('precedence', () => {
    it('code defaults < files in order < environment', async () => {
      const first = file('first.conf', '[srv]\nb = first\nc = first\nd = first\n');
      const second = file('second.conf', '[srv]\nc = second\nd = second\n');
      process.env.T_SRV_D = 'env';
      const app = makeApp([], {
        configDefaults: { srv: { a: 'code', b: 'code', c: 'code', d: 'code' } },
        configFiles: [first, second],
      });
      await app.setup();
      expect(app.config.getSection('srv')).to.deep.equal({ a: 'code', b: 'first', c: 'second', d: 'env' });
    });

    it('a command-line option overrides config of the same key in its controller section', async () => {
      const conf = file('t.conf', '[base]\nfoo = file\n');
      process.env.T_BASE_FOO = 'env';
      const app = makeApp(['--foo', 'cli', 'show'], { controllers: [BaseController], configFiles: [conf] });
      expect(await app.main()).to.equal(0);
      expect(seen.foo).to.equal('cli');
      expect(app.config.get('base', 'foo')).to.equal('cli');
    });

    it('an option not given leaves the file value (and the environment value) alone', async () => {
      const conf = file('t.conf', '[base]\nfoo = file\nverbose = true\n');
      const app = makeApp(['show'], { controllers: [BaseController], configFiles: [conf] });
      expect(await app.main()).to.equal(0);
      expect(seen).to.include({ foo: 'file', verbose: true });

      process.env.T_BASE_FOO = 'env';
      const withEnv = makeApp(['show'], { controllers: [BaseController], configFiles: [conf] });
      expect(await withEnv.main()).to.equal(0);
      expect(seen.foo).to.equal('env');
    });

    it('matches a dashed option to its snake_case key, and only keys the section has', async () => {
      const app = makeApp(['--log-dir', '/tmp/logs', '--other', 'o', 'show'], { controllers: [BaseController] });
      expect(await app.main()).to.equal(0);
      expect(seen).to.deep.equal({ foo: 'x', log_dir: '/tmp/logs', verbose: false });
    });

    it("takes the controller's configDefaults under the app's own, without overriding them", async () => {
      const app = makeApp([], { controllers: [BaseController], configDefaults: { base: { foo: 'app default' } } });
      await app.setup();
      expect(app.config.getSection('base')).to.deep.equal({ foo: 'app default', log_dir: '/var/log/t', verbose: false });
    });

    it('applies [log] settings from files and the environment', async () => {
      const conf = file('t.conf', '[log]\nlevel = error\n');
      const fromFile = makeApp([], { configFiles: [conf] });
      await fromFile.setup();
      expect(fromFile.log.getLevel()).to.equal('error');
      process.env.T_LOG_LEVEL = 'warning';
      const app = makeApp([], { configFiles: [conf] });
      await app.setup();
      expect(app.log.getLevel()).to.equal('warning');
      expect(app.config.get('log', 'level')).to.equal('warning');
    });
  });

  describe('config files', () => {
    it('uses /etc/<label>/<label>.conf, ~/.config/<label>/<label>.conf, ~/.<label>.conf by default', () => {
      process.env.HOME = dir;
      const app = new App('mortarspec', { argv: [], handleSignals: false });
      expect(app.defaultConfigFiles()).to.deep.equal([
        '/etc/mortarspec/mortarspec.conf',
        join(dir, '.config/mortarspec/mortarspec.conf'),
        join(dir, '.mortarspec.conf'),
      ]);
    });

    it('reads the default files in order when configFiles is absent, skipping missing ones', async () => {
      process.env.HOME = dir;
      mkdirSync(join(dir, '.config/mortarspec'), { recursive: true });
      writeFileSync(join(dir, '.config/mortarspec/mortarspec.conf'), '[mortarspec]\na = config dir\nb = config dir\n');
      writeFileSync(join(dir, '.mortarspec.conf'), '[mortarspec]\nb = dot file\n');
      const app = new App('mortarspec', { argv: ['--debug'], stdout: new TextSink(), stderr, handleSignals: false });
      await app.setup();
      expect(app.config.getSection('mortarspec')).to.deep.equal({ a: 'config dir', b: 'dot file' });
      expect(stderr.text).to.match(/ \(DEBUG\) mortarspec\.core\.config : config file \/etc\/mortarspec\/mortarspec\.conf does not exist: skipped\n/);
    });

    it('reads no file at all with configFiles: []', async () => {
      process.env.HOME = dir;
      writeFileSync(join(dir, '.mortarspec.conf'), '[mortarspec]\nb = dot file\n');
      const app = new App('mortarspec', { argv: [], stdout: new TextSink(), stderr, configFiles: [], handleSignals: false });
      await app.setup();
      expect(app.config.getSection('mortarspec')).to.deep.equal({});
    });

    it('skips a missing file, saying so in a debug line', async () => {
      const missing = join(dir, 'missing.conf');
      const present = file('present.conf', '[t]\nx = 1\n');
      const app = makeApp(['--debug'], { configFiles: [missing, present] });
      await app.setup();
      expect(app.config.get('t', 'x')).to.equal('1');
      expect(stderr.text).to.match(new RegExp(` \\(DEBUG\\) t\\.core\\.config : config file ${missing} does not exist: skipped\\n`));
      expect(stderr.text).to.match(new RegExp(` \\(DEBUG\\) t\\.core\\.config : read config file ${present}\\n`));
    });

    it('says nothing about a missing file without --debug', async () => {
      const app = makeApp([], { configFiles: [join(dir, 'missing.conf')] });
      await app.setup();
      expect(stderr.text).to.equal('');
    });

    it('parseFile() resolves to false for a missing file or one under a missing directory', () => {
      const config = new Config();
      expect(config.parseFile(join(dir, 'missing.conf'))).to.equal(false);
      expect(config.parseFile(join(dir, 'missing-dir/t.conf'))).to.equal(false);
      expect(config.getSections()).to.deep.equal([]);
    });

    it('refuses a path it cannot read (a directory), naming it', () => {
      const error = thrownBy(() => new Config().parseFile(dir));
      expect(error).to.be.instanceOf(FrameworkError).with.property('message', `Cannot read config file ${dir}: is a directory.`);
    });

    it('fails main() on an unreadable file with one line, exit 1', async () => {
      const app = makeApp([], { configFiles: [dir] });
      expect(await app.main()).to.equal(1);
      expect(stderr.text).to.equal(`t: error: Cannot read config file ${dir}: is a directory.\n`);
    });

    it('fails main() on a malformed file with one line naming the file and the line, exit 1', async () => {
      const bad = file('bad.conf', '[t]\na = 1\n\n[section\nb = 2\n');
      const app = makeApp([], { configFiles: [bad] });
      expect(await app.main()).to.equal(1);
      expect(stderr.text).to.equal(`t: error: Malformed config file ${bad}, line 4: unclosed section header '[section'.\n`);
    });
  });

  describe('INI rules', () => {
    it('skips comment lines starting with # or ;, also when indented', () => {
      const config = parsed('# a comment\n; another\n[s]\n  # indented\n\t; tabbed\na = 1\n#b = 2\n;c = 3\n');
      expect(config.getSection('s')).to.deep.equal({ a: '1' });
    });

    it('ends a value at an inline # or ;', () => {
      const config = parsed('[s]\na = 1 # note\nb = x;y\nc = x#y\nd = value ; note\n');
      expect(config.getSection('s')).to.deep.equal({ a: '1', b: 'x', c: 'x', d: 'value' });
    });

    it('keeps # and ; written \\# and \\;', () => {
      const config = parsed('[s]\na = a\\#b\nb = x\\;y\nc = \\#1\n');
      expect(config.getSection('s')).to.deep.equal({ a: 'a#b', b: 'x;y', c: '#1' });
    });

    it('keeps # and ; inside a double- or single-quoted value, without the quotes', () => {
      const config = parsed(`[s]\na = "a # b"\nb = 'x;y'\nc = "  padded  "\n`);
      expect(config.getSection('s')).to.deep.equal({ a: 'a # b', b: 'x;y', c: '  padded  ' });
    });

    it('keeps a quoted "true" or \'false\' a string', () => {
      const config = parsed(`[s]\na = "true"\nb = 'false'\nc = true\n`);
      expect(config.getSection('s')).to.deep.equal({ a: 'true', b: 'false', c: true });
    });

    it('makes true and false booleans and leaves every other value a string', () => {
      const config = parsed('[s]\nt = true\nf = false\nupper = TRUE\nyes = yes\none = 1\numask = 027\nten = 10\nfloat = 1.5\nnull = null\n');
      expect(config.getSection('s')).to.deep.equal({
        t: true,
        f: false,
        upper: 'TRUE',
        yes: 'yes',
        one: '1',
        umask: '027',
        ten: '10',
        float: '1.5',
        null: 'null',
      });
    });

    it('makes a bare key true and an empty value an empty string', () => {
      const config = parsed('[s]\nflag\nempty =\n');
      expect(config.getSection('s')).to.deep.equal({ flag: true, empty: '' });
    });

    it('trims keys and values, and keeps = signs after the first in the value', () => {
      const config = parsed('[s]\n   key   =    spaced value   \nurl = a=b=c\n');
      expect(config.getSection('s')).to.deep.equal({ key: 'spaced value', url: 'a=b=c' });
    });

    it('reads CRLF line endings', () => {
      const config = parsed('[s]\r\na = 1\r\nb = two\r\n');
      expect(config.getSection('s')).to.deep.equal({ a: '1', b: 'two' });
    });

    it('makes [log.logging] one flat section of that name', () => {
      const config = parsed('[log.logging]\nlevel = debug\n[log]\nfile = x.log\n');
      expect(config.getSections()).to.deep.equal(['log.logging', 'log']);
      expect(config.get('log.logging', 'level')).to.equal('debug');
      expect(config.getSection('log')).to.deep.equal({ file: 'x.log' });
    });

    it('merges a repeated section, the later value of a key winning', () => {
      const config = parsed('[s]\na = 1\nb = 1\n[t]\nc = 1\n[s]\nb = 2\n');
      expect(config.getSection('s')).to.deep.equal({ a: '1', b: '2' });
    });

    it('allows a comment after a section header', () => {
      expect(parsed('[s] # the s section\na = 1\n').getSection('s')).to.deep.equal({ a: '1' });
    });

    it('merges a file over what is there', () => {
      const config = new Config();
      config.merge({ s: { a: 'code', b: 'code' } });
      config.parseFile(file('over.conf', '[s]\nb = file\n'));
      expect(config.getSection('s')).to.deep.equal({ a: 'code', b: 'file' });
    });

    for (const [what, text, line, message] of [
      ['a key before any section', '# header\n\nkey = value\n[s]\n', 3, "key 'key' is outside any [section]"],
      ['a bare key before any section', 'flag\n', 1, "key 'flag' is outside any [section]"],
      ['an unclosed [section', '[s]\na = 1\n[section\n', 3, "unclosed section header '[section'"],
      ['text after a section header', '[s] x\n', 1, "unexpected text after the section header '[s] x'"],
      ['an empty section name', '[s]\n[  ]\n', 2, 'empty section name'],
      ['a missing key', '[s]\n = value\n', 2, "missing key before '='"],
    ] as const) {
      it(`refuses ${what}, naming the file and the line`, () => {
        const path = file('bad.conf', text);
        const error = thrownBy(() => new Config().parseFile(path));
        expect(error).to.be.instanceOf(FrameworkError).with.property('message', `Malformed config file ${path}, line ${line}: ${message}.`);
      });
    }

    it('changes nothing when a file is malformed', () => {
      const config = new Config();
      config.merge({ s: { a: 'code' } });
      thrownBy(() => config.parseFile(file('bad.conf', '[s]\na = file\n[broken\n')));
      expect(config.getSection('s')).to.deep.equal({ a: 'code' });
    });
  });

  describe('environment', () => {
    it('sets a key whose environment spelling differs: pid_file from T_DAEMON_PID_FILE', async () => {
      process.env.T_DAEMON_PID_FILE = '/run/t.pid';
      const app = makeApp([], { configDefaults: { daemon: { pid_file: '' } } });
      await app.setup();
      expect(app.config.getSection('daemon')).to.deep.equal({ pid_file: '/run/t.pid' });
    });

    it('ignores a variable for a section the config does not have', async () => {
      process.env.T_NOSUCH_KEY = 'value';
      const app = makeApp();
      await app.setup();
      expect(app.config.has('nosuch')).to.equal(false);
      expect(app.config.getSections()).to.not.include('nosuch');
    });

    it('gives environment values the same typing as files', () => {
      const config = new Config();
      config.merge({ s: { a: 1, b: 'x', c: 'x', d: 'x' } });
      const applied = config.applyEnvironment('t', { T_S_A: '027', T_S_B: 'true', T_S_C: 'false', T_S_D: '' });
      expect(applied.sort()).to.deep.equal(['s.a', 's.b', 's.c', 's.d']);
      expect(config.getSection('s')).to.deep.equal({ a: '027', b: true, c: false, d: '' });
    });

    it('adds a new key, lower-cased, to an existing section', () => {
      const config = new Config();
      config.addSection('s');
      expect(config.applyEnvironment('t', { T_S_NEW_KEY: 'v' })).to.deep.equal(['s.new_key']);
      expect(config.getSection('s')).to.deep.equal({ new_key: 'v' });
    });

    it('prefers the longest matching section: T_LOG_LOGGING_LEVEL is [log.logging] level', () => {
      const config = new Config();
      config.merge({ log: { level: 'info' }, 'log.logging': { level: 'info' } });
      expect(config.applyEnvironment('t', { T_LOG_LOGGING_LEVEL: 'debug' })).to.deep.equal(['log.logging.level']);
      expect(config.get('log.logging', 'level')).to.equal('debug');
      expect(config.getSection('log')).to.deep.equal({ level: 'info' });
    });

    it('spells a dashed label and section with underscores, upper-cased', () => {
      const config = new Config();
      config.merge({ 'my-section': { 'some-key': 'a' } });
      config.applyEnvironment('my-app', { MY_APP_MY_SECTION_SOME_KEY: 'b' });
      expect(config.getSection('my-section')).to.deep.equal({ 'some-key': 'b' });
    });

    it('ignores variables of another prefix and a bare section name', () => {
      const config = new Config();
      config.merge({ s: { a: 'x' } });
      const applied = config.applyEnvironment('t', { TX_S_A: 'y', S_A: 'y', T_S: 'y', T_S_: 'y', t_s_a: 'y' });
      expect(applied).to.deep.equal([]);
      expect(config.getSection('s')).to.deep.equal({ a: 'x' });
    });
  });

  describe('merge(), get(), set(), has()', () => {
    it('replaces existing values by default', () => {
      const config = new Config();
      config.merge({ s: { a: 1, b: 2 } });
      config.merge({ s: { b: 3, c: 4 }, t: { d: 5 } });
      expect(config.getSection('s')).to.deep.equal({ a: 1, b: 3, c: 4 });
      expect(config.getSection('t')).to.deep.equal({ d: 5 });
    });

    it('with override: false keeps existing values and adds missing ones', () => {
      const config = new Config();
      config.merge({ s: { a: 1, b: 2 } });
      config.merge({ s: { b: 3, c: 4 }, t: { d: 5 } }, { override: false });
      expect(config.getSection('s')).to.deep.equal({ a: 1, b: 2, c: 4 });
      expect(config.getSection('t')).to.deep.equal({ d: 5 });
    });

    it('keeps the types code gives', () => {
      const config = new Config();
      config.merge({ s: { n: 10, list: ['a'], flag: false } });
      expect(config.get('s', 'n')).to.equal(10);
      expect(config.get('s', 'list')).to.deep.equal(['a']);
      expect(config.get('s', 'flag')).to.equal(false);
    });

    it('refuses a section that is not an object, naming it', () => {
      expect(() => new Config().merge({ s: 'oops' } as never)).to.throw(FrameworkError, "Config section 's' must be an object of keys, got string.");
    });

    it('gets, sets and tells what exists', () => {
      const config = new Config();
      expect(config.get('s', 'a')).to.equal(undefined);
      expect(config.has('s')).to.equal(false);
      config.set('s', 'a', 'v');
      expect(config.get('s', 'a')).to.equal('v');
      expect(config.has('s')).to.equal(true);
      expect(config.has('s', 'a')).to.equal(true);
      expect(config.has('s', 'b')).to.equal(false);
      const copy = config.getSection('s');
      copy.a = 'changed';
      expect(config.get('s', 'a')).to.equal('v');
    });
  });

  it("defaults('myapp', 'daemon') starts a config defaults object", () => {
    const config = defaults('myapp', 'daemon');
    expect(config).to.deep.equal({ myapp: {}, daemon: {} });
    config.daemon.pid_file = '/run/myapp.pid';
    expect(config.daemon).to.deep.equal({ pid_file: '/run/myapp.pid' });
  });

  it('sets up the app section and the [log] defaults', async () => {
    const app = makeApp();
    await app.setup();
    expect(app.config.getSection('t')).to.deep.equal({});
    expect(app.config.getSection('log')).to.deep.equal({ level: 'info', file: '', to_console: true });
  });
});
