import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
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
      expect(app.config.getSection('base')).to.deep.equal({
        foo: 'app default',
        log_dir: '/var/log/t',
        verbose: false,
      });
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
    it('searches /etc/<label>/<label>.conf, ~/.config/<label>/<label>.conf, ~/.<label>.conf and two conf.d directories by default', () => {
      process.env.HOME = dir;
      const app = new App('mortarspec', { argv: [], handleSignals: false });
      expect(app.defaultConfigFiles()).to.deep.equal([
        '/etc/mortarspec/mortarspec.conf',
        join(dir, '.config/mortarspec/mortarspec.conf'),
        join(dir, '.mortarspec.conf'),
      ]);
      expect(app.defaultConfigDirs()).to.deep.equal(['/etc/mortarspec/conf.d', join(dir, '.config/mortarspec/conf.d')]);
    });

    it("reads each level's conf.d after its main file: ~/.config/<label>/<label>.conf, its conf.d, then ~/.<label>.conf", async () => {
      process.env.HOME = dir;
      mkdirSync(join(dir, '.config/mortarspec/conf.d'), { recursive: true });
      writeFileSync(
        join(dir, '.config/mortarspec/mortarspec.conf'),
        '[mortarspec]\na = main\nb = main\nc = main\nd = main\n',
      );
      writeFileSync(
        join(dir, '.config/mortarspec/conf.d/10-later.conf'),
        '[mortarspec]\nc = conf.d 10\nd = conf.d 10\n',
      );
      writeFileSync(
        join(dir, '.config/mortarspec/conf.d/01-first.conf'),
        '[mortarspec]\nb = conf.d 01\nc = conf.d 01\nd = conf.d 01\n',
      );
      writeFileSync(join(dir, '.mortarspec.conf'), '[mortarspec]\nd = dot file\n');
      const app = new App('mortarspec', { argv: ['--debug'], stdout: new TextSink(), stderr, handleSignals: false });
      await app.setup();
      expect(app.config.getSection('mortarspec')).to.deep.equal({
        a: 'main',
        b: 'conf.d 01',
        c: 'conf.d 10',
        d: 'dot file',
      });
      const reads = stderr.text
        .split('\n')
        .filter((line) => / config (file|directory) /.test(line))
        .map((line) => line.replace(/^.* : /, ''));
      expect(reads).to.deep.equal([
        'config file /etc/mortarspec/mortarspec.conf does not exist: skipped',
        'config directory /etc/mortarspec/conf.d does not exist: skipped',
        `read config file ${join(dir, '.config/mortarspec/mortarspec.conf')}`,
        `read config file ${join(dir, '.config/mortarspec/conf.d/01-first.conf')}`,
        `read config file ${join(dir, '.config/mortarspec/conf.d/10-later.conf')}`,
        `read config file ${join(dir, '.mortarspec.conf')}`,
      ]);
    });

    it('reads no file and no directory at all with configFiles: []', async () => {
      process.env.HOME = dir;
      mkdirSync(join(dir, '.config/mortarspec/conf.d'), { recursive: true });
      writeFileSync(join(dir, '.config/mortarspec/conf.d/a.conf'), '[mortarspec]\na = conf.d\n');
      writeFileSync(join(dir, '.mortarspec.conf'), '[mortarspec]\nb = dot file\n');
      const app = new App('mortarspec', {
        argv: [],
        stdout: new TextSink(),
        stderr,
        configFiles: [],
        handleSignals: false,
      });
      await app.setup();
      expect(app.config.getSection('mortarspec')).to.deep.equal({});
    });

    it('skips a missing file, saying so in a debug line', async () => {
      const missing = join(dir, 'missing.conf');
      const present = file('present.conf', '[t]\nx = 1\n');
      const app = makeApp(['--debug'], { configFiles: [missing, present] });
      await app.setup();
      expect(app.config.get('t', 'x')).to.equal('1');
      expect(stderr.text).to.match(
        new RegExp(` \\(DEBUG\\) t\\.core\\.config : config file ${missing} does not exist: skipped\\n`),
      );
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
      expect(config.parseFile(join(file('plain', ''), 't.conf'))).to.equal(false);
      expect(config.getSections()).to.deep.equal([]);
    });

    it('refuses a path it cannot read (a directory), naming it', () => {
      const error = thrownBy(() => new Config().parseFile(dir));
      expect(error)
        .to.be.instanceOf(FrameworkError)
        .with.property('message', `Cannot read config file ${dir}: is a directory.`);
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
      expect(stderr.text).to.equal(
        `t: error: Malformed config file ${bad}, line 4: unclosed section header '[section'.\n`,
      );
    });

    it('fails main() on a key given twice, naming both lines', async () => {
      const bad = file('twice.conf', '[daemon]\npid_file = /run/a.pid\nuser = nobody\nPID_FILE: /run/b.pid\n');
      const app = makeApp([], { configFiles: [bad] });
      expect(await app.main()).to.equal(1);
      expect(stderr.text).to.equal(
        `t: error: Malformed config file ${bad}, line 4: duplicate key 'pid_file' in [daemon] (first on line 2).\n`,
      );
    });

    it('reads the same section and key in two files without complaint, the later file winning', async () => {
      const first = file('first.conf', '[s]\na = 1\nb = 1\n');
      const second = file('second.conf', '[s]\nb = 2\n');
      const app = makeApp([], { configFiles: [first, second] });
      await app.setup();
      expect(app.config.getSection('s')).to.deep.equal({ a: '1', b: '2' });
    });
  });

  describe('configDirs (conf.d)', () => {
    /** Makes a directory in the test's directory, with files: name → text. */
    function confDir(name: string, files: Record<string, string>): string {
      const path = join(dir, name);
      mkdirSync(path, { recursive: true });
      for (const [entry, text] of Object.entries(files)) writeFileSync(join(path, entry), text);
      return path;
    }

    it('reads every *.conf in byte order of the names (10- before 2-, Z before a), after every config file, later files winning', async () => {
      const main = file('main.conf', '[s]\na = main\nb = main\nc = main\n');
      const confD = confDir('conf.d', {
        '2-second.conf': '[s]\nb = 2-second\nc = 2-second\n',
        'a-lower.conf': '[s]\nc = a-lower\n',
        '10-first.conf': '[s]\nb = 10-first\nc = 10-first\n',
        'Z-upper.conf': '[s]\nc = Z-upper\n',
      });
      const app = makeApp(['--debug'], { configFiles: [main], configDirs: [confD] });
      await app.setup();
      expect(app.config.getSection('s')).to.deep.equal({ a: 'main', b: '2-second', c: 'a-lower' });
      const read = [...stderr.text.matchAll(/read config file (.*)\n/g)].map((match) => match[1]);
      expect(read).to.deep.equal([
        main,
        ...['10-first', '2-second', 'Z-upper', 'a-lower'].map((name) => join(confD, `${name}.conf`)),
      ]);
    });

    it('leaves out other names, hidden files and a dangling symbolic link', async () => {
      const confD = confDir('conf.d', {
        'a.conf': '[s]\na = 1\n',
        'b.conf.bak': '[s]\nb = 1\n',
        'c.ini': '[s]\nc = 1\n',
        '.hidden.conf': '[s]\nd = 1\n',
        README: 'not a config file',
      });
      symlinkSync(join(dir, 'nowhere.conf'), join(confD, 'dangling.conf'));
      const config = new Config();
      expect(config.parseDirectory(confD)).to.deep.equal([join(confD, 'a.conf')]);
      expect(config.getSection('s')).to.deep.equal({ a: '1' });
    });

    it('follows a symbolic link to a file', async () => {
      const target = file('target.conf', '[s]\nlinked = yes\n');
      const confD = confDir('conf.d', {});
      symlinkSync(target, join(confD, 'linked.conf'));
      const config = new Config();
      expect(config.parseDirectory(confD)).to.deep.equal([join(confD, 'linked.conf')]);
      expect(config.get('s', 'linked')).to.equal('yes');
    });

    it('replaces the default directories: configDirs without configFiles reads the default files, then these directories', async () => {
      process.env.HOME = dir;
      writeFileSync(join(dir, '.mortarspec.conf'), '[mortarspec]\na = dot file\nb = dot file\n');
      mkdirSync(join(dir, '.config/mortarspec/conf.d'), { recursive: true });
      writeFileSync(join(dir, '.config/mortarspec/conf.d/default.conf'), '[mortarspec]\nc = default conf.d\n');
      const confD = confDir('mine.d', { 'x.conf': '[mortarspec]\nb = mine.d\n' });
      const app = new App('mortarspec', {
        argv: [],
        stdout: new TextSink(),
        stderr,
        handleSignals: false,
        configDirs: [confD],
      });
      await app.setup();
      expect(app.config.getSection('mortarspec')).to.deep.equal({ a: 'dot file', b: 'mine.d' });
    });

    it('skips a missing directory, saying so in a debug line', async () => {
      const missing = join(dir, 'missing.d');
      const app = makeApp(['--debug'], { configDirs: [missing] });
      await app.setup();
      expect(stderr.text).to.match(
        new RegExp(` \\(DEBUG\\) t\\.core\\.config : config directory ${missing} does not exist: skipped\\n`),
      );
      expect(new Config().parseDirectory(join(file('plain', ''), 'sub'))).to.equal(false);
    });

    it('refuses a directory path that is a file, and an entry that is a directory, naming them', async () => {
      const plain = file('plain.conf', '[s]\n');
      const app = makeApp([], { configDirs: [plain] });
      expect(await app.main()).to.equal(1);
      expect(stderr.text).to.equal(`t: error: Cannot read config directory ${plain}: not a directory.\n`);
      const confD = confDir('conf.d', {});
      mkdirSync(join(confD, 'sub.conf'));
      expect(thrownBy(() => new Config().parseDirectory(confD))).to.have.property(
        'message',
        `Cannot read config file ${join(confD, 'sub.conf')}: is a directory.`,
      );
    });

    it('fails on a malformed entry, naming the entry and the line', async () => {
      const confD = confDir('conf.d', { 'a.conf': '[s]\na = 1\n', 'b.conf': '[s]\nb\n' });
      const app = makeApp([], { configDirs: [confD] });
      expect(await app.main()).to.equal(1);
      expect(stderr.text).to.equal(
        `t: error: Malformed config file ${join(confD, 'b.conf')}, line 2: expected 'key = value' or 'key: value', got 'b'.\n`,
      );
    });
  });

  describe('values read from files', () => {
    it('are text, except true and false, which are booleans (a quoted "true" is text, quotes included)', () => {
      const config = parsed(
        `[s]\nt = true\nf = false\nupper = TRUE\nyes = yes\none = 1\numask = 027\nfloat = 1.5\nquoted = "true"\nmulti = true\n  more\n`,
      );
      expect(config.getSection('s')).to.deep.equal({
        t: true,
        f: false,
        upper: 'TRUE',
        yes: 'yes',
        one: '1',
        umask: '027',
        float: '1.5',
        quoted: '"true"',
        multi: 'true\nmore',
      });
    });

    it('merge over what is there', () => {
      const config = new Config();
      config.merge({ s: { a: 'code', b: 'code' } });
      config.parseFile(file('over.conf', '[s]\nB = file\n'));
      expect(config.getSection('s')).to.deep.equal({ a: 'code', b: 'file' });
    });

    it('change nothing when the file is malformed', () => {
      const config = new Config();
      config.merge({ s: { a: 'code' } });
      thrownBy(() => config.parseFile(file('bad.conf', '[s]\na = file\n[t]\nx = 1\nx = 2\n')));
      expect(config.toObject()).to.deep.equal({ s: { a: 'code' } });
    });
  });

  describe('[DEFAULT]', () => {
    it('gives its keys to every section that lacks them, and is not a section itself', () => {
      const config = parsed('[DEFAULT]\ndir = /srv\nlevel = info\n[a]\nx = 1\n[b]\ndir = /own\n');
      expect(config.getSections()).to.deep.equal(['a', 'b']);
      expect(config.getSection('a')).to.deep.equal({ x: '1', dir: '/srv', level: 'info' });
      expect(config.getSection('b')).to.deep.equal({ dir: '/own', level: 'info' });
      expect(config.get('a', 'dir')).to.equal('/srv');
      expect(config.has('a', 'dir')).to.equal(true);
      expect(config.has('DEFAULT')).to.equal(false);
      expect(config.get('nosuch', 'dir')).to.equal(undefined);
      expect(config.getSection('DEFAULT')).to.deep.equal({ dir: '/srv', level: 'info' });
    });

    it('reaches sections that come from code or later files, multi-line values included', () => {
      const config = new Config();
      config.merge({ code: { own: 'x' } });
      config.parseFile(file('a.conf', '[DEFAULT]\nhosts =\n  a\n  b\n'));
      config.parseFile(file('b.conf', '[later]\nown = y\n'));
      expect(config.getSection('code')).to.deep.equal({ own: 'x', hosts: '\na\nb' });
      expect(config.getSection('later')).to.deep.equal({ own: 'y', hosts: '\na\nb' });
    });

    it("ranks above code defaults (mortar's own [daemon] and [log] included) and below any section's value from a file or the environment", async () => {
      const conf = file(
        't.conf',
        '[DEFAULT]\ndir = /srv\nfoo = from default\nuser = from default\n[srv]\nuser = own\n',
      );
      process.env.T_SRV_FOO = 'env';
      const app = makeApp([], {
        extensions: ['daemon'],
        controllers: [BaseController],
        configDefaults: { srv: { dir: '/code', foo: 'code', user: 'code' } },
        configFiles: [conf],
      });
      await app.setup();
      expect(app.config.getSection('srv')).to.deep.equal({ dir: '/srv', foo: 'env', user: 'own' });
      expect(app.config.get('daemon', 'dir')).to.equal('/srv');
      expect(app.config.get('daemon', 'user')).to.equal('from default');
      expect(app.config.get('base', 'foo')).to.equal('from default');
      expect(app.config.get('log', 'level')).to.equal('info');
    });

    it("takes the later file's value for a key of [DEFAULT] given in two files", () => {
      const config = new Config();
      config.parseFile(file('a.conf', '[DEFAULT]\nd = one\n[s]\n'));
      config.parseFile(file('b.conf', '[DEFAULT]\nd = two\n'));
      expect(config.get('s', 'd')).to.equal('two');
    });

    it('survives toObject() and merge(): the same config, with inherited keys still inherited', () => {
      const config = parsed('[DEFAULT]\nd = x\n[s]\na = 1\n');
      const copy = new Config();
      copy.merge(config.toObject());
      expect(config.toObject()).to.deep.equal({ DEFAULT: { d: 'x' }, s: { a: '1' } });
      copy.set('DEFAULT', 'd', 'changed');
      expect(copy.get('s', 'd')).to.equal('changed');
    });
  });

  describe("[log.logging], Cement's name for [log]", () => {
    it('is read as [log]', () => {
      const config = parsed('[log.logging]\nlevel = debug\nfile = x.log\n');
      expect(config.getSections()).to.deep.equal(['log']);
      expect(config.getSection('log')).to.deep.equal({ level: 'debug', file: 'x.log' });
      expect(config.get('log.logging', 'level')).to.equal('debug');
      expect(config.has('log.logging', 'file')).to.equal(true);
    });

    it('gives way to [log] in the same file, key by key', () => {
      const config = parsed('[log]\nlevel = error\n[log.logging]\nlevel = debug\nfile = x.log\n');
      expect(config.getSection('log')).to.deep.equal({ level: 'error', file: 'x.log' });
      const reversed = parsed('[log.logging]\nlevel = debug\n[log]\nlevel = error\n');
      expect(reversed.getSection('log')).to.deep.equal({ level: 'error' });
    });

    it('follows file order across files, like any key', () => {
      const config = new Config();
      config.parseFile(file('a.conf', '[log]\nlevel = error\n'));
      config.parseFile(file('b.conf', '[log.logging]\nlevel = debug\n'));
      expect(config.get('log', 'level')).to.equal('debug');
    });

    it("sets the app's log level and file", async () => {
      const log = join(dir, 'app.log');
      const conf = file('t.conf', `[log.logging]\nlevel: WARNING\nfile: ${log}\n`);
      const app = makeApp([], { configFiles: [conf] });
      await app.setup();
      expect(app.log.getLevel()).to.equal('warning');
      expect(app.log.getFile()).to.equal(log);
      await app.close();
    });
  });

  describe('typed getters', () => {
    function config(values: Record<string, unknown>): Config {
      const made = new Config();
      made.merge({ s: values });
      return made;
    }

    it('getBoolean() reads booleans and what configparser reads as one, in any case', () => {
      const made = config({
        t: true,
        f: false,
        yes: 'Yes',
        no: 'NO',
        on: 'on',
        off: 'Off',
        one: '1',
        zero: '0',
        tt: 'TRUE',
        ff: ' false ',
      });
      expect(['t', 'yes', 'on', 'one', 'tt'].map((key) => made.getBoolean('s', key))).to.deep.equal([
        true,
        true,
        true,
        true,
        true,
      ]);
      expect(['f', 'no', 'off', 'zero', 'ff'].map((key) => made.getBoolean('s', key))).to.deep.equal([
        false,
        false,
        false,
        false,
        false,
      ]);
    });

    it('getNumber() and getInteger() read numbers and decimal text', () => {
      const made = config({ n: 8, text: '8080', neg: '-1.5', point: '.5', exp: '1e3', padded: ' 42 ', zeros: '010' });
      expect(
        ['n', 'text', 'neg', 'point', 'exp', 'padded', 'zeros'].map((key) => made.getNumber('s', key)),
      ).to.deep.equal([8, 8080, -1.5, 0.5, 1000, 42, 10]);
      expect(['n', 'text', 'padded', 'zeros'].map((key) => made.getInteger('s', key))).to.deep.equal([8, 8080, 42, 10]);
      expect(config({ plus: '+7', minus: '-7' }).getInteger('s', 'plus')).to.equal(7);
    });

    it('getList() reads a multi-line value one item per line, and an array from code', () => {
      const made = parsed('[s]\nhosts =\n  alpha\n\n  beta gamma\n  ; a comment line\n  delta\none = single\n');
      expect(made.getList('s', 'hosts')).to.deep.equal(['alpha', 'beta gamma', 'delta']);
      expect(made.getList('s', 'one')).to.deep.equal(['single']);
      expect(config({ list: ['a', 'b'] }).getList('s', 'list')).to.deep.equal(['a', 'b']);
    });

    it('give the fallback (or undefined) for an absent key or section, and for an empty value', () => {
      const made = config({ empty: '', blank: '  ', nothing: null });
      for (const key of ['missing', 'empty', 'blank', 'nothing']) {
        expect(made.getBoolean('s', key, true), key).to.equal(true);
        expect(made.getNumber('s', key, 3), key).to.equal(3);
        expect(made.getInteger('s', key, 4), key).to.equal(4);
        expect(made.getList('s', key, ['x']), key).to.deep.equal(['x']);
        expect(made.getNumber('s', key), key).to.equal(undefined);
      }
      expect(made.getBoolean('nosuch', 'key', false)).to.equal(false);
    });

    it('refuse anything else with one line naming the section, the key and the value', () => {
      const made = config({
        b: 'maybe',
        n: '12abc',
        i: '1.5',
        big: '9007199254740993',
        inf: 'Infinity',
        hex: '0x10',
        flag: true,
        list: { a: 1 },
      });
      const cases: [() => unknown, string][] = [
        [() => made.getBoolean('s', 'b'), "Invalid [s] b 'maybe': expected true or false (or yes/no, on/off, 1/0)."],
        [() => made.getNumber('s', 'n'), "Invalid [s] n '12abc': expected a number."],
        [() => made.getNumber('s', 'inf'), "Invalid [s] inf 'Infinity': expected a number."],
        [() => made.getNumber('s', 'hex'), "Invalid [s] hex '0x10': expected a number."],
        [() => made.getNumber('s', 'flag'), "Invalid [s] flag 'true': expected a number."],
        [() => made.getInteger('s', 'i'), "Invalid [s] i '1.5': expected an integer."],
        [() => made.getInteger('s', 'big'), "Invalid [s] big '9007199254740993': expected an integer."],
        [() => made.getList('s', 'list'), "Invalid [s] list '[object Object]': expected text, one item per line."],
      ];
      for (const [get, message] of cases)
        expect(thrownBy(get)).to.be.instanceOf(FrameworkError).with.property('message', message);
    });

    it('name the file and line, the environment variable, or [DEFAULT], where the value came from', () => {
      const path = file('t.conf', '[DEFAULT]\nretries = lots\n[s]\n\nport: eighty\nlines = a\n  b\n');
      const made = new Config();
      made.parseFile(path);
      expect(thrownBy(() => made.getInteger('s', 'port'))).to.have.property(
        'message',
        `Invalid [s] port 'eighty' (${path}, line 5): expected an integer.`,
      );
      expect(thrownBy(() => made.getInteger('s', 'retries'))).to.have.property(
        'message',
        `Invalid [s] retries 'lots' ([DEFAULT] in ${path}, line 2): expected an integer.`,
      );
      expect(thrownBy(() => made.getNumber('s', 'lines'))).to.have.property(
        'message',
        `Invalid [s] lines 'a\\nb' (${path}, line 6): expected a number.`,
      );
      made.applyEnvironment('t', { T_S_PORT: 'ninety' });
      expect(thrownBy(() => made.getInteger('s', 'port'))).to.have.property(
        'message',
        "Invalid [s] port 'ninety' (environment variable T_S_PORT): expected an integer.",
      );
      made.set('s', 'port', 'x');
      expect(made.origin('s', 'port')).to.equal(undefined);
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

    it('prefers the longest matching section: T_DB_REPLICA_HOST is [db.replica] host', () => {
      const config = new Config();
      config.merge({ db: { host: 'a' }, 'db.replica': { host: 'b' } });
      expect(config.applyEnvironment('t', { T_DB_REPLICA_HOST: 'c' })).to.deep.equal(['db.replica.host']);
      expect(config.get('db.replica', 'host')).to.equal('c');
      expect(config.getSection('db')).to.deep.equal({ host: 'a' });
    });

    it("sets [log] from T_LOG_LEVEL or Cement's T_LOG_LOGGING_LEVEL, T_LOG_LEVEL winning when both are set", () => {
      const config = new Config();
      config.parseFile(file('t.conf', '[log.logging]\nlevel = info\n'));
      expect(config.applyEnvironment('t', { T_LOG_LOGGING_LEVEL: 'error' })).to.deep.equal(['log.level']);
      expect(config.get('log', 'level')).to.equal('error');
      expect(config.applyEnvironment('t', { T_LOG_LEVEL: 'debug', T_LOG_LOGGING_LEVEL: 'error' })).to.deep.equal([
        'log.level',
      ]);
      expect(config.get('log.logging', 'level')).to.equal('debug');
      expect(config.applyEnvironment('t', { T_LOG_LOGGING_LEVEL: 'warning', T_LOG_LEVEL: 'info' })).to.deep.equal([
        'log.level',
      ]);
      expect(config.get('log', 'level')).to.equal('info');
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
      expect(() => new Config().merge({ s: 'oops' } as never)).to.throw(
        FrameworkError,
        "Config section 's' must be an object of keys, got string.",
      );
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
    expect(app.config.getSection('log')).to.deep.equal({
      level: 'info',
      file: '',
      to_console: true,
      rotate: false,
      max_bytes: 512000,
      max_files: 4,
      format: 'text',
    });
  });
});
