import { expect } from 'chai';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ChildProcesses, type ChildResult } from '../helpers/process';

const ROOT = resolve(__dirname, '../../..');
const isRoot = process.getuid!() === 0;
const NOBODY = 65534;

/** A help line that the bundle holds once; the edits below change it without changing the bundle's length. */
const HELP_LINE = 'suppress all console log output';
const EDITED_LINE = 'SUPPRESS all console log output';

/**
 * The package's entry (dist/mortar.js) runs the bundle from V8's code cache in
 * the user's cache directory. These specs run a copy of the package with a home
 * directory of their own, so they can change its bundle and its cache.
 */
describe('the package entry and its code cache', function () {
  this.timeout(30_000);
  const children = new ChildProcesses();
  let dir: string;
  let home: string;
  let bundle: string;
  let program: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mortar-cache-spec-'));
    home = join(dir, 'home');
    mkdirSync(home, { mode: 0o700 });
    mkdirSync(join(dir, 'package', 'dist'), { recursive: true });
    copyFileSync(join(ROOT, 'package.json'), join(dir, 'package', 'package.json'));
    for (const file of ['mortar.js', 'mortar-bundle.js'])
      copyFileSync(join(ROOT, 'dist', file), join(dir, 'package', 'dist', file));
    bundle = join(dir, 'package', 'dist', 'mortar-bundle.js');
    program = join(dir, 'program.js');
    writeFileSync(
      program,
      `const { App, Controller, Expose } = require(${JSON.stringify(join(dir, 'package', 'dist', 'mortar.js'))});\n` +
        `class Base { hello() { process.stdout.write('hello\\n'); } }\n` +
        `Expose({ help: 'say hello' })(Base.prototype, 'hello');\nController({ label: 'base' })(Base);\n` +
        `new App('cached', { controllers: [Base], configFiles: [] }).main();\n`,
    );
  });

  afterEach(async () => {
    await children.endAll();
    rmSync(dir, { recursive: true, force: true });
  });

  const run = (args: string[], env: Record<string, string> = {}): Promise<ChildResult> =>
    children.runNode(program, args, { env: { HOME: home, ...env } });
  const cacheDir = (): string => join(home, '.cache', 'mortar');
  const cacheFiles = (): string[] =>
    existsSync(cacheDir()) ? readdirSync(cacheDir()).map((name) => join(cacheDir(), name)) : [];
  const help = async (env: Record<string, string> = {}): Promise<string> => {
    const result = await run(['--help'], env);
    expect(result.code, result.stderr).to.equal(0);
    expect(result.stderr).to.equal('');
    return result.stdout;
  };
  /** Rewrites the bundle in place with one line changed and the same length (so V8's own check cannot tell). */
  const editBundle = (from: string, to: string): void => {
    const text = readFileSync(bundle, 'utf8');
    expect(text.split(from).length, `"${from}" once in the bundle`).to.equal(2);
    writeFileSync(bundle, text.replace(from, to));
  };

  it('writes the cache on the first run, in a directory only the user can enter, and runs from it afterwards', async () => {
    expect(await help()).to.include(HELP_LINE);
    const [file] = cacheFiles();
    expect(cacheFiles()).to.have.length(1);
    expect(statSync(cacheDir()).mode & 0o777, 'the directory').to.equal(0o700);
    expect(statSync(file).mode & 0o777, 'the file').to.equal(0o600);
    const written = statSync(file);
    const second = await run(['hello']);
    expect(second.stdout).to.equal('hello\n');
    // A cache V8 accepted is left as it is; a missing or refused one is written again.
    expect(statSync(file).ino).to.equal(written.ino);
    expect(statSync(file).mtimeMs).to.equal(written.mtimeMs);
  });

  /**
   * Damages the data of the cache file (what follows its header) the way a disk or a power loss
   * can, keeping the header and length, runs the program, and checks that it ran as if there were
   * no cache, and that the file was replaced by a sound one (which the next run keeps).
   */
  const survivesDamage = async (damage: (data: Buffer) => void): Promise<void> => {
    expect(await help()).to.include(HELP_LINE);
    const [file] = cacheFiles();
    const content = readFileSync(file);
    const data = content.subarray(headerOf(content).length);
    expect(data.length, 'the data V8 gave, twice').to.be.above(8192);
    damage(data);
    writeFileSync(file, content);
    const damaged = statSync(file);

    expect(await help(), 'the run after the damage').to.include(HELP_LINE);
    const replaced = statSync(file);
    expect(replaced.ino, 'a new cache file').to.not.equal(damaged.ino);
    const hello = await run(['hello']);
    expect(hello.code, hello.stderr).to.equal(0);
    expect(hello.stdout).to.equal('hello\n');
    expect(statSync(file).ino, 'the new cache is kept').to.equal(replaced.ino);
  };

  it('runs normally when a bit of the cached data is flipped, and replaces the cache', async () => {
    await survivesDamage((data) => {
      data[data.length >> 2] ^= 0x10;
    });
  });

  it('runs normally when the cached data is zeros after 4 KiB, as a power loss can leave it, and replaces the cache', async () => {
    await survivesDamage((data) => {
      data.fill(0, 4096);
    });
  });

  it('runs normally when the cache file is cut short, and replaces it', async () => {
    expect(await help()).to.include(HELP_LINE);
    const [file] = cacheFiles();
    const content = readFileSync(file);
    writeFileSync(file, content.subarray(0, content.length - 1000));
    expect(await help()).to.include(HELP_LINE);
    expect(readFileSync(file).length, 'a new cache file').to.be.above(content.length - 1000);
  });

  it('never runs the cache of another build, even of one with the same length', async () => {
    editBundle(HELP_LINE, EDITED_LINE);
    expect(await help()).to.include(EDITED_LINE);
    editBundle(EDITED_LINE, HELP_LINE);
    expect(await help())
      .to.include(HELP_LINE)
      .and.not.include(EDITED_LINE);
  });

  /**
   * A cache file made for this very bundle (its header copied from the real
   * one) but holding another build's code: what someone who could write to the
   * cache would plant.
   */
  const plantForeignCache = async (): Promise<string> => {
    const original = readFileSync(bundle);
    editBundle(HELP_LINE, EDITED_LINE);
    await help();
    const foreign = readFileSync(cacheFiles()[0]);
    writeFileSync(bundle, original);
    await help();
    const [file] = cacheFiles();
    const header = headerOf(readFileSync(file));
    writeFileSync(file, Buffer.concat([header, foreign.subarray(headerOf(foreign).length)]));
    return file;
  };

  it("runs whatever the user's own cache file says, which is why only the user's own files count", async () => {
    await plantForeignCache();
    expect(await help()).to.include(EDITED_LINE);
  });

  it('ignores a cache file that another user owns or may write, or that is a symbolic link', async function () {
    const file = await plantForeignCache();
    chmodSync(file, 0o620);
    expect(await help(), 'a group-writable file').to.include(HELP_LINE);

    await plantForeignCache();
    chmodSync(cacheDir(), 0o770);
    expect(await help(), 'in a group-writable directory').to.include(HELP_LINE);
    chmodSync(cacheDir(), 0o700);

    await plantForeignCache();
    const elsewhere = join(dir, 'elsewhere');
    copyFileSync(file, elsewhere);
    rmSync(file);
    symlinkSync(elsewhere, file);
    expect(await help(), 'a symbolic link').to.include(HELP_LINE);

    if (!isRoot) {
      process.stdout.write('      (a file owned by another user: skipped, it needs root to make one)\n');
      return;
    }
    rmSync(file);
    await plantForeignCache();
    chownSync(file, NOBODY, NOBODY);
    expect(await help(), "another user's file").to.include(HELP_LINE);
  });

  it("writes no cache where it could not trust one: another user's home, a group-writable ~/.cache", async function () {
    mkdirSync(join(home, '.cache'), { mode: 0o700 });
    chmodSync(join(home, '.cache'), 0o770);
    expect(await help()).to.include(HELP_LINE);
    expect(cacheFiles(), 'a group-writable ~/.cache').to.deep.equal([]);
    if (!isRoot) {
      process.stdout.write("      (another user's home: skipped, it needs root)\n");
      return;
    }
    rmSync(join(home, '.cache'), { recursive: true });
    chownSync(home, NOBODY, NOBODY);
    expect(await help()).to.include(HELP_LINE);
    expect(existsSync(join(home, '.cache')), "root with another user's HOME").to.equal(false);
  });

  it('uses none with NODE_DISABLE_COMPILE_CACHE, or with no home to keep it in, and says nothing about it', async () => {
    expect(await help({ NODE_DISABLE_COMPILE_CACHE: '1' })).to.include(HELP_LINE);
    expect(cacheFiles()).to.deep.equal([]);
    expect(await help({ HOME: '' }), 'no HOME').to.include(HELP_LINE);
    expect(await help({ HOME: join(dir, 'no-such-home') }), 'a HOME that does not exist').to.include(HELP_LINE);
    expect(existsSync(join(dir, 'no-such-home')), 'a home is never created').to.equal(false);
  });

  it('keeps the 8 most recently used caches of its directory, and nothing else of it is touched', async () => {
    mkdirSync(cacheDir(), { recursive: true, mode: 0o700 });
    const day = 24 * 60 * 60;
    const now = Date.now() / 1000;
    const old = Array.from({ length: 9 }, (_, i) => join(cacheDir(), `v20.0.${i}-x64-0000000${i}`));
    for (const [i, file] of old.entries()) {
      writeFileSync(file, 'an older cache', { mode: 0o600 });
      utimesSync(file, now - (i + 1) * day, now - (i + 1) * day);
    }
    const other = join(cacheDir(), 'notes.txt');
    writeFileSync(other, 'not a cache', { mode: 0o600 });
    utimesSync(other, now - 99 * day, now - 99 * day);

    expect(await help()).to.include(HELP_LINE);
    const left = readdirSync(cacheDir()).sort();
    expect(left).to.have.length(9);
    expect(left, 'the file of this run and the 7 newest others').to.include.members(
      old.slice(0, 7).map((file) => file.slice(cacheDir().length + 1)),
    );
    expect(existsSync(old[7]) || existsSync(old[8]), 'the two least recently used').to.equal(false);
    expect(existsSync(other), 'a file not named as a cache').to.equal(true);
  });

  it('writes no cache once the program has switched user, as a daemon dropping root does', async function () {
    if (!isRoot) {
      process.stdout.write('      (skipped: switching user needs root)\n');
      return;
    }
    const dropping = join(dir, 'dropping.js');
    writeFileSync(
      dropping,
      `require(${JSON.stringify(join(dir, 'package', 'dist', 'mortar.js'))});\n` +
        `process.setgid(${NOBODY}); process.setuid(${NOBODY});\nprocess.stdout.write('dropped\\n');\n`,
    );
    const result = await children.runNode(dropping, [], { env: { HOME: home } });
    expect(result.code, result.stderr).to.equal(0);
    expect(result.stdout).to.equal('dropped\n');
    expect(result.stderr).to.equal('');
    expect(cacheFiles()).to.deep.equal([]);
  });

  it('keeps its cache under $XDG_CACHE_HOME when that is set', async () => {
    const xdg = join(dir, 'xdg');
    mkdirSync(xdg, { mode: 0o700 });
    expect(await help({ XDG_CACHE_HOME: xdg })).to.include(HELP_LINE);
    expect(readdirSync(join(xdg, 'mortar'))).to.have.length(1);
    expect(cacheFiles()).to.deep.equal([]);
  });
});

/** The cache file's header: the lines up to the one with the bundle's stats. */
function headerOf(content: Buffer): Buffer {
  let end = 0;
  for (let line = 0; line < 4; line++) end = content.indexOf(10, end) + 1;
  return content.subarray(0, end);
}
