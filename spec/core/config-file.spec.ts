/**
 * Reading a config file: only regular files, at most 1 MiB, UTF-8. A FIFO or
 * a device given as a config file used to hang start-up (a FIFO blocks the
 * open, /dev/urandom never ends): those run in a child process, so that a
 * regression fails one test instead of hanging the suite.
 */
import { expect } from 'chai';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Config } from 'mortar';
import { ChildProcesses, RunningChild, cleanEnv } from '../helpers/process';

const FIXTURE = join(__dirname, '../fixtures/core/config-app.js');
const MIB = 1024 * 1024;

/** Runs `fn` and returns the message it threw, failing when it did not throw. */
function failure(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).to.have.property('name', 'FrameworkError');
    return (error as Error).message;
  }
  return expect.fail('expected an error');
}

describe('config files: what is read', () => {
  let dir: string;
  const children = new ChildProcesses();

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mortar-config-file-'));
  });

  afterEach(async () => {
    await children.endAll();
    rmSync(dir, { recursive: true, force: true });
  });

  function file(name: string, content: string | Buffer): string {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  }

  describe('in process', () => {
    it('reads a file of exactly 1 MiB and refuses one byte more, naming the limit', () => {
      const padding = (size: number): string => `[s]\na = 1\n${'#'.repeat(size - 11)}\n`;
      expect(padding(MIB)).to.have.length(MIB);
      const config = new Config();
      expect(config.parseFile(file('max.conf', padding(MIB)))).to.equal(true);
      expect(config.get('s', 'a')).to.equal('1');
      const big = file('big.conf', padding(MIB + 1));
      expect(failure(() => new Config().parseFile(big))).to.equal(
        `Cannot read config file ${big}: larger than 1 MiB, the most a config file may hold.`,
      );
    });

    it('refuses invalid UTF-8 with the line and column, never reading U+FFFD into a value', () => {
      const latin1 = file('latin1.conf', Buffer.from('[s]\na = 1\nb = caf\xe9\n', 'latin1'));
      expect(failure(() => new Config().parseFile(latin1))).to.equal(
        `Malformed config file ${latin1}, line 3: invalid UTF-8 at column 8 (byte 0xe9); save the file as UTF-8.`,
      );
      const crlf = file(
        'crlf.conf',
        Buffer.concat([
          Buffer.from('[s]\r\nname = Zoë\r\n\r\nc = '),
          Buffer.from([0xed, 0xa0, 0x80]),
          Buffer.from('\r\n'),
        ]),
      );
      expect(failure(() => new Config().parseFile(crlf))).to.equal(
        `Malformed config file ${crlf}, line 4: invalid UTF-8 at column 5 (byte 0xed); save the file as UTF-8.`,
      );
      const truncated = file('truncated.conf', Buffer.from([...Buffer.from('[s]\na = \u00e9'), 0xc3]));
      expect(failure(() => new Config().parseFile(truncated))).to.equal(
        `Malformed config file ${truncated}, line 2: invalid UTF-8 at column 6 (byte 0xc3); save the file as UTF-8.`,
      );
    });

    it('reads UTF-8 beyond ASCII, and skips a byte order mark', () => {
      const config = new Config();
      config.parseFile(file('bom.conf', '\ufeff[s]\ngreeting = grüß dich 🙂\n'));
      expect(config.getSection('s')).to.deep.equal({ greeting: 'grüß dich 🙂' });
    });

    it('refuses a file it may not read, naming it', function () {
      if (process.getuid?.() === 0) {
        process.stdout.write('      (skipped: root reads a mode 000 file anyway)\n');
        this.skip();
      }
      const locked = file('locked.conf', '[s]\n');
      chmodSync(locked, 0);
      expect(failure(() => new Config().parseFile(locked))).to.equal(
        `Cannot read config file ${locked}: permission denied.`,
      );
    });
  });

  describe('in a child process (a regression would hang)', () => {
    it('fails at once on a FIFO given as a config file: one line, exit 1', async () => {
      const fifo = join(dir, 'fifo.conf');
      execFileSync('mkfifo', [fifo]);
      const result = await children.runNode(FIXTURE, ['show'], { env: { CONFIG_FILES: JSON.stringify([fifo]) } });
      expect(result).to.deep.include({ code: 1, stdout: '' });
      expect(result.stderr).to.equal(
        `mortarcfg: error: Cannot read config file ${fifo}: a FIFO, not a regular file.\n`,
      );
    });

    it('fails at once on /dev/urandom given as a config file: one line, exit 1', async () => {
      const result = await children.runNode(FIXTURE, ['show'], {
        env: { CONFIG_FILES: JSON.stringify(['/dev/urandom']) },
      });
      expect(result).to.deep.include({ code: 1, stdout: '' });
      expect(result.stderr).to.equal(
        'mortarcfg: error: Cannot read config file /dev/urandom: a character device, not a regular file.\n',
      );
    });

    it('fails at once on a FIFO among the conf.d entries, and on a link there to /dev/urandom: one line, exit 1', async () => {
      const confD = join(dir, 'conf.d');
      mkdirSync(confD);
      writeFileSync(join(confD, '10-good.conf'), '[s]\na = 1\n');
      execFileSync('mkfifo', [join(confD, '20-fifo.conf')]);
      const result = await children.runNode(FIXTURE, ['show'], {
        env: { CONFIG_FILES: '[]', CONFIG_DIRS: JSON.stringify([confD]) },
      });
      expect(result).to.deep.include({ code: 1, stdout: '' });
      expect(result.stderr).to.equal(
        `mortarcfg: error: Cannot read config file ${join(confD, '20-fifo.conf')}: a FIFO, not a regular file.\n`,
      );

      rmSync(join(confD, '20-fifo.conf'));
      symlinkSync('/dev/urandom', join(confD, '30-random.conf'));
      const random = await children.runNode(FIXTURE, ['show'], {
        env: { CONFIG_FILES: '[]', CONFIG_DIRS: JSON.stringify([confD]) },
      });
      expect(random).to.deep.include({ code: 1, stdout: '' });
      expect(random.stderr).to.equal(
        `mortarcfg: error: Cannot read config file ${join(confD, '30-random.conf')}: a character device, not a regular file.\n`,
      );
    });

    it('reads the files before and after a good one as usual', async () => {
      const good = file('good.conf', '[s]\na: 1\n');
      const result = await children.runNode(FIXTURE, ['show'], {
        env: { CONFIG_FILES: JSON.stringify([good, join(dir, 'missing.conf')]) },
      });
      expect(result.stderr).to.equal('');
      expect(JSON.parse(result.stdout)).to.deep.include({ s: { a: '1' } });
    });
  });

  describe('the default search, /etc/<label>/ included (a private mount namespace)', function () {
    const label = 'mortarcfg';
    let skipReason: string | undefined;
    const running: RunningChild[] = [];

    before(function () {
      skipReason = namespaceUnavailable();
      if (skipReason) {
        process.stdout.write(`      (skipped: ${skipReason})\n`);
        this.skip();
      }
    });

    afterEach(async () => {
      for (const child of running.splice(0)) {
        child.kill('SIGKILL');
        await child.waitForExit(5000);
      }
    });

    /**
     * Runs the fixture in a private mount namespace where /etc is an overlay holding
     * a copy of `etc` as /etc/<label> (nothing outside the namespace sees it), with HOME
     * in the test's directory.
     */
    function runWithEtc(etc: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
      const upper = join(dir, 'overlay-upper');
      const work = join(dir, 'overlay-work');
      mkdirSync(upper);
      mkdirSync(work);
      const script = [
        'set -e',
        `mount -t overlay overlay -o "lowerdir=/etc,upperdir=${upper},workdir=${work}" /etc`,
        `mkdir -p "/etc/${label}"`,
        `cp -R "${etc}/." "/etc/${label}/"`,
        `exec "${process.execPath}" "${FIXTURE}" show`,
      ].join('\n');
      const child = new RunningChild(
        spawn('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script], {
          env: cleanEnv({ HOME: join(dir, 'home'), CONFIG_LABEL: label }),
          stdio: ['ignore', 'pipe', 'pipe'],
        }),
      );
      running.push(child);
      return child.waitForExit();
    }

    it(`reads /etc/${label}/${label}.conf, its conf.d, ~/.config/${label}/${label}.conf, its conf.d, ~/.${label}.conf, in this order`, async () => {
      const etc = join(dir, 'etc');
      const home = join(dir, 'home');
      const userDir = join(home, '.config', label);
      mkdirSync(join(etc, 'conf.d'), { recursive: true });
      mkdirSync(join(userDir, 'conf.d'), { recursive: true });
      const keys = ['a', 'b', 'c', 'd', 'e', 'f'];
      /** A file setting every key from the n-th on to `name`. */
      const layer = (path: string, name: string, from: number): void =>
        writeFileSync(
          path,
          `[layers]\n${keys
            .slice(from)
            .map((key) => `${key}: ${name}`)
            .join('\n')}\n`,
        );
      layer(join(etc, `${label}.conf`), 'etc', 0);
      layer(join(etc, 'conf.d', '10-etc.conf'), 'etc conf.d 10', 1);
      layer(join(etc, 'conf.d', '20-etc.conf'), 'etc conf.d 20', 2);
      layer(join(userDir, `${label}.conf`), 'user', 3);
      layer(join(userDir, 'conf.d', 'user.conf'), 'user conf.d', 4);
      layer(join(home, `.${label}.conf`), 'dot file', 5);
      const result = await runWithEtc(etc);
      expect(result.stderr).to.equal('');
      expect(JSON.parse(result.stdout)).to.deep.include({
        layers: { a: 'etc', b: 'etc conf.d 10', c: 'etc conf.d 20', d: 'user', e: 'user conf.d', f: 'dot file' },
      });
    });

    it(`fails at once on a FIFO at /etc/${label}/${label}.conf: one line, exit 1`, async () => {
      const etc = join(dir, 'etc');
      mkdirSync(etc);
      execFileSync('mkfifo', [join(etc, `${label}.conf`)]);
      const result = await runWithEtc(etc);
      expect(result).to.deep.include({ code: 1, stdout: '' });
      expect(result.stderr).to.equal(
        `${label}: error: Cannot read config file /etc/${label}/${label}.conf: a FIFO, not a regular file.\n`,
      );
    });
  });
});

/** Why a private mount namespace with an overlay over /etc cannot be had here, or undefined when it can. */
function namespaceUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'a private mount namespace needs root';
  const probe = mkdtempSync(join(tmpdir(), 'mortar-ns-probe-'));
  try {
    mkdirSync(join(probe, 'upper'));
    mkdirSync(join(probe, 'work'));
    execFileSync(
      'unshare',
      [
        '--mount',
        '--propagation',
        'private',
        'sh',
        '-c',
        `mount -t overlay overlay -o "lowerdir=/etc,upperdir=${probe}/upper,workdir=${probe}/work" /etc`,
      ],
      { stdio: 'pipe' },
    );
    return undefined;
  } catch (error) {
    return `no private mount namespace with an overlay over /etc (${String((error as { stderr?: Buffer }).stderr ?? error).trim()})`;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}
