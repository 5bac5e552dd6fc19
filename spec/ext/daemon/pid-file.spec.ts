import { expect } from 'chai';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type * as PidFileModule from '../../../dist/ext/daemon/pid-file';
import type { Program } from '../../../dist/ext/daemon/process-identity';
import { useDaemonSandbox } from '../../helpers/daemon';
import { copyBuiltPackage, whyNobodyCannotRunNode } from '../../helpers/readable-copy';
import { requireDist } from '../../helpers/dist';

// The compiled library: this spec runs from build/spec/ext/daemon, the library lives in dist/.
const MODULE = resolve(__dirname, '../../../../dist/ext/daemon/pid-file');
const { PidFile } = requireDist<typeof PidFileModule>('ext/daemon/pid-file');

/**
 * The same module in a world-readable copy of the package, for children run
 * as nobody (the checkout may lie under a directory nobody cannot enter).
 */
let readableModule = MODULE;

/** Skips a test, saying why, when a child running as nobody could not start this node at all. */
function skipUnlessNobodyCanRunNode(context: Mocha.Context): void {
  const reason = whyNobodyCannotRunNode();
  if (reason === undefined) return;
  process.stdout.write(`      (skipped: ${reason})\n`);
  context.skip();
}

const isRoot = process.getuid!() === 0;

describe('PidFile', () => {
  let copyDir: string | undefined;

  before(() => {
    copyDir = fs.mkdtempSync(join(tmpdir(), 'mortar-pid-copy-'));
    readableModule = join(copyBuiltPackage(copyDir), 'dist/ext/daemon/pid-file');
  });

  after(() => {
    if (copyDir) fs.rmSync(copyDir, { recursive: true, force: true });
  });

  // Every process a test starts is ended by its pid and reaped after it, and the directory removed.
  const sandbox = useDaemonSandbox();
  let dir: string;
  let path: string;

  beforeEach(() => {
    dir = sandbox.runDir;
    path = sandbox.pidFile;
  });

  /** A live process that is not this one. */
  async function startSleeper(): Promise<number> {
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    sandbox.adopt(child);
    await once(child, 'spawn');
    return child.pid!;
  }

  /** This node, as `PidFile` takes a program: its binary, no script. */
  const NODE: Program = { executables: [process.execPath], scripts: [] };

  /**
   * A live node process that holds `file` open, as a daemon holds its pid
   * file (an O_PATH descriptor), from the moment this resolves; `write` first
   * writes its own pid to the file; `reader` holds it by an ordinary
   * read-only descriptor instead, as a process reading the file would.
   */
  async function startHolder(
    file: string,
    options: { write?: boolean; uid?: number; reader?: boolean } = {},
  ): Promise<number> {
    const flags = options.reader ? fs.constants.O_RDONLY : 0o10000000 | fs.constants.O_NOFOLLOW;
    const script = `
      const fs = require('fs');
      if (process.argv[2] === 'write') fs.writeFileSync(process.argv[1], process.pid + '\\n');
      fs.openSync(process.argv[1], ${flags});
      process.stdout.write('holding\\n');
      setInterval(() => undefined, 1000);
    `;
    const child = spawn(process.execPath, ['-e', script, file, options.write ? 'write' : ''], {
      stdio: ['ignore', 'pipe', 'inherit'],
      ...(options.uid === undefined ? {} : { uid: options.uid, gid: options.uid, cwd: copyDir }),
    });
    sandbox.adopt(child);
    const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
    expect(line).to.equal('holding');
    return child.pid!;
  }

  /** The pid file as read, with its device and inode. */
  function fileContent(raw: string, pid?: number): Record<string, unknown> {
    const { mtimeMs, dev, ino } = fs.statSync(path, { bigint: true });
    return { ...(pid === undefined ? {} : { pid }), raw, mtimeMs: Number(mtimeMs), dev, ino };
  }

  /** Whether this process has `file` open (its device and inode among /proc/self/fd). */
  function isHeldByThisProcess(file: string): boolean {
    const { dev, ino } = fs.statSync(file);
    return fs.readdirSync('/proc/self/fd').some((fd) => {
      try {
        const open = fs.statSync(`/proc/self/fd/${fd}`);
        return open.dev === dev && open.ino === ino;
      } catch {
        return false;
      }
    });
  }

  /** Sets a file's modification time `ms` into the past. */
  function age(file: string, ms: number): void {
    const then = new Date(Date.now() - ms);
    fs.utimesSync(file, then, then);
  }

  /** The pid of a process that has exited and been reaped. */
  function deadPid(): number {
    return spawnSync('true').pid;
  }

  /**
   * A real zombie: a child of this process that has exited but that Node has
   * not reaped yet, because reaping needs the event loop and this function
   * keeps it busy until the kernel shows state Z. The caller must stay
   * synchronous while it needs the zombie; the afterEach hook reaps it.
   */
  function zombiePid(): number {
    const child = spawn('true', { stdio: 'ignore' });
    sandbox.adopt(child);
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline) {
      if (/\) Z /.test(fs.readFileSync(`/proc/${child.pid}/stat`, 'utf8'))) return child.pid!;
    }
    throw new Error(`child ${child.pid} did not become a zombie`);
  }

  function errorOf(action: () => unknown): Error & { exitCode?: number } {
    try {
      action();
    } catch (error) {
      return error as Error;
    }
    throw new Error('expected an error');
  }

  function entries(): string[] {
    return fs.readdirSync(dir).sort();
  }

  describe('isAlive', () => {
    it('is true for this and other live processes, false for dead ones and nonsense', async () => {
      expect(PidFile.isAlive(process.pid)).to.equal(true);
      expect(PidFile.isAlive(await startSleeper())).to.equal(true);
      expect(PidFile.isAlive(deadPid())).to.equal(false);
      for (const pid of [0, -1, 1.5, Number.NaN, 2 ** 40]) expect(PidFile.isAlive(pid), String(pid)).to.equal(false);
    });

    it('counts a zombie as dead', () => {
      const zombie = zombiePid();
      expect(() => process.kill(zombie, 0)).to.not.throw();
      expect(PidFile.isAlive(zombie)).to.equal(false);
    });

    it("counts a process of another user as alive (the signal's EPERM)", function () {
      if (!isRoot) {
        process.stdout.write('      (skipped: needs root to start a process of another user)\n');
        this.skip();
      }
      skipUnlessNobodyCanRunNode(this);
      const script = `
        const pid = Number(process.argv[1]);
        let signal = 'delivered';
        try { process.kill(pid, 0); } catch (error) { signal = error.code; }
        const alive = require(${JSON.stringify(readableModule)}).PidFile.isAlive(pid);
        process.stdout.write(JSON.stringify({ signal, alive }));
      `;
      const child = spawnSync(process.execPath, ['-e', script, String(process.pid)], {
        uid: 65534,
        gid: 65534,
        // A directory nobody can enter: node looks for a package.json above the working directory.
        cwd: copyDir,
        encoding: 'utf8',
        timeout: 10_000,
      });
      expect(JSON.parse(child.stdout)).to.deep.equal({ signal: 'EPERM', alive: true });
    });
  });

  describe('read', () => {
    it('is undefined without a file', () => {
      expect(new PidFile(path).read()).to.equal(undefined);
    });

    it('reads the pid, the raw text and when the file was written', () => {
      fs.writeFileSync(path, '1234\n');
      expect(new PidFile(path).read()).to.deep.equal(fileContent('1234\n', 1234));
    });

    it('has no pid for garbage or an empty file', () => {
      for (const raw of ['', '\n', 'abc\n', '12 34\n', '-5\n', '0\n', '12abc', '1.5', '99999999999\n']) {
        fs.writeFileSync(path, raw);
        expect(new PidFile(path).read(), JSON.stringify(raw)).to.deep.equal(fileContent(raw));
      }
    });
  });

  describe('judge', () => {
    it('holds for a live process that holds the file open, however old or new its mtime', async () => {
      fs.writeFileSync(path, '');
      const holder = await startHolder(path, { write: true });
      const file = new PidFile(path, { program: NODE });
      const verdict = file.judge(file.read()!);
      expect(verdict).to.include({ state: 'held', pid: holder, isVerified: true });
      expect(verdict.state === 'held' && verdict.startTicks).to.be.a('number');
      for (const ms of [3_600_000, 300_000, -300_000, -600_000, -86_400_000]) {
        age(path, ms);
        expect(file.judge(file.read()!), `mtime moved by ${-ms} ms`).to.include({
          state: 'held',
          pid: holder,
          isVerified: true,
        });
      }
    });

    it('is stale for a live process that does not hold the file, naming what it runs', async () => {
      const other = await startSleeper();
      fs.writeFileSync(path, `${other}\n`);
      const file = new PidFile(path, { program: { executables: ['/usr/bin/sleep'], scripts: [] } });
      expect(file.judge(file.read()!)).to.deep.equal({
        state: 'stale',
        pid: other,
        reason: `pid ${other} (sleep 30) does not hold the pid file`,
        isAlive: true,
      });
    });

    it('is stale for a live process of the same program that holds another file (a reused pid, a crossed pid file)', async () => {
      const other = await startHolder(join(dir, 'other.pid'), { write: true });
      fs.writeFileSync(path, `${other}\n`);
      const future = new Date(Date.now() + 600_000);
      fs.utimesSync(path, future, future);
      const file = new PidFile(path, { program: NODE });
      const verdict = file.judge(file.read()!);
      expect(verdict).to.include({ state: 'stale', pid: other, isAlive: true });
      expect(verdict.state === 'stale' && verdict.reason).to.match(
        new RegExp(`^pid ${other} \\(.*node.*\\) does not hold the pid file$`),
      );
    });

    it('is stale, not alive, for a dead process, a zombie and garbage', () => {
      const file = new PidFile(path);
      const dead = deadPid();
      fs.writeFileSync(path, `${dead}\n`);
      expect(file.judge(file.read()!)).to.deep.equal({
        state: 'stale',
        pid: dead,
        reason: `pid ${dead} is not running`,
        isAlive: false,
      });
      const zombie = zombiePid();
      fs.writeFileSync(path, `${zombie}\n`);
      expect(file.judge(file.read()!)).to.deep.equal({
        state: 'stale',
        pid: zombie,
        reason: `pid ${zombie} has exited (a zombie)`,
        isAlive: false,
      });
      fs.writeFileSync(path, 'garbage\n');
      expect(file.judge(file.read()!)).to.deep.equal({
        state: 'stale',
        reason: 'it holds no valid pid',
        isAlive: false,
      });
    });

    it('is stale for pid 1, which does not hold the file (or runs another program)', () => {
      fs.writeFileSync(path, '1\n');
      const file = new PidFile(path);
      expect(file.judge(file.read()!)).to.include({ state: 'stale', pid: 1, isAlive: true });
    });

    it('holds for the process of the program that holds the file when the pid it names means nothing here (another pid namespace)', async function () {
      if (!isRoot) {
        process.stdout.write('      (skipped: searching every process for the holder needs root)\n');
        this.skip();
      }
      fs.writeFileSync(path, '1\n');
      const holder = await startHolder(path);
      const file = new PidFile(path, { program: NODE });
      expect(file.judge(file.read()!)).to.include({ state: 'held', pid: holder, isVerified: true, writtenPid: 1 });
      fs.writeFileSync(path, `${deadPid()}\n`);
      expect(file.judge(file.read()!)).to.include({ state: 'held', pid: holder, isVerified: true });
    });

    it('never takes a process of the program that merely has the file open for reading for the daemon', async function () {
      if (!isRoot) {
        process.stdout.write('      (skipped: searching every process for the holder needs root)\n');
        this.skip();
      }
      const dead = deadPid();
      fs.writeFileSync(path, `${dead}\n`);
      await startHolder(path, { reader: true });
      const file = new PidFile(path, { program: NODE });
      expect(file.judge(file.read()!)).to.deep.equal({
        state: 'stale',
        pid: dead,
        reason: `pid ${dead} is not running`,
        isAlive: false,
      });
    });

    it('never takes another program that has the file open (a tail -f) for the daemon', async () => {
      const dead = deadPid();
      fs.writeFileSync(path, `${dead}\n`);
      const tail = spawn('tail', ['-f', path], { stdio: 'ignore' });
      sandbox.adopt(tail);
      await once(tail, 'spawn');
      const { dev, ino } = fs.statSync(path);
      const tailHolds = (): boolean =>
        fs.readdirSync(`/proc/${tail.pid}/fd`).some((fd) => {
          try {
            const open = fs.statSync(`/proc/${tail.pid}/fd/${fd}`);
            return open.dev === dev && open.ino === ino;
          } catch {
            return false;
          }
        });
      const deadline = Date.now() + 5000;
      while (!tailHolds()) if (Date.now() > deadline) throw new Error('tail never opened the file');
      const file = new PidFile(path, { program: NODE });
      expect(file.judge(file.read()!)).to.deep.equal({
        state: 'stale',
        pid: dead,
        reason: `pid ${dead} is not running`,
        isAlive: false,
      });
    });

    describe("where the process's descriptors cannot be read (run as nobody, the holder as root)", () => {
      /** The verdict of a judge run as nobody, on a file a root process holds. */
      function judgedAsNobody(name: string): Record<string, unknown> {
        const script = `
          const { PidFile } = require(${JSON.stringify(readableModule)});
          const file = new PidFile(process.argv[1], { program: { executables: [process.execPath], scripts: [] }, name: 'myapp' });
          process.stdout.write(JSON.stringify(file.judge(file.read())));
        `;
        const child = spawnSync(process.execPath, ['-e', script, path], {
          uid: 65534,
          gid: 65534,
          cwd: copyDir,
          encoding: 'utf8',
          timeout: 10_000,
        });
        expect(child.status, `${name}: ${child.stderr}`).to.equal(0);
        return JSON.parse(child.stdout) as Record<string, unknown>;
      }

      it('holds, unverified, when its start time and program agree; refuses to decide when its start time does not; stale for another program', async function () {
        if (!isRoot) {
          process.stdout.write('      (skipped: needs root to run the judge as nobody)\n');
          this.skip();
        }
        skipUnlessNobodyCanRunNode(this);
        fs.chmodSync(dir, 0o755);
        fs.writeFileSync(path, '');
        const holder = await startHolder(path, { write: true });
        fs.chmodSync(path, 0o644);
        expect(judgedAsNobody('fresh')).to.deep.include({ state: 'held', pid: holder, isVerified: false });

        age(path, 300_000);
        const verdict = judgedAsNobody('aged');
        expect(verdict).to.deep.include({ state: 'unverified', pid: holder });
        expect(verdict.reason).to.match(
          new RegExp(
            `^pid ${holder} \\(.*node.*\\) may be myapp's daemon; cannot verify as this user: run as root or remove ${path}$`,
          ),
        );

        const sleeper = await startSleeper();
        fs.writeFileSync(path, `${sleeper}\n`);
        expect(judgedAsNobody('sleep')).to.deep.equal({
          state: 'stale',
          pid: sleeper,
          reason: `pid ${sleeper} is another program (sleep 30)`,
          isAlive: true,
        });
      });
    });
  });

  describe('acquire', () => {
    it('creates the file holding the pid and a newline, leaving nothing else behind', () => {
      new PidFile(path).acquire();
      expect(fs.readFileSync(path, 'utf8')).to.equal(`${process.pid}\n`);
      expect(entries()).to.deep.equal(['app.pid']);
      const mode = fs.statSync(path).mode & 0o777;
      expect(mode & 0o600).to.equal(0o600);
      expect(mode & 0o133).to.equal(0);
    });

    it('writes the pid it is given', () => {
      new PidFile(path).acquire(4242);
      expect(fs.readFileSync(path, 'utf8')).to.equal('4242\n');
    });

    it('replaces a file naming a dead process', () => {
      fs.writeFileSync(path, `${deadPid()}\n`);
      new PidFile(path).acquire();
      expect(fs.readFileSync(path, 'utf8')).to.equal(`${process.pid}\n`);
      expect(entries()).to.deep.equal(['app.pid']);
    });

    it('replaces a file naming a zombie', () => {
      fs.writeFileSync(path, `${zombiePid()}\n`);
      new PidFile(path).acquire();
      expect(fs.readFileSync(path, 'utf8')).to.equal(`${process.pid}\n`);
    });

    it('replaces a file holding garbage or nothing', () => {
      for (const raw of ['garbage\n', '', '\n\n']) {
        fs.writeFileSync(path, raw);
        new PidFile(path).acquire();
        expect(fs.readFileSync(path, 'utf8'), JSON.stringify(raw)).to.equal(`${process.pid}\n`);
        fs.unlinkSync(path);
      }
    });

    it('accepts a file that already holds its own pid', () => {
      fs.writeFileSync(path, `${process.pid}\n`);
      new PidFile(path).acquire();
      expect(fs.readFileSync(path, 'utf8')).to.equal(`${process.pid}\n`);
    });

    it('holds the file open from before it appears until it is released', () => {
      const file = new PidFile(path);
      file.acquire();
      expect(isHeldByThisProcess(path), 'held after acquire').to.equal(true);
      const { dev, ino } = fs.statSync(path);
      expect(file.release()).to.equal(true);
      const stillOpen = fs.readdirSync('/proc/self/fd').some((fd) => {
        try {
          const open = fs.statSync(`/proc/self/fd/${fd}`);
          return open.dev === dev && open.ino === ino;
        } catch {
          return false;
        }
      });
      expect(stillOpen, 'held after release').to.equal(false);
    });

    it('holds a file that already names this process', () => {
      fs.writeFileSync(path, `${process.pid}\n`);
      const file = new PidFile(path);
      file.acquire();
      expect(isHeldByThisProcess(path)).to.equal(true);
      file.release();
    });

    it('refuses a file another live process holds, leaving it as it is', async () => {
      fs.writeFileSync(path, '');
      const other = await startHolder(path, { write: true });
      const error = errorOf(() => new PidFile(path).acquire());
      expect(error.message).to.equal(`already running (pid ${other}, ${path})`);
      expect(error.name).to.equal('FrameworkError');
      expect(error.exitCode).to.equal(1);
      expect(fs.readFileSync(path, 'utf8')).to.equal(`${other}\n`);
      expect(entries()).to.deep.equal(['app.pid']);
    });

    it('replaces a file naming a live process that does not hold it, returning the verdict, and leaves the process alone', async () => {
      const other = await startSleeper();
      fs.writeFileSync(path, `${other}\n`);
      expect(new PidFile(path).acquire()).to.deep.equal({
        state: 'stale',
        pid: other,
        reason: `pid ${other} (sleep 30) does not hold the pid file`,
        isAlive: true,
      });
      expect(fs.readFileSync(path, 'utf8')).to.equal(`${process.pid}\n`);
      expect(entries()).to.deep.equal(['app.pid']);
      expect(PidFile.isAlive(other)).to.equal(true);
    });

    it('replaces a file naming a live process of the program that holds another pid file', async () => {
      const other = await startHolder(join(dir, 'other.pid'), { write: true });
      fs.writeFileSync(path, `${other}\n`);
      expect(new PidFile(path, { program: NODE }).acquire()).to.include({ state: 'stale', pid: other, isAlive: true });
      expect(fs.readFileSync(path, 'utf8')).to.equal(`${process.pid}\n`);
    });

    it('returns nothing when it replaced a file naming a dead process', () => {
      fs.writeFileSync(path, `${deadPid()}\n`);
      expect(new PidFile(path).acquire()).to.equal(undefined);
    });

    it('refuses a symbolic link and writes nothing through it', () => {
      const target = join(dir, 'target');
      fs.writeFileSync(target, 'precious\n');
      fs.symlinkSync(target, path);
      expect(errorOf(() => new PidFile(path).acquire()).message).to.equal(
        `Pid file ${path} is a symbolic link; refusing to use it.`,
      );
      expect(fs.readFileSync(target, 'utf8')).to.equal('precious\n');
      expect(fs.lstatSync(path).isSymbolicLink()).to.equal(true);
    });

    it('refuses a dangling symbolic link and creates nothing at its target', () => {
      const target = join(dir, 'created-through-link');
      fs.symlinkSync(target, path);
      expect(errorOf(() => new PidFile(path).acquire()).message).to.equal(
        `Pid file ${path} is a symbolic link; refusing to use it.`,
      );
      expect(fs.existsSync(target)).to.equal(false);
      expect(entries()).to.deep.equal(['app.pid']);
    });

    it('names the path and the reason when the directory is missing', () => {
      const missing = join(dir, 'missing', 'app.pid');
      const error = errorOf(() => new PidFile(missing).acquire());
      expect(error.message).to.equal(
        `Cannot write pid file ${missing}: directory ${join(dir, 'missing')} does not exist`,
      );
      expect(error.name).to.equal('FrameworkError');
    });

    it('names the path and the reason when the directory is not writable', function () {
      if (!isRoot) {
        process.stdout.write('      (skipped: needs root to run the attempt as nobody)\n');
        this.skip();
      }
      skipUnlessNobodyCanRunNode(this);
      fs.chmodSync(dir, 0o755);
      const script = `try { new (require(${JSON.stringify(readableModule)}).PidFile)(process.argv[1]).acquire(); }
        catch (error) { process.stdout.write(error.message); }`;
      const child = spawnSync(process.execPath, ['-e', script, path], {
        uid: 65534,
        gid: 65534,
        // A directory nobody can enter: node looks for a package.json above the working directory.
        cwd: copyDir,
        encoding: 'utf8',
        timeout: 10_000,
      });
      expect(child.stdout).to.equal(`Cannot write pid file ${path}: permission denied`);
      expect(entries()).to.deep.equal([]);
    });

    it('breaks a replacement lock abandoned more than 10 seconds ago', () => {
      fs.writeFileSync(path, `${deadPid()}\n`);
      fs.writeFileSync(`${path}.lock`, '');
      const longAgo = new Date(Date.now() - 20_000);
      fs.utimesSync(`${path}.lock`, longAgo, longAgo);
      new PidFile(path).acquire();
      expect(fs.readFileSync(path, 'utf8')).to.equal(`${process.pid}\n`);
      expect(entries()).to.deep.equal(['app.pid']);
    });

    it('gives up on a stale file while a fresh replacement lock stays held, naming the lock', () => {
      const stale = `${deadPid()}\n`;
      fs.writeFileSync(path, stale);
      fs.writeFileSync(`${path}.lock`, '');
      const error = errorOf(() => new PidFile(path).acquire());
      expect(error.message).to.equal(
        `Cannot write pid file ${path}: ${path}.lock is held by another starter; ` +
          'remove it if no other instance is starting (it is ignored once 10 seconds old).',
      );
      expect(fs.readFileSync(path, 'utf8')).to.equal(stale);
    });

    describe('with simultaneous starters', () => {
      const STARTERS = 8;

      /**
       * Starts the processes, waits until every one has loaded the library,
       * then gives them all one moment at which each calls acquire(). Each
       * reports what happened and stays alive (holding its pid) until the
       * afterEach hook ends it.
       */
      async function race(): Promise<{ pid: number; result: string; wasLate: boolean }[]> {
        const script = `
          const { PidFile } = require(${JSON.stringify(readableModule)});
          const file = new PidFile(process.argv[1]);
          process.stdout.write('ready\\n');
          process.stdin.once('data', (data) => {
            const startAt = Number(String(data));
            const rest = startAt - Date.now() - 5;
            if (rest > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, rest);
            const wasLate = Date.now() > startAt;
            while (Date.now() < startAt);
            let result = 'won';
            try { file.acquire(); } catch (error) { result = error.message; }
            process.stdout.write(JSON.stringify({ pid: process.pid, result, wasLate }) + '\\n');
          });
        `;
        const lines: AsyncIterator<string>[] = [];
        const starters: ChildProcess[] = [];
        for (let index = 0; index < STARTERS; index++) {
          const child = sandbox.adopt(
            spawn(process.execPath, ['-e', script, path], { stdio: ['pipe', 'pipe', 'inherit'] }),
          );
          starters.push(child);
          lines.push(createInterface({ input: child.stdout! })[Symbol.asyncIterator]());
        }
        const nextLine = async (line: AsyncIterator<string>): Promise<string> => {
          const { value, done } = await line.next();
          if (done) throw new Error('a starter exited early');
          return value;
        };
        expect(await Promise.all(lines.map(nextLine))).to.deep.equal(Array(STARTERS).fill('ready'));
        const startAt = Date.now() + 100;
        for (const child of starters) child.stdin!.write(`${startAt}\n`);
        return Promise.all(
          lines.map(
            async (line) => JSON.parse(await nextLine(line)) as { pid: number; result: string; wasLate: boolean },
          ),
        );
      }

      for (const [label, prepare] of [
        ['a stale file', () => fs.writeFileSync(path, `${deadPid()}\n`)],
        ['no file', () => undefined],
      ] as const) {
        it(`lets exactly one win on ${label}; the others are told who runs`, async () => {
          prepare();
          const reports = await race();
          const winners = reports.filter((report) => report.result === 'won');
          expect(winners, JSON.stringify(reports)).to.have.length(1);
          const winner = winners[0].pid;
          for (const report of reports) {
            if (report.pid !== winner) expect(report.result).to.equal(`already running (pid ${winner}, ${path})`);
          }
          expect(fs.readFileSync(path, 'utf8')).to.equal(`${winner}\n`);
          expect(entries()).to.deep.equal(['app.pid']);
        });
      }
    });
  });

  describe('check', () => {
    it('passes without a file, with a stale one and with one holding this process', () => {
      const file = new PidFile(path);
      file.check();
      fs.writeFileSync(path, `${deadPid()}\n`);
      file.check();
      fs.writeFileSync(path, 'garbage');
      file.check();
      fs.writeFileSync(path, `${process.pid}\n`);
      file.check();
    });

    it('refuses a file another live process holds', async () => {
      fs.writeFileSync(path, '');
      const other = await startHolder(path, { write: true });
      expect(errorOf(() => new PidFile(path).check()).message).to.equal(`already running (pid ${other}, ${path})`);
    });

    it('passes a file naming a live process of another program, or pid 1', async () => {
      fs.writeFileSync(path, `${await startSleeper()}\n`);
      new PidFile(path).check();
      fs.writeFileSync(path, '1\n');
      new PidFile(path).check();
    });

    it('refuses a symbolic link', () => {
      fs.writeFileSync(join(dir, 'target'), `${deadPid()}\n`);
      fs.symlinkSync(join(dir, 'target'), path);
      expect(errorOf(() => new PidFile(path).check()).message).to.equal(
        `Pid file ${path} is a symbolic link; refusing to use it.`,
      );
    });
  });

  describe('release', () => {
    it('removes the file while it holds the pid', () => {
      const file = new PidFile(path);
      file.acquire();
      expect(file.release()).to.equal(true);
      expect(entries()).to.deep.equal([]);
    });

    it('leaves a file holding another pid or garbage', () => {
      const file = new PidFile(path);
      for (const raw of [`${process.pid + 1}\n`, 'garbage', '']) {
        fs.writeFileSync(path, raw);
        expect(file.release()).to.equal(false);
        expect(fs.readFileSync(path, 'utf8')).to.equal(raw);
      }
      fs.writeFileSync(path, '4242\n');
      expect(file.release(4242)).to.equal(true);
    });

    it('says why when the file holds the pid but cannot be removed', function () {
      if (!isRoot) {
        process.stdout.write('      (skipped: needs root to run the attempt as nobody)\n');
        this.skip();
      }
      skipUnlessNobodyCanRunNode(this);
      fs.chmodSync(dir, 0o755);
      fs.writeFileSync(path, '4242\n');
      const script = `try { process.stdout.write(String(new (require(${JSON.stringify(readableModule)}).PidFile)(process.argv[1]).release(4242))); }
        catch (error) { process.stdout.write(error.name + ': ' + error.message); }`;
      const child = spawnSync(process.execPath, ['-e', script, path], {
        uid: 65534,
        gid: 65534,
        cwd: copyDir,
        encoding: 'utf8',
        timeout: 10_000,
      });
      expect(child.stdout).to.equal(`FrameworkError: Cannot remove pid file ${path}: permission denied.`);
      expect(fs.readFileSync(path, 'utf8')).to.equal('4242\n');
    });

    it('never throws for a file it cannot read: no file, no directory, a symbolic link', () => {
      expect(new PidFile(path).release()).to.equal(false);
      expect(new PidFile(join(dir, 'missing', 'app.pid')).release()).to.equal(false);
      fs.writeFileSync(join(dir, 'target'), `${process.pid}\n`);
      fs.symlinkSync(join(dir, 'target'), path);
      expect(new PidFile(path).release()).to.equal(false);
      expect(fs.lstatSync(path).isSymbolicLink()).to.equal(true);
      expect(fs.readFileSync(join(dir, 'target'), 'utf8')).to.equal(`${process.pid}\n`);
    });
  });
});
