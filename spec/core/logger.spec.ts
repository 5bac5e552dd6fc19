import { expect } from 'chai';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, FrameworkError, Logger, type AppOptions } from 'mortar';
import { TextSink } from '../helpers/streams';

const STAMP = String.raw`\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}`;
/** A full-format line: `2026-11-24 03:27:42,348 (LEVEL) namespace : message`. */
const FULL_LINE = new RegExp(`^${STAMP} \\((DEBUG|INFO|WARNING|ERROR|FATAL)\\) [\\w.-]+ : .*$`);

describe('Logger', () => {
  let dir: string;
  let stderr: TextSink;
  let savedExitCode: typeof process.exitCode;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mortar-log-'));
    stderr = new TextSink();
    savedExitCode = process.exitCode;
  });

  afterEach(() => {
    process.exitCode = savedExitCode;
    rmSync(dir, { recursive: true, force: true });
  });

  function makeApp(argv: readonly string[] = [], config = '', options: AppOptions = {}): App {
    const conf = join(dir, 't.conf');
    writeFileSync(conf, config);
    return new App('t', {
      argv,
      stdout: new TextSink(),
      stderr,
      configFiles: [conf],
      handleSignals: false,
      ...options,
    });
  }

  function logEveryLevel(log: Logger): void {
    log.debug('d');
    log.info('i');
    log.warning('w');
    log.error('e');
    log.fatal('f');
  }

  function lines(path: string): string[] {
    return readFileSync(path, 'utf8').split('\n').filter(Boolean);
  }

  describe('levels', () => {
    it('writes info and above by default, as `LEVEL: message`', () => {
      const log = new Logger('t', stderr);
      logEveryLevel(log);
      expect(stderr.lines).to.deep.equal(['INFO: i', 'WARNING: w', 'ERROR: e', 'FATAL: f']);
    });

    for (const [level, expected] of [
      ['debug', ['D', 'I', 'W', 'E', 'F']],
      ['info', ['I', 'W', 'E', 'F']],
      ['warning', ['W', 'E', 'F']],
      ['error', ['E', 'F']],
      ['fatal', ['F']],
    ] as const) {
      it(`writes only ${expected.join(' ')} at [log] level = ${level}`, async () => {
        const app = makeApp([], `[log]\nlevel = ${level}\n`);
        await app.setup();
        stderr.text = '';
        logEveryLevel(app.log);
        expect(stderr.lines.map((line) => /\((\w)\w*\)|^(\w)\w*:/.exec(line)!.slice(1).join(''))).to.deep.equal(
          expected,
        );
      });
    }

    it('tells whether a level would be written anywhere', () => {
      const log = new Logger('t', stderr);
      expect(log.isEnabled('debug')).to.equal(false);
      expect(log.isEnabled('info')).to.equal(true);
      log.configure({ toConsole: false });
      expect(log.isEnabled('fatal')).to.equal(false);
    });

    it('refuses an invalid [log] level at setup with a FrameworkError naming the file and line', async () => {
      const app = makeApp([], '[log]\nlevel = loud\n');
      let error: unknown;
      try {
        await app.setup();
      } catch (caught) {
        error = caught;
      }
      expect(error)
        .to.be.instanceOf(FrameworkError)
        .with.property(
          'message',
          `Invalid [log] level 'loud' (${join(dir, 't.conf')}, line 2): use debug, info, warning, error or fatal.`,
        );
    });

    it('fails main() on an invalid [log] level with one line, exit 1', async () => {
      const app = makeApp([], '[log]\nlevel = verbose\n');
      expect(await app.main()).to.equal(1);
      expect(stderr.text).to.equal(
        `t: error: Invalid [log] level 'verbose' (${join(dir, 't.conf')}, line 2): use debug, info, warning, error or fatal.\n`,
      );
    });

    it("reads a level in any case, Cement's deprecated WARN as warning, and an empty level as info", async () => {
      for (const [written, level] of [
        ['INFO', 'info'],
        ['Error', 'error'],
        ['WARN', 'warning'],
        ['warn', 'warning'],
        ['', 'info'],
      ]) {
        const app = makeApp([], `[log]\nlevel = ${written}\n`);
        await app.setup();
        expect(app.log.getLevel(), written).to.equal(level);
      }
    });

    it('reads to_console as a boolean (true/false, yes/no, on/off, 1/0), empty meaning the default, true', async () => {
      for (const [written, toConsole] of [
        ['no', false],
        ['Off', false],
        ['0', false],
        ['yes', true],
        ['', true],
      ] as const) {
        const app = makeApp([], `[log]\nto_console: ${written}\n`);
        await app.setup();
        stderr.text = '';
        app.log.warning('w');
        expect(stderr.text, written).to.equal(toConsole ? 'WARNING: w\n' : '');
      }
    });

    it('refuses a [log] to_console that is not a boolean', async () => {
      const app = makeApp([], '[log]\nto_console = maybe\n');
      expect(await app.main()).to.equal(1);
      expect(stderr.text).to.equal(
        `t: error: Invalid [log] to_console 'maybe' (${join(dir, 't.conf')}, line 2): expected true or false (or yes/no, on/off, 1/0).\n`,
      );
    });

    it("accepts Cement's rotate, max_bytes and max_files in [log.logging], with Cement's defaults", async () => {
      const app = makeApp([], '[log.logging]\nrotate = true\n');
      await app.setup();
      expect(app.config.get('log', 'max_bytes')).to.equal(512000);
      expect(app.config.get('log', 'max_files')).to.equal(4);
      const other = makeApp([], '[log.logging]\nrotate = false\nmax_bytes = 1024\nmax_files = 2\n');
      await other.setup();
      expect(other.config.getInteger('log', 'max_bytes')).to.equal(1024);
    });

    it('refuses a max_bytes or max_files that is not a whole number of 0 or more, naming it', async () => {
      const app = makeApp([], '[log.logging]\nrotate = true\nmax_bytes = 1MiB\n');
      expect(await app.main()).to.equal(1);
      expect(stderr.text).to.equal(
        `t: error: Invalid [log.logging] max_bytes '1MiB' (${join(dir, 't.conf')}, line 3): expected an integer.\n`,
      );
      stderr = new TextSink();
      const negative = makeApp([], '[log]\nmax_files = -1\n');
      expect(await negative.main()).to.equal(1);
      expect(stderr.text).to.match(
        /^t: error: Invalid \[log\] max_files '-1' .*: expected a number of files, 0 or more \(0 never rotates\)\.\n$/,
      );
    });

    it('refuses an unknown [log] format, naming the ones there are', async () => {
      const app = makeApp([], '[log]\nformat = xml\n');
      expect(await app.main()).to.equal(1);
      expect(stderr.text).to.equal(
        `t: error: Invalid [log] format 'xml' (${join(dir, 't.conf')}, line 2): use text or json.\n`,
      );
    });
  });

  describe('--debug', () => {
    it('turns on debug lines with a timestamp, the level and the namespace', async () => {
      const app = makeApp(['--debug'], '', { extensions: [{ name: 'probe', load: () => undefined }] });
      await app.setup();
      app.log.info('plain info');
      app.log.warning('from a module', 'core.thing');
      expect(stderr.lines.length).to.be.at.least(3);
      for (const line of stderr.lines) expect(line).to.match(FULL_LINE);
      expect(stderr.lines).to.satisfy((all: string[]) =>
        all.some((line) => /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} \(DEBUG\) t\.core\.\w+ : /.test(line)),
      );
      expect(stderr.text).to.match(
        new RegExp(`^${STAMP} \\(DEBUG\\) t\\.core\\.extension : loading the 'probe' extension$`, 'm'),
      );
      expect(stderr.lines.at(-2)).to.match(new RegExp(`^${STAMP} \\(INFO\\) t : plain info$`));
      expect(stderr.lines.at(-1)).to.match(new RegExp(`^${STAMP} \\(WARNING\\) t\\.core\\.thing : from a module$`));
    });

    it('stamps the local time the line was written', async () => {
      const log = new Logger('t', stderr);
      log.configure({ level: 'debug' });
      const before = new Date();
      log.debug('now');
      const after = new Date();
      const [, y, mo, d, h, mi, s, ms] = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d),(\d{3}) /
        .exec(stderr.text)!
        .map(Number);
      const stamped = new Date(y, mo - 1, d, h, mi, s, ms).getTime();
      expect(stamped).to.be.within(before.getTime(), after.getTime());
    });

    it('keeps a namespace that already starts with the label', () => {
      const log = new Logger('t', stderr);
      log.configure({ level: 'debug' });
      log.info('a', 't.mine');
      log.info('b', 't');
      log.info('c', 'tx');
      expect(stderr.lines.map((line) => line.replace(/^.*?\(INFO\) /, ''))).to.deep.equal([
        't.mine : a',
        't : b',
        't.tx : c',
      ]);
    });

    it('is not turned on by --debug after --', async () => {
      const app = makeApp(['--', '--debug']);
      app.log.debug('hidden');
      expect(app.log.getLevel()).to.equal('info');
      expect(stderr.text).to.equal('');
    });
  });

  describe('--quiet', () => {
    it('silences the console at every level', async () => {
      const app = makeApp(['--quiet']);
      await app.setup();
      logEveryLevel(app.log);
      expect(stderr.text).to.equal('');
    });

    it('still writes the log file', async () => {
      const logFile = join(dir, 't.log');
      const app = makeApp(['--quiet'], `[log]\nfile = ${logFile}\n`);
      await app.setup();
      app.log.error('to the file only');
      expect(stderr.text).to.equal('');
      expect(lines(logFile)).to.have.length(1);
      expect(lines(logFile)[0]).to.match(new RegExp(`^${STAMP} \\(ERROR\\) t : to the file only$`));
    });

    it('[log] to_console = false does the same', async () => {
      const app = makeApp([], '[log]\nto_console = false\n');
      await app.setup();
      logEveryLevel(app.log);
      expect(stderr.text).to.equal('');
    });
  });

  describe('[log] file', () => {
    it('gets full-format lines while the console keeps the short format', async () => {
      const logFile = join(dir, 't.log');
      const app = makeApp([], `[log]\nfile = ${logFile}\n`);
      await app.setup();
      app.log.debug('not at info');
      app.log.info('hello');
      app.log.error('broken', 'core.thing');
      expect(stderr.lines).to.deep.equal(['INFO: hello', 'ERROR: broken']);
      const written = lines(logFile);
      expect(written).to.have.length(2);
      expect(written[0]).to.match(new RegExp(`^${STAMP} \\(INFO\\) t : hello$`));
      expect(written[1]).to.match(new RegExp(`^${STAMP} \\(ERROR\\) t\\.core\\.thing : broken$`));
      await app.close();
    });

    it('appends to an existing file', async () => {
      const logFile = join(dir, 't.log');
      writeFileSync(logFile, 'an earlier line\n');
      const app = makeApp([], `[log]\nfile = ${logFile}\n`);
      await app.setup();
      app.log.info('appended');
      expect(lines(logFile)[0]).to.equal('an earlier line');
      expect(lines(logFile)[1]).to.match(/\(INFO\) t : appended$/);
      await app.close();
    });

    it('creates the file without group write or any access for others', async () => {
      const logFile = join(dir, 't.log');
      const app = makeApp([], `[log]\nfile = ${logFile}\n`);
      await app.setup();
      expect(statSync(logFile).mode & 0o037).to.equal(0);
      await app.close();
    });

    it('also gets the debug lines with --debug', async () => {
      const logFile = join(dir, 't.log');
      const app = makeApp(['--debug'], `[log]\nfile = ${logFile}\n`);
      await app.setup();
      app.log.debug('deep');
      const written = lines(logFile);
      expect(written.at(-1)).to.match(new RegExp(`^${STAMP} \\(DEBUG\\) t : deep$`));
      for (const line of written) expect(line).to.match(FULL_LINE);
      await app.close();
    });

    it('stops writing the file once the app is closed', async () => {
      const logFile = join(dir, 't.log');
      const app = makeApp([], `[log]\nfile = ${logFile}\n`);
      await app.setup();
      app.log.info('before');
      await app.close();
      app.log.info('after');
      expect(lines(logFile)).to.have.length(1);
      expect(stderr.lines).to.deep.equal(['INFO: before', 'INFO: after']);
    });

    it('reopen() after the file was renamed writes to a new file at the path', async () => {
      const logFile = join(dir, 't.log');
      const rotated = `${logFile}.1`;
      const app = makeApp([], `[log]\nfile = ${logFile}\n`);
      await app.setup();
      app.log.info('first');
      renameSync(logFile, rotated);
      app.log.info('second');
      expect(existsSync(logFile)).to.equal(false);
      app.log.reopen();
      app.log.info('third');
      expect(lines(rotated).map((line) => line.replace(/^.* : /, ''))).to.deep.equal(['first', 'second']);
      expect(lines(logFile).map((line) => line.replace(/^.* : /, ''))).to.deep.equal(['third']);
      await app.close();
    });

    it('resolves a relative path against the invocation directory, also when reopening elsewhere', async () => {
      const cwd = process.cwd();
      const elsewhere = join(dir, 'elsewhere');
      mkdirSync(elsewhere);
      const logFile = join(dir, 'rel.log');
      try {
        process.chdir(dir);
        const app = makeApp([], '[log]\nfile = rel.log\n');
        await app.setup();
        expect(app.log.getFile()).to.equal(logFile);
        app.log.info('first');
        process.chdir(elsewhere);
        renameSync(logFile, `${logFile}.1`);
        app.log.reopen();
        app.log.info('second');
        await app.close();
      } finally {
        process.chdir(cwd);
      }
      expect(existsSync(join(elsewhere, 'rel.log'))).to.equal(false);
      expect(lines(`${logFile}.1`).map((line) => line.replace(/^.* : /, ''))).to.deep.equal(['first']);
      expect(lines(logFile).map((line) => line.replace(/^.* : /, ''))).to.deep.equal(['second']);
    });

    it('reopen() keeps the old file when the path cannot be opened, with a warning', async () => {
      const sub = join(dir, 'sub');
      const logFile = join(sub, 't.log');
      const app = makeApp([], '', { configFiles: [] });
      mkdirSync(sub);
      app.log.configure({ file: logFile });
      app.log.info('first');
      renameSync(sub, join(dir, 'moved'));
      app.log.reopen();
      app.log.info('second');
      expect(stderr.lines).to.deep.equal([
        'INFO: first',
        `WARNING: keeping the old log file open: Cannot open log file ${logFile}: no such file or directory.`,
        'INFO: second',
      ]);
      expect(lines(join(dir, 'moved/t.log')).map((line) => line.replace(/^.* : /, ''))).to.deep.equal([
        'first',
        `keeping the old log file open: Cannot open log file ${logFile}: no such file or directory.`,
        'second',
      ]);
      app.log.close();
    });

    it('fails setup on a log file it cannot open, naming it', async () => {
      const logFile = join(dir, 'no-such-dir/t.log');
      const app = makeApp([], `[log]\nfile = ${logFile}\n`);
      expect(await app.main()).to.equal(1);
      expect(stderr.text).to.equal(`t: error: Cannot open log file ${logFile}: no such file or directory.\n`);
    });

    it('fails setup on a log file that is a directory, naming it', async () => {
      const app = makeApp([], `[log]\nfile = ${dir}\n`);
      expect(await app.main()).to.equal(1);
      expect(stderr.text).to.equal(`t: error: Cannot open log file ${dir}: is a directory.\n`);
    });
  });
});
