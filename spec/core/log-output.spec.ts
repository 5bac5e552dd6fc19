import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Logger, type LogAdapter, type LogAdapterFields } from 'mortar';
import { prettyFactory } from 'pino-pretty';
import { cleanEnv } from '../helpers/process';
import { TextSink } from '../helpers/streams';
import { SystemdSandbox } from '../helpers/systemd';

const LOG_APP = join(__dirname, '../fixtures/core/log-app.js');
const ESCAPE = '\x1b[';

/** A full-format line without its timestamp. */
function withoutStamp(line: string): string {
  return line.replace(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} /, '');
}

describe('Log output', () => {
  let dir: string;
  let stderr: TextSink;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mortar-log-output-'));
    stderr = new TextSink();
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  /** Runs the log app with a config file; its stderr goes to a file of the spec's own (or a pipe). */
  function runLogApp(args: readonly string[], config: string, env: Record<string, string> = {}, stderrFile?: string) {
    const conf = join(dir, 'logt.conf');
    writeFileSync(conf, config);
    const fd = stderrFile === undefined ? undefined : openSync(stderrFile, 'w');
    try {
      return spawnSync(process.execPath, [LOG_APP, ...args], {
        env: cleanEnv({ LOG_CONF: conf, ...env }),
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', fd ?? 'pipe'],
        timeout: 20_000,
      });
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }

  describe('format = json', () => {
    it("writes one object per line in pino's shape, on the console and in the file", async () => {
      const file = join(dir, 't.log');
      const conf = join(dir, 't.conf');
      writeFileSync(conf, `[log]\nformat = json\nfile = ${file}\nlevel = debug\n`);
      const app = new App('t', { configFiles: [conf], stderr, handleSignals: false });
      await app.setup();
      const before = Date.now();
      app.log.debug('d', 'worker');
      app.log.info('first line\nsecond line');
      app.log.warning('w');
      app.log.error('e');
      app.log.fatal('f');
      const error = new TypeError('it broke');
      app.log.error(error, 'jobs');
      await app.close();
      const fromConsole = stderr.lines.filter((line) => !line.includes('"name":"t.core.'));
      expect(fromConsole).to.have.length(6);
      const records = fromConsole.map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(records.map((record) => [record.level, record.name, record.msg])).to.deep.equal([
        [20, 't.worker', 'd'],
        [30, 't', 'first line\nsecond line'],
        [40, 't', 'w'],
        [50, 't', 'e'],
        [60, 't', 'f'],
        [50, 't.jobs', 'it broke'],
      ]);
      for (const record of records) {
        expect(Object.keys(record).slice(0, 4)).to.deep.equal(['level', 'time', 'pid', 'hostname']);
        expect(record.time).to.be.within(before, Date.now());
        expect(record.pid).to.equal(process.pid);
        expect(record.hostname).to.equal(hostname());
      }
      expect(records[5].err).to.deep.equal({ type: 'TypeError', message: 'it broke', stack: error.stack });
      const fromFile = readFileSync(file, 'utf8')
        .split('\n')
        .filter(
          (line) =>
            line.includes('"name":"t"') || line.includes('"name":"t.jobs"') || line.includes('"name":"t.worker"'),
        );
      expect(fromFile).to.deep.equal(fromConsole);
    });

    it('gives lines pino-pretty renders', () => {
      const logger = new Logger('t', stderr);
      logger.configure({ format: 'json' });
      logger.warning('disk almost full');
      logger.error(new Error('it broke'), 'jobs');
      const pretty = prettyFactory({ colorize: false });
      const [warning, error] = stderr.lines.map((line) => pretty(line));
      expect(warning).to.match(/^\[\d\d:\d\d:\d\d\.\d{3}\] WARN \(t\/\d+(?: on .+)?\): disk almost full\n$/);
      expect(error).to.match(
        /^\[\d\d:\d\d:\d\d\.\d{3}\] ERROR \(t\.jobs\/\d+(?: on .+)?\): it broke\n {4}err: \{\n {6}"type": "Error",\n {6}"message": "it broke",\n {6}"stack":\n {10}Error: it broke\n/,
      );
    });
  });

  describe('colour', () => {
    it("colours each line on a terminal as Cement's colorlog does, and never the log file", function () {
      if (spawnSync('script', ['--version']).status !== 0) {
        process.stdout.write('      (skipped: script(1), which gives the app a terminal, is missing)\n');
        this.skip();
      }
      const file = join(dir, 't.log');
      const conf = join(dir, 'logt.conf');
      writeFileSync(conf, `[log]\nfile = ${file}\nlevel = info\n`);
      const command = `${process.execPath} ${LOG_APP} levels 2>&1`;
      const run = (env: Record<string, string>) =>
        spawnSync('script', ['-qec', command, '/dev/null'], {
          env: cleanEnv({ LOG_CONF: conf, ...env }),
          encoding: 'utf8',
          timeout: 20_000,
        });
      const onTerminal = run({});
      expect(onTerminal.status, onTerminal.stderr).to.equal(0);
      const lines = onTerminal.stdout.split('\r\n');
      expect(lines.slice(0, 4)).to.deep.equal([
        '\x1b[32mINFO: an info line\x1b[0m',
        '\x1b[33mWARNING: a warning line\x1b[0m',
        '\x1b[31mERROR: an error line\x1b[0m',
        '\x1b[31m\x1b[47mFATAL: a fatal line\x1b[0m',
      ]);
      expect(lines[4]).to.equal('\x1b[31mERROR: Error: it broke');
      expect(readFileSync(file, 'utf8')).to.not.include(ESCAPE);
      for (const env of [{ NO_COLOR: '1' }, { NO_COLOR: '1', FORCE_COLOR: '1' }, { FORCE_COLOR: '0' }] as Record<
        string,
        string
      >[]) {
        const plain = run(env);
        expect(plain.stdout, JSON.stringify(env)).to.include('INFO: an info line').and.not.include(ESCAPE);
      }
    });

    it('never colours a pipe or a file, unless FORCE_COLOR says so', () => {
      const piped = runLogApp(['levels'], '');
      expect(piped.stderr).to.include('INFO: an info line').and.not.include(ESCAPE);
      const toFile = join(dir, 'stderr.txt');
      runLogApp(['levels'], '', {}, toFile);
      expect(readFileSync(toFile, 'utf8')).to.include('INFO: an info line').and.not.include(ESCAPE);
      const forced = runLogApp(['levels'], '', { FORCE_COLOR: '1' });
      expect(forced.stderr).to.include('\x1b[32mINFO: an info line\x1b[0m');
    });
  });

  describe('journal priorities', () => {
    /** The `JOURNAL_STREAM` value of a file: what systemd sets for the socket it gives the service. */
    function journalStreamOf(path: string): string {
      const stat = statSync(path, { bigint: true });
      return `${stat.dev}:${stat.ino}`;
    }

    it('prefixes every line, stack lines included, with its priority when stderr is the journal', () => {
      const toJournal = join(dir, 'journal.txt');
      writeFileSync(toJournal, '');
      const result = runLogApp(
        ['levels'],
        '[log]\nlevel = debug\n',
        { JOURNAL_STREAM: journalStreamOf(toJournal), FORCE_COLOR: '1' },
        toJournal,
      );
      expect(result.status).to.equal(0);
      const lines = readFileSync(toJournal, 'utf8').split('\n').slice(0, -1);
      const own = lines.filter((line) => / logt : /.test(line));
      expect(own.slice(0, 6).map(withoutStamp)).to.deep.equal([
        '<7>(DEBUG) logt : a debug line',
        '<6>(INFO) logt : an info line',
        '<4>(WARNING) logt : a warning line',
        '<3>(ERROR) logt : an error line',
        '<2>(FATAL) logt : a fatal line',
        '<3>(ERROR) logt : Error: it broke',
      ]);
      const stack = lines.slice(lines.indexOf(own[5]) + 1);
      expect(stack.length).to.be.above(2);
      for (const line of stack) expect(line).to.match(/^<3> {4}at /);
      for (const line of lines) expect(line).to.match(/^<[2-7]>/);
    });

    it('leaves lines alone when JOURNAL_STREAM names another file than stderr', () => {
      const other = join(dir, 'other.txt');
      writeFileSync(other, '');
      const result = runLogApp(['levels'], '', { JOURNAL_STREAM: journalStreamOf(other) });
      expect(result.stderr.split('\n').slice(0, 2)).to.deep.equal(['INFO: an info line', 'WARNING: a warning line']);
    });

    describe('under a real systemd', function () {
      this.timeout(120_000);
      let systemd: SystemdSandbox | undefined;

      before(async function () {
        const reason = SystemdSandbox.unavailable();
        if (reason) {
          process.stdout.write(`      (skipped: ${reason})\n`);
          this.skip();
        }
        systemd = await SystemdSandbox.boot();
      });

      after(async () => {
        await systemd?.shutDown();
      });

      it('journalctl -p err gives exactly the error lines, a stack included, with their priority and no prefix left', async () => {
        const unit = `mortar-log-priorities-${process.pid}.service`;
        const conf = join(systemd!.dir, 'logt.conf');
        writeFileSync(conf, '[log]\nlevel = debug\n');
        await systemd!.addUnit(
          unit,
          `[Service]\nType=oneshot\nExecStart=${process.execPath} ${LOG_APP} levels\nEnvironment=LOG_CONF=${conf}\nEnvironment=HOME=${dir}\n`,
        );
        await systemd!.ctlOk('start', unit);
        await systemd!.journalMatching(unit, /at /);
        const query = async (priority: string) =>
          (await systemd!.exec('journalctl', '--no-pager', '-u', unit, '-p', priority, '-o', 'json')).stdout
            .split('\n')
            .filter(Boolean)
            .map((line) => JSON.parse(line) as { MESSAGE: string; PRIORITY: string; _PID?: string })
            .filter((entry) => entry._PID !== '1');
        const errors = await query('err');
        const messages = errors.map((entry) => withoutStamp(entry.MESSAGE));
        expect(messages.slice(0, 3)).to.deep.equal([
          '(ERROR) logt : an error line',
          '(FATAL) logt : a fatal line',
          '(ERROR) logt : Error: it broke',
        ]);
        expect(messages.length).to.be.above(5);
        for (const message of messages.slice(3)) expect(message).to.match(/^ {4}at /);
        expect(errors.map((entry) => entry.PRIORITY)).to.deep.equal(['3', '2', ...messages.slice(2).map(() => '3')]);
        const all = await query('debug');
        const own = all.filter((entry) => / logt : /.test(entry.MESSAGE));
        expect(own.map((entry) => [entry.PRIORITY, withoutStamp(entry.MESSAGE)]).slice(0, 3)).to.deep.equal([
          ['7', '(DEBUG) logt : a debug line'],
          ['6', '(INFO) logt : an info line'],
          ['4', '(WARNING) logt : a warning line'],
        ]);
        for (const entry of all) expect(entry.MESSAGE).to.not.match(/^<\d>/);
      });
    });
  });

  describe('a logger of the app (AppOptions.logger)', () => {
    it("gets mortar's own messages and app.log's through pino's methods", () => {
      const result = runLogApp(['levels', '--debug'], '', { LOG_PINO: '1' });
      expect(result.status, result.stderr).to.equal(0);
      expect(result.stderr).to.equal('');
      const records = result.stdout
        .split('\n')
        .filter(Boolean)
        .map(
          (line) =>
            JSON.parse(line) as {
              level: number;
              name: string;
              namespace: string;
              msg: string;
              err?: { message: string };
            },
        );
      expect(records.every((record) => record.name === 'users-pino')).to.equal(true);
      const own = records.filter((record) => record.namespace.startsWith('logt.core.'));
      expect(own.length, 'mortar messages').to.be.above(0);
      const app = records.filter((record) => record.namespace === 'logt');
      expect(app.map((record) => [record.level, record.msg])).to.deep.equal([
        [20, 'a debug line'],
        [30, 'an info line'],
        [40, 'a warning line'],
        [50, 'an error line'],
        [60, 'a fatal line'],
        [50, 'it broke'],
      ]);
      expect(app[5].err?.message).to.equal('it broke');
    });

    it('hands over what [log] level lets through, and takes fatal as error from a logger without fatal', async () => {
      const calls: string[] = [];
      const record = (method: string) => (fields: LogAdapterFields, message: string) =>
        calls.push(`${method} ${fields.namespace} ${message}`);
      const adapter: LogAdapter = {
        debug: record('debug'),
        info: record('info'),
        warn: record('warn'),
        error: record('error'),
      };
      const conf = join(dir, 't.conf');
      writeFileSync(conf, '[log]\nlevel = warning\n');
      const app = new App('t', { configFiles: [conf], stderr, handleSignals: false, logger: adapter });
      await app.setup();
      app.log.info('i');
      app.log.warning('w', 'jobs');
      app.log.fatal('f');
      await app.close();
      expect(calls).to.deep.equal(['warn t.jobs w', 'error t f']);
      expect(stderr.text).to.equal('');
    });

    it('refuses [log] file, format and rotate, which its own logger decides, in one line', async () => {
      const adapter: LogAdapter = { debug() {}, info() {}, warn() {}, error() {} };
      const conf = join(dir, 't.conf');
      writeFileSync(conf, `[log]\nfile = ${join(dir, 't.log')}\n`);
      const app = new App('t', { configFiles: [conf], stderr, handleSignals: false, logger: adapter });
      expect(await app.main()).to.equal(1);
      expect(stderr.text).to.equal(
        't: error: The app logs through its own logger (AppOptions.logger): [log] file, format and rotate do not apply; remove them from the config.\n',
      );
    });
  });
});
