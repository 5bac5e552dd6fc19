import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import type * as PrivilegesModule from '../../../dist/ext/daemon/privileges';
import { groupsOf } from '../../helpers/daemon';
import { requireDist } from '../../helpers/dist';

// The compiled library: this spec runs from build/spec/ext/daemon, the library lives in dist/.
const MODULE = resolve(__dirname, '../../../../dist/ext/daemon/privileges');
const { resolveIdentity, applyIdentity, resetEnvironment, KEPT_ENVIRONMENT } =
  requireDist<typeof PrivilegesModule>('ext/daemon/privileges');

/** A preload that makes `require('posix')` fail as when the optional addon is not installed. */
const HIDE_ADDONS = resolve(__dirname, '../../fixtures/preload/hide-addons.js');

const isRoot = process.getuid!() === 0;

function thrown(action: () => unknown): Error & { exitCode?: number } {
  try {
    action();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}

interface ChildReport {
  error?: { name: string; message: string; exitCode: number };
  identities: PrivilegesModule.Identity[];
  status: Record<string, number[]>;
  env: { HOME?: string; USER?: string; LOGNAME?: string };
  hasPosix?: boolean;
}

/** How {@link inChild} runs its child. */
interface ChildOptions {
  /** Apply each identity (else only resolve it). Default: true. */
  readonly apply?: boolean;
  /** Run as if the optional posix addon were not installed. */
  readonly hideAddons?: boolean;
  /** The child's PATH, e.g. a directory with a fake `getent`, or one without any. */
  readonly path?: string;
  /**
   * An empty directory mounted over /etc in a private mount namespace of the
   * child (root only), so it has no account database at all.
   */
  readonly emptyEtc?: string;
}

/**
 * Runs a fresh Node process that resolves (and applies) each `user:group` step
 * in turn and reports the identities and its ids from /proc/self/status.
 * spawnSync reaps the child, and kills it first if it outlives the timeout.
 */
function inChild(steps: string[], options: ChildOptions = {}): ChildReport {
  const script = `
    const { resolveIdentity, applyIdentity } = require(${JSON.stringify(MODULE)});
    const report = { identities: [] };
    try {
      for (const step of process.argv.slice(1)) {
        const [user, group] = step.split(':');
        const identity = resolveIdentity(user || undefined, group || undefined);
        report.identities.push(identity);
        if (${options.apply ?? true}) applyIdentity(identity);
      }
    } catch (error) {
      report.error = { name: error.name, message: error.message, exitCode: error.exitCode };
    }
    report.status = {};
    for (const line of require('fs').readFileSync('/proc/self/status', 'utf8').split('\\n')) {
      const match = /^(Uid|Gid|Groups):(.*)$/.exec(line);
      if (match) report.status[match[1]] = match[2].trim().split(/\\s+/).filter(Boolean).map(Number);
    }
    report.env = { HOME: process.env.HOME, USER: process.env.USER, LOGNAME: process.env.LOGNAME };
    report.hasPosix = Object.keys(require.cache).some((file) => file.includes('/node_modules/posix/'));
    process.stdout.write(JSON.stringify(report));
  `;
  const node = [process.execPath, ...(options.hideAddons ? ['--require', HIDE_ADDONS] : []), '-e', script, ...steps];
  const path = options.path ?? process.env.PATH ?? '/usr/bin:/bin';
  // unshare and mount come from the runner's PATH; the program then gets its own.
  const shell = 'mount --bind "$0" /etc && PATH="$CHILD_PATH" exec "$@"';
  const argv = options.emptyEtc
    ? ['unshare', '--mount', '--propagation', 'private', '/bin/sh', '-c', shell, options.emptyEtc, ...node]
    : node;
  const child = spawnSync(argv[0], argv.slice(1), {
    encoding: 'utf8',
    timeout: 10_000,
    env: {
      PATH: options.emptyEtc ? (process.env.PATH ?? '/usr/bin:/bin') : path,
      CHILD_PATH: path,
      HOME: '/root',
      USER: 'root',
      LOGNAME: 'root',
      LANG: 'C',
    },
  });
  if (child.status !== 0)
    throw new Error(`child failed (${child.status ?? child.signal ?? child.error?.message}): ${child.stderr}`);
  return JSON.parse(child.stdout) as ChildReport;
}

/** {@link inChild}, applying each step. */
function applyInChild(...steps: string[]): ChildReport {
  return inChild(steps);
}

describe('resolveIdentity', () => {
  it("defaults to the invoking user and that user's primary group, changing nothing", () => {
    const me = userInfo();
    for (const identity of [resolveIdentity(), resolveIdentity('', '')]) {
      expect(identity).to.include({ user: me.username, uid: me.uid, gid: me.gid, home: me.homedir, changes: false });
    }
  });

  it('resolves root', () => {
    expect(resolveIdentity('root')).to.deep.equal({
      user: 'root',
      uid: 0,
      gid: 0,
      group: 'root',
      home: '/root',
      hasAccount: true,
      changes: !isRoot,
    });
  });

  it("defaults the group to nobody's primary group, not the invoker's", () => {
    const identity = resolveIdentity('nobody');
    expect(identity).to.include({ user: 'nobody', uid: 65534, gid: 65534 });
    expect(identity.group).to.be.oneOf(['nogroup', 'nobody']);
    expect(identity.changes).to.equal(process.getuid!() !== 65534);
  });

  it('accepts numeric ids for user and group', () => {
    expect(resolveIdentity('65534')).to.include({ user: 'nobody', uid: 65534, gid: 65534 });
    expect(resolveIdentity('0', '0')).to.include({ user: 'root', uid: 0, gid: 0, group: 'root' });
    expect(resolveIdentity('nobody', '0')).to.include({ uid: 65534, gid: 0, group: 'root', changes: true });
  });

  it('takes an explicit group over the primary one', () => {
    const identity = resolveIdentity('root', resolveIdentity('nobody').group);
    expect(identity).to.include({ user: 'root', uid: 0, gid: 65534, changes: true });
  });

  it('names an unknown user or group in one line (FrameworkError, exit 1)', () => {
    const user = thrown(() => resolveIdentity('no-such-user-mortar'));
    expect(user.message).to.equal("Daemon user 'no-such-user-mortar' doesn't exist.");
    expect(user.name).to.equal('FrameworkError');
    expect(user.exitCode).to.equal(1);

    const group = thrown(() => resolveIdentity('nobody', 'no-such-group-mortar'));
    expect(group.message).to.equal("Daemon group 'no-such-group-mortar' doesn't exist.");
    expect(group.exitCode).to.equal(1);

    expect(thrown(() => resolveIdentity(undefined, 'no-such-group-mortar')).message).to.equal(
      "Daemon group 'no-such-group-mortar' doesn't exist.",
    );
    expect(thrown(() => resolveIdentity('4000123')).message).to.equal(
      "Daemon user '4000123' doesn't exist. To run as uid 4000123 without an account, set [daemon] group as well.",
    );
  });

  it('takes a uid with no account when the group is given, and a gid with no group as it is', () => {
    expect(resolveIdentity('4000123', '4000124')).to.deep.equal({
      user: '4000123',
      uid: 4000123,
      gid: 4000124,
      group: '4000124',
      home: '/',
      hasAccount: false,
      changes: true,
    });
    expect(resolveIdentity('nobody', '4000124')).to.include({
      uid: 65534,
      gid: 4000124,
      group: '4000124',
      hasAccount: true,
    });
  });

  it('does not load the posix addon when nothing needs switching', () => {
    const me = userInfo();
    const report = applyInChild(':', `${me.username}:`, `${me.uid}:${me.gid}`);
    expect(report.error).to.equal(undefined);
    expect(report.hasPosix).to.equal(false);
  });
});

describe('applyIdentity', () => {
  it('leaves ids and environment alone when the identity changes nothing', () => {
    const env: NodeJS.ProcessEnv = { HOME: '/somewhere', USER: 'someone' };
    applyIdentity(resolveIdentity(), env);
    expect(env).to.deep.equal({ HOME: '/somewhere', USER: 'someone' });
  });

  describe('in a real process', () => {
    before(function () {
      if (!isRoot) {
        process.stdout.write('      (skipped: switching user needs root; this run is not root)\n');
        this.skip();
      }
    });

    it('becomes nobody: uid, gid, no supplementary group of the invoker, HOME/USER/LOGNAME', () => {
      const report = applyInChild('nobody:');
      expect(report.error).to.equal(undefined);
      expect(report.status.Uid).to.deep.equal([65534, 65534, 65534, 65534]);
      expect(report.status.Gid).to.deep.equal([65534, 65534, 65534, 65534]);
      expect(report.status.Groups).to.not.include(0);
      expect(report.status.Groups.every((gid) => gid === 65534)).to.equal(true);
      expect(report.env).to.deep.equal({ HOME: '/nonexistent', USER: 'nobody', LOGNAME: 'nobody' });
    });

    it('switches only the group when only the group differs', () => {
      const report = applyInChild(`root:${resolveIdentity('nobody').group}`);
      expect(report.error).to.equal(undefined);
      expect(report.status.Uid).to.deep.equal([0, 0, 0, 0]);
      expect(report.status.Gid).to.deep.equal([65534, 65534, 65534, 65534]);
      expect(report.status.Groups).to.not.include(0);
    });

    it('refuses to switch without the right to, naming the user', () => {
      const report = applyInChild('nobody:', 'root:');
      expect(report.error).to.deep.equal({
        name: 'FrameworkError',
        message:
          "Cannot switch to user 'root' (uid 0): operation not permitted; run as root or leave [daemon] user unset.",
        exitCode: 1,
      });
      expect(report.status.Uid).to.deep.equal([65534, 65534, 65534, 65534]);
      expect(report.env.USER).to.equal('nobody');
    });

    it('refuses to switch the group without the right to, naming the group', () => {
      const report = applyInChild('nobody:', 'nobody:root');
      expect(report.error?.message).to.equal(
        "Cannot switch to group 'root' (gid 0): operation not permitted; run as root or leave [daemon] group unset.",
      );
      expect(report.status.Gid).to.deep.equal([65534, 65534, 65534, 65534]);
    });
  });
});

describe('account lookups without the posix addon', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mortar-accounts-'));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  /** A directory holding only a `getent` script that prints `lines[database key]`, or exits 2 (not found). */
  function fakeGetent(entries: Record<string, string>): string {
    const bin = join(dir, 'bin');
    const cases = Object.entries(entries)
      .map(([query, line]) => `  '${query}') echo '${line}' ;;`)
      .join('\n');
    writeFileSync(join(dir, 'getent'), `#!/bin/sh\ncase "$1 $2" in\n${cases}\n  *) exit 2 ;;\nesac\n`);
    chmodSync(join(dir, 'getent'), 0o755);
    return [dir, bin].join(':');
  }

  it('asks getent, so accounts from any NSS source count (a user and group only getent knows)', () => {
    const path = fakeGetent({
      'passwd directory-user': 'directory-user:*:4000200:4000201:Directory User:/home/directory-user:/bin/sh',
      'group 4000201': 'directory-group:*:4000201:',
      'group directory-group': 'directory-group:*:4000201:',
    });
    const report = inChild(['directory-user:', 'root:directory-group'], { apply: false, hideAddons: true, path });
    expect(report.error).to.equal(undefined);
    expect(report.identities[0]).to.deep.include({
      user: 'directory-user',
      uid: 4000200,
      gid: 4000201,
      group: 'directory-group',
      home: '/home/directory-user',
    });
    expect(report.identities[1]).to.deep.include({ user: 'root', uid: 0, gid: 4000201, group: 'directory-group' });
    expect(report.hasPosix).to.equal(false);
  });

  it('believes getent when it says there is no such account, naming the culprit', () => {
    const report = inChild(['nobody:'], { apply: false, hideAddons: true, path: fakeGetent({}) });
    expect(report.error).to.deep.equal({
      name: 'FrameworkError',
      message: "Daemon user 'nobody' doesn't exist.",
      exitCode: 1,
    });
  });

  it('reads /etc/passwd and /etc/group when there is no getent either', () => {
    const report = inChild(['nobody:', '65534:', 'root:65534', '0:0'], { apply: false, hideAddons: true, path: dir });
    expect(report.error).to.equal(undefined);
    const nobodyGroup = resolveIdentity('nobody').group;
    expect(report.identities.map(({ user, uid, gid, group }) => ({ user, uid, gid, group }))).to.deep.equal([
      { user: 'nobody', uid: 65534, gid: 65534, group: nobodyGroup },
      { user: 'nobody', uid: 65534, gid: 65534, group: nobodyGroup },
      { user: 'root', uid: 0, gid: 65534, group: nobodyGroup },
      { user: 'root', uid: 0, gid: 0, group: 'root' },
    ]);
  });

  it('says how to fix it when getent fails, rather than guessing from the files', () => {
    writeFileSync(join(dir, 'getent'), '#!/bin/sh\necho "getent: cannot reach the directory" >&2\nexit 1\n');
    chmodSync(join(dir, 'getent'), 0o755);
    const report = inChild(['nobody:'], { apply: false, hideAddons: true, path: dir });
    expect(report.error).to.deep.equal({
      name: 'FrameworkError',
      message:
        "Cannot look up daemon user 'nobody': 'getent passwd nobody' failed (exit 1: getent: cannot reach the directory). " +
        'Install the posix addon (npm install posix) or getent, or give [daemon] user and group as numeric ids.',
      exitCode: 1,
    });
  });

  describe('switching for real', () => {
    before(function () {
      if (!isRoot) {
        process.stdout.write('      (skipped: switching user needs root; this run is not root)\n');
        this.skip();
      }
    });

    it("becomes nobody with nobody's supplementary groups, the addon never loaded", () => {
      const report = inChild(['nobody:'], { hideAddons: true });
      expect(report.error).to.equal(undefined);
      expect(report.hasPosix).to.equal(false);
      expect(report.status.Uid).to.deep.equal([65534, 65534, 65534, 65534]);
      expect(report.status.Gid).to.deep.equal([65534, 65534, 65534, 65534]);
      expect([...report.status.Groups].sort((a, b) => a - b)).to.deep.equal(groupsOf('nobody'));
      expect(report.env).to.deep.equal({ HOME: '/nonexistent', USER: 'nobody', LOGNAME: 'nobody' });
    });

    describe('with no account database at all (no addon, no getent, an empty /etc)', () => {
      let emptyEtc: string;

      before(function () {
        emptyEtc = mkdtempSync(join(tmpdir(), 'mortar-empty-etc-'));
        const probe = spawnSync('unshare', [
          '--mount',
          '--propagation',
          'private',
          '/bin/sh',
          '-c',
          'mount --bind "$0" /etc && test ! -e /etc/passwd',
          emptyEtc,
        ]);
        if (probe.status !== 0) {
          process.stdout.write(
            `      (skipped: cannot mount over /etc in a private mount namespace: ${probe.stderr?.toString().trim() || probe.error?.message})\n`,
          );
          this.skip();
        }
      });

      after(() => {
        if (emptyEtc) rmSync(emptyEtc, { recursive: true, force: true });
      });

      it('switches to a numeric uid and gid, with no supplementary group and HOME=/', () => {
        const report = inChild(['4000123:4000124'], { hideAddons: true, path: dir, emptyEtc });
        expect(report.error).to.equal(undefined);
        expect(report.status.Uid).to.deep.equal([4000123, 4000123, 4000123, 4000123]);
        expect(report.status.Gid).to.deep.equal([4000124, 4000124, 4000124, 4000124]);
        expect(report.status.Groups).to.deep.equal([4000124]);
        expect(report.env).to.deep.equal({ HOME: '/', USER: '4000123', LOGNAME: '4000123' });
      });

      it('names the user and says how to fix it when a name must be looked up', () => {
        const report = inChild(['nobody:'], { hideAddons: true, path: dir, emptyEtc });
        expect(report.error).to.deep.equal({
          name: 'FrameworkError',
          message:
            "Cannot look up daemon user 'nobody': the optional posix addon is not installed, there is no getent command, " +
            'and /etc/passwd cannot be read. Install the posix addon (npm install posix) or getent, ' +
            'or give [daemon] user and group as numeric ids.',
          exitCode: 1,
        });
        expect(report.status.Uid).to.deep.equal([0, 0, 0, 0]);
      });
    });
  });
});

describe('resetEnvironment(): what a daemon keeps after a switch of user', () => {
  it('keeps the names and prefixes it is given and removes every other variable, saying which', () => {
    const env: NodeJS.ProcessEnv = {
      PATH: '/bin',
      LC_ALL: 'C',
      LCX: 'no',
      SECRET: 'x',
      SUDO_USER: 'alice',
      HOME: '/root',
    };
    const removed = resetEnvironment(['PATH', 'LC_*', 'HOME'], env);
    expect(env).to.deep.equal({ PATH: '/bin', LC_ALL: 'C', HOME: '/root' });
    expect(removed.sort()).to.deep.equal(['LCX', 'SECRET', 'SUDO_USER']);
  });

  it('keeps by default what the daemon itself needs: the locale, systemd sockets and watchdog, Node, mortar', () => {
    for (const name of [
      'PATH',
      'LANG',
      'LC_*',
      'TZ',
      'NODE_*',
      'NOTIFY_SOCKET',
      'LISTEN_*',
      'WATCHDOG_*',
      'JOURNAL_STREAM',
      'MORTAR_*',
      'HOME',
      'USER',
      'LOGNAME',
    ]) {
      expect(KEPT_ENVIRONMENT).to.include(name);
    }
  });
});
