import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import type * as PrivilegesModule from '../../../dist/ext/daemon/privileges';

// The compiled library: this spec runs from build/spec/ext/daemon, the library lives in dist/.
const MODULE = resolve(__dirname, '../../../../dist/ext/daemon/privileges');
const { resolveIdentity, applyIdentity } = require(MODULE) as typeof PrivilegesModule;

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
  status: Record<string, number[]>;
  env: { HOME?: string; USER?: string; LOGNAME?: string };
  hasPosix?: boolean;
}

/**
 * Runs a fresh Node process that applies each `user:group` step in turn and
 * reports its ids from /proc/self/status. spawnSync reaps the child, and kills
 * it first if it outlives the timeout.
 */
function applyInChild(...steps: string[]): ChildReport {
  const script = `
    const { resolveIdentity, applyIdentity } = require(${JSON.stringify(MODULE)});
    const report = {};
    try {
      for (const step of process.argv.slice(1)) {
        const [user, group] = step.split(':');
        applyIdentity(resolveIdentity(user || undefined, group || undefined));
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
  const child = spawnSync(process.execPath, ['-e', script, ...steps], {
    encoding: 'utf8',
    timeout: 10_000,
    env: { ...process.env, HOME: '/root', USER: 'root', LOGNAME: 'root' },
  });
  if (child.status !== 0) throw new Error(`child failed (${child.status ?? child.signal}): ${child.stderr}`);
  return JSON.parse(child.stdout) as ChildReport;
}

describe('resolveIdentity', () => {
  it('defaults to the invoking user and that user\'s primary group, changing nothing', () => {
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
    expect(thrown(() => resolveIdentity('4000123')).message).to.equal("Daemon user '4000123' doesn't exist.");
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
