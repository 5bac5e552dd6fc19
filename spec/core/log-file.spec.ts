import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Logger } from 'mortar';
import { ChildProcesses, cleanEnv } from '../helpers/process';
import { TextSink } from '../helpers/streams';

const LOG_APP = join(__dirname, '../fixtures/core/log-app.js');
const FULL_LINE = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} \(INFO\) t : line (\d+)$/;

describe('Log file rotation', () => {
  let dir: string;
  let log: string;
  let stderr: TextSink;
  const children = new ChildProcesses();

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mortar-rotate-'));
    log = join(dir, 't.log');
    stderr = new TextSink();
  });

  afterEach(async () => {
    await children.endAll();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The kept files, oldest first: t.log.N … t.log.1, t.log. */
  function keptFiles(): string[] {
    const backups = readdirSync(dir)
      .filter((name) => /^t\.log\.\d+$/.test(name))
      .sort((a, b) => Number(b.split('.').pop()) - Number(a.split('.').pop()));
    return [...backups, 't.log'].map((name) => join(dir, name));
  }

  function linesOf(path: string): string[] {
    const text = readFileSync(path, 'utf8');
    expect(text === '' || text.endsWith('\n'), `${path} ends with a whole line`).to.equal(true);
    return text.split('\n').slice(0, -1);
  }

  it('keeps exactly max_files backups of whole lines, in order, none in two files, each under max_bytes', () => {
    const logger = new Logger('t', stderr);
    logger.configure({ toConsole: false, file: log, rotate: true, maxBytes: 64 * 1024, maxFiles: 4 });
    for (let index = 0; index < 200_000; index++) logger.info(`line ${index}`);
    logger.close();
    expect(readdirSync(dir).sort()).to.deep.equal(['t.log', 't.log.1', 't.log.2', 't.log.3', 't.log.4']);
    let next: number | undefined;
    for (const file of keptFiles()) {
      expect(statSync(file).size).to.be.below(64 * 1024);
      const lines = linesOf(file);
      expect(lines.length).to.be.above(0);
      for (const line of lines) {
        const match = FULL_LINE.exec(line);
        expect(match, `an intact line in ${file}: ${line}`).to.not.equal(null);
        const number = Number(match![1]);
        if (next !== undefined) expect(number, `the line after ${next - 1}`).to.equal(next);
        next = number + 1;
      }
    }
    expect(next).to.equal(200_000);
    expect(stderr.text).to.equal('');
  });

  it("rotates by Cement's [log.logging] keys, and moves the file before the line that would reach max_bytes", async () => {
    const conf = join(dir, 't.conf');
    writeFileSync(
      conf,
      `[log.logging]\nfile = ${log}\nto_console = false\nrotate = true\nmax_bytes = 200\nmax_files = 2\n`,
    );
    const app = new App('t', { configFiles: [conf], stderr, handleSignals: false });
    await app.setup();
    for (let index = 0; index < 9; index++) app.log.info(`line ${index}`);
    await app.close();
    // each line is 42 bytes: four (168 bytes) stay under 200, a fifth would pass it
    expect(linesOf(log).map((line) => line.replace(/^.* : /, ''))).to.deep.equal(['line 8']);
    expect(linesOf(`${log}.1`).map((line) => line.replace(/^.* : /, ''))).to.deep.equal([
      'line 4',
      'line 5',
      'line 6',
      'line 7',
    ]);
    expect(linesOf(`${log}.2`).map((line) => line.replace(/^.* : /, ''))).to.deep.equal([
      'line 0',
      'line 1',
      'line 2',
      'line 3',
    ]);
    expect(existsSync(`${log}.3`)).to.equal(false);
  });

  it('does not rotate with rotate = false, nor with max_bytes or max_files = 0', () => {
    for (const settings of [{ rotate: false }, { rotate: true, maxBytes: 0 }, { rotate: true, maxFiles: 0 }]) {
      const logger = new Logger('t', stderr);
      logger.configure({ toConsole: false, file: log, maxBytes: 100, maxFiles: 2, ...settings });
      for (let index = 0; index < 20; index++) logger.info(`line ${index}`);
      logger.close();
      expect(readdirSync(dir), JSON.stringify(settings)).to.deep.equal(['t.log']);
      rmSync(log);
    }
  });

  it('loses and repeats no line when two processes write one file while it rotates', async function () {
    // Some 130 rotations under a lock between two processes, 40,000 lines: on a loaded machine that outlasts most specs.
    this.timeout(120_000);
    const conf = join(dir, 't.conf');
    writeFileSync(
      conf,
      `[log]\nfile = ${log}\nto_console = false\nrotate = true\nmax_bytes = 16384\nmax_files = 200\n`,
    );
    // both start writing at the same moment, so that their lines interleave in every file
    const env = { LOG_CONF: conf, LOG_START_AT: String(Date.now() + 2000) };
    const results = await Promise.all(
      ['a', 'b'].map((prefix) => children.runNode(LOG_APP, ['lines', '20000', prefix], { env, timeoutMs: 100_000 })),
    );
    for (const result of results) expect(result.code, result.stderr).to.equal(0);
    const files = keptFiles();
    expect(files.length).to.be.above(20);
    expect(files.length).to.be.below(201);
    const seen = { a: -1, b: -1 } as Record<string, number>;
    let shared = 0;
    for (const file of files) {
      const lines = linesOf(file);
      if (lines.some((line) => / : a \d+$/.test(line)) && lines.some((line) => / : b \d+$/.test(line))) shared++;
      for (const line of lines) {
        const match = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} \(INFO\) logt : ([ab]) (\d+)$/.exec(line);
        expect(match, `an intact line in ${file}: ${line}`).to.not.equal(null);
        const [, prefix, number] = match!;
        expect(Number(number), `${prefix}'s line after ${seen[prefix]}`).to.equal(seen[prefix] + 1);
        seen[prefix] = Number(number);
      }
    }
    expect(seen).to.deep.equal({ a: 19_999, b: 19_999 });
    expect(shared, 'files holding lines of both processes').to.be.above(files.length / 2);
    expect(existsSync(`${log}.lock`)).to.equal(false);
  });

  it('reports a rotation that fails once, logs on in the file, and says when rotating works again', async () => {
    mkdirSync(`${log}.1`);
    writeFileSync(join(`${log}.1`, 'in-the-way'), '');
    const logger = new Logger('t', stderr);
    logger.configure({ file: log, toConsole: false, rotate: true, maxBytes: 100, maxFiles: 1 });
    for (let index = 0; index < 10; index++) logger.info(`line ${index}`);
    expect(stderr.lines).to.deep.equal([
      `ERROR: cannot rotate the log file ${log}: is a directory; logging goes on in the file as it is`,
    ]);
    expect(linesOf(log)).to.have.length(10);
    rmSync(`${log}.1`, { recursive: true });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    logger.info('line 10');
    logger.close();
    expect(stderr.lines.slice(1)).to.deep.equal([`WARNING: rotating the log file ${log} works again`]);
    expect(linesOf(`${log}.1`)).to.have.length(10);
    expect(linesOf(log).map((line) => line.replace(/^.* : /, ''))).to.deep.equal([
      `rotating the log file ${log} works again`,
      'line 10',
    ]);
  });

  it('still follows logrotate: after a rename and reopen() lines go to the new file', () => {
    const logger = new Logger('t', stderr);
    logger.configure({ file: log, toConsole: false, rotate: true, maxBytes: 10_000, maxFiles: 2 });
    logger.info('before');
    renameSync(log, `${log}-20261206`);
    logger.info('renamed');
    logger.reopen();
    logger.info('after');
    logger.close();
    expect(linesOf(`${log}-20261206`).map((line) => line.replace(/^.* : /, ''))).to.deep.equal(['before', 'renamed']);
    expect(linesOf(log).map((line) => line.replace(/^.* : /, ''))).to.deep.equal(['after']);
  });

  it('opens a new log file before closing the old one: a reload into a missing directory keeps the old, with one error line', async () => {
    const conf = join(dir, 't.conf');
    writeFileSync(conf, `[log]\nfile = ${log}\n`);
    const app = new App('t', { configFiles: [conf], stderr, handleSignals: false });
    await app.setup();
    app.log.info('before');
    const missing = join(dir, 'missing/t.log');
    writeFileSync(conf, `[log]\nfile = ${missing}\n`);
    let failure: unknown;
    try {
      app.reloadConfig();
    } catch (error) {
      failure = error;
    }
    expect((failure as Error).message).to.equal(`Cannot open log file ${missing}: no such file or directory.`);
    app.log.info('after');
    await app.close();
    expect(app.log.getFile()).to.equal('');
    expect(linesOf(log).map((line) => line.replace(/^.* : /, ''))).to.deep.equal(['before', 'after']);
  });

  it('reports a full disk once, and once when lines can be written again (a private tmpfs)', async function () {
    if (process.getuid?.() !== 0) {
      console.log('      skipped: mounting a private tmpfs needs root');
      this.skip();
    }
    if (spawnSync('unshare', ['--mount', 'true']).status !== 0) {
      console.log('      skipped: unshare --mount is not available here');
      this.skip();
    }
    const disk = join(dir, 'disk');
    mkdirSync(disk);
    const conf = join(dir, 't.conf');
    const diskLog = join(disk, 't.log');
    writeFileSync(conf, `[log]\nfile = ${diskLog}\nto_console = false\n`);
    const script = 'mount -t tmpfs -o size=64k tmpfs "$1" && exec "$2" "$3" full "$1/filler"';
    const result = spawnSync(
      'unshare',
      ['--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', disk, process.execPath, LOG_APP],
      {
        env: cleanEnv({ LOG_CONF: conf }),
        encoding: 'utf8',
        timeout: 20_000,
      },
    );
    expect(result.status, result.stderr).to.equal(0);
    expect(result.stderr.split('\n')).to.deep.equal([
      `ERROR: cannot write to the log file ${diskLog}: no space left on device; log lines are dropped until it can be written again`,
      `WARNING: the log file ${diskLog} is written again; 5 lines were dropped`,
      '',
    ]);
    expect(result.stdout.split('\n').map((line) => line.replace(/^.* : /, ''))).to.deep.equal([
      'kept 0',
      `the log file ${diskLog} is written again; 5 lines were dropped`,
      'kept 1',
      'kept 2',
      '',
    ]);
  });
});
