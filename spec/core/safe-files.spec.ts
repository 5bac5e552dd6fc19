/**
 * safe-files.ts in process, as root: what a file root opens for a daemon may
 * be (a regular file of a trusted account with one name, or a device root
 * owns), and which symbolic links on the way are followed.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  closeSync,
  constants,
  existsSync,
  linkSync,
  lchownSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as SafeFiles from '../../dist/core/safe-files';
import { requireDist } from '../helpers/dist';

// The compiled library: this spec runs from build/spec/core, the library lives in dist/.
const { checkTrusted, openDaemonFile, unlinkDaemonFile } = requireDist<typeof SafeFiles>('core/safe-files');

const NOBODY = 65534;
const APPEND = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT;

function messageOf(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected an error');
}

describe('safe-files: what root opens or removes for a daemon', function () {
  let dir: string;

  beforeEach(function () {
    if (process.geteuid?.() !== 0) {
      process.stdout.write('      (skipped: the checks apply only as root; this run is not root)\n');
      this.skip();
    }
    dir = mkdtempSync(join(tmpdir(), 'mortar-safe-files-'));
    chmodSync(dir, 0o755);
  });

  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('appends to a regular file root owns, creating it when missing', () => {
    const file = join(dir, 'app.log');
    closeSync(openDaemonFile(file, APPEND, 0o640));
    expect(existsSync(file)).to.equal(true);
  });

  it('refuses a file with a second name, which could be any file root can write', () => {
    const target = join(dir, 'target');
    writeFileSync(target, 'keep\n');
    const file = join(dir, 'app.log');
    linkSync(target, file);
    expect(messageOf(() => openDaemonFile(file, APPEND, 0o640))).to.equal(
      `${file} has 2 hard links: one of them may name a file it must not write to; give it a name of its own`,
    );
    expect(readFileSync(target, 'utf8')).to.equal('keep\n');
  });

  it('refuses a FIFO at once instead of waiting for a reader', () => {
    const fifo = join(dir, 'app.log');
    execFileSync('mkfifo', [fifo]);
    expect(messageOf(() => openDaemonFile(fifo, APPEND, 0o640))).to.equal(`${fifo} is not a regular file`);
  });

  it('accepts a device root owns, such as /dev/null', () => {
    closeSync(openDaemonFile('/dev/null', APPEND));
  });

  it('refuses a file another account owns, or that others can write', () => {
    const file = join(dir, 'app.log');
    writeFileSync(file, '');
    chownSync(file, NOBODY, NOBODY);
    expect(messageOf(() => openDaemonFile(file, APPEND))).to.equal(
      `${file} belongs to uid ${NOBODY}, not to root or the daemon's user (chown root ${file})`,
    );
    chownSync(file, 0, 0);
    chmodSync(file, 0o646);
    expect(messageOf(() => openDaemonFile(file, APPEND))).to.equal(
      `${file} is writable by every user (chmod o-w ${file})`,
    );
  });

  it("refuses a sticky directory another account owns: only root's sticky directories are safe", () => {
    const sticky = join(dir, 'sticky');
    mkdirSync(sticky);
    chownSync(sticky, NOBODY, NOBODY);
    chmodSync(sticky, 0o1777);
    expect(messageOf(() => openDaemonFile(join(sticky, 'app.log'), APPEND))).to.equal(
      `directory ${sticky} belongs to uid ${NOBODY}, not to root or the daemon's user (chown root ${sticky})`,
    );
  });

  it('follows a symbolic link root owns on the way (as /var/run → /run), and removes through it', () => {
    const real = join(dir, 'real');
    mkdirSync(real);
    symlinkSync(real, join(dir, 'run'));
    const file = join(dir, 'run', 'app.pid');
    closeSync(openDaemonFile(file, APPEND, 0o644));
    expect(existsSync(join(real, 'app.pid'))).to.equal(true);
    unlinkDaemonFile(file);
    expect(existsSync(join(real, 'app.pid'))).to.equal(false);
  });

  it('removes nothing through a symbolic link another account owns', () => {
    const real = join(dir, 'real');
    mkdirSync(real);
    writeFileSync(join(real, 'app.pid'), '1\n');
    const link = join(dir, 'run');
    symlinkSync(real, link);
    lchownSync(link, NOBODY, NOBODY);
    expect(messageOf(() => unlinkDaemonFile(join(link, 'app.pid')))).to.equal(
      `${link} is a symbolic link owned by uid ${NOBODY}, not by root; root does not follow it`,
    );
    expect(existsSync(join(real, 'app.pid'))).to.equal(true);
  });

  it('lets a config path that does not exist pass (nothing is read from it)', () => {
    checkTrusted(join(dir, 'missing', 'app.conf'));
  });
});
