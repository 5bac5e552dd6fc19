/**
 * Reloading a daemon's config on SIGHUP: the files setup found are the ones
 * read again, even after a switch to a user whose home is elsewhere; a file
 * that can no longer be read, or a `[daemon]` value a start would refuse,
 * keeps the config in force with one error line, and the daemon goes on.
 * Real child processes, checked from the outside.
 */
import { expect } from 'chai';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  MYAPP,
  NOBODY,
  isAlive,
  isRoot,
  readIfExists,
  waitUntil,
  type Invocation,
  useDaemonSandbox,
} from '../../helpers/daemon';
import { operateFixture, waitForText } from '../../helpers/operate';

const RELOAD_HOME = operateFixture('reload-home');

describe('operating a daemon: what SIGHUP reloads', function () {
  const sandbox = useDaemonSandbox();

  describe('as root, switched to nobody, with its config in its home directory', () => {
    let home: string;
    let invocation: Invocation;

    before(function () {
      if (isRoot()) return;
      process.stdout.write(
        '      (skipped: switching to nobody needs root; this runs as uid ' + process.getuid?.() + ')\n',
      );
      this.skip();
    });

    beforeEach(async () => {
      // A home nobody may read, as a HOME of the machine's users is: only the user switched changes.
      home = mkdtempSync(join(tmpdir(), 'mortar-reload-home-'));
      chmodSync(home, 0o755);
      mkdirSync(join(home, '.config', 'reloadhome', 'conf.d'), { recursive: true, mode: 0o755 });
      writeFileSync(join(home, '.reloadhome.conf'), '[reloadhome]\ngreeting = hello\n', { mode: 0o644 });
      writeFileSync(
        join(home, '.config', 'reloadhome', 'conf.d', '10-motd.conf'),
        '[reloadhome]\nmotd = from conf.d\n',
        { mode: 0o644 },
      );
      invocation = sandbox.start(RELOAD_HOME, ['run-forever'], {
        env: { HOME: home, RELOADHOME_DAEMON_USER: NOBODY.user },
      });
      await invocation.child.waitForOutput(/^ready$/m);
      expect(invocation.child.stderr).to.equal('INFO: greeting is hello, motd is from conf.d\n');
    });

    afterEach(() => rmSync(home, { recursive: true, force: true }));

    /** Sends SIGHUP to the foreground daemon and waits for `line` on its stderr. */
    async function reload(line: string): Promise<void> {
      const before = invocation.child.stderr.length;
      invocation.child.kill('SIGHUP');
      await waitUntil(
        () => invocation.child.stderr.slice(before).includes(line),
        `'${line}' after SIGHUP\n${invocation.child.stderr}`,
      );
    }

    it("re-reads ~/.reloadhome.conf and ~/.config/reloadhome/conf.d of the home it started with, not nobody's", async () => {
      writeFileSync(join(home, '.reloadhome.conf'), '[reloadhome]\ngreeting = bonjour\n');
      await reload('INFO: reloaded: greeting is bonjour, motd is from conf.d\n');
      expect(isAlive(invocation.child.pid)).to.equal(true);
    });

    it('keeps the config in force, with one error line, when a file it read can no longer be read; a later reload reads it again', async () => {
      const file = join(home, '.reloadhome.conf');
      writeFileSync(file, '[reloadhome]\ngreeting = bonjour\n');
      chmodSync(file, 0o600);
      const before = invocation.child.stderr.length;
      await reload('reload failed');
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(invocation.child.stderr.slice(before)).to.equal(
        `ERROR: reload failed: Cannot read config file ${file}: permission denied.\n`,
      );
      expect(isAlive(invocation.child.pid), 'still running').to.equal(true);

      chmodSync(file, 0o644);
      await reload('INFO: reloaded: greeting is bonjour, motd is from conf.d\n');
    });
  });

  describe('[daemon] checked as at start', () => {
    let conf: string;
    let logFile: string;

    /** Starts the myapp sample with --daemon, its system config file `conf` holding `text`; resolves to the daemon's pid. */
    async function start(text: string): Promise<number> {
      conf = sandbox.path('myapp.conf');
      logFile = sandbox.logFile;
      writeFileSync(conf, text);
      const started = await sandbox.run(MYAPP, ['run-forever', '--daemon'], {
        env: { MYAPP_CONFIG: conf, MYAPP_LOG_FILE: logFile },
      });
      expect(started.code, `the invoker's exit code\n${started.stderr}`).to.equal(0);
      const pid = sandbox.daemonPid();
      await waitForText(logFile, /running as pid/);
      return pid;
    }

    const cases: [key: string, value: string, error: (file: string) => string][] = [
      ['umask', '999', (file) => `Invalid [daemon] umask '999' (${file}, line 5): `],
      [
        'ready_timeout',
        '0',
        (file) => `Invalid [daemon] ready_timeout '0' (${file}, line 5): expected seconds, more than 0.`,
      ],
      [
        'user',
        'no-such-user-mortar',
        (file) => `Daemon user 'no-such-user-mortar' doesn't exist ([daemon] in ${file}, line 5).`,
      ],
    ];
    for (const [key, value, error] of cases) {
      it(`keeps the config in force when the file now says ${key} = ${value}: one error line naming file, line and key; status and stop still work`, async () => {
        const pid = await start('[myapp]\nmotd = first\n');
        writeFileSync(conf, `[myapp]\nmotd = second\n\n[daemon]\n${key} = ${value}\n`);
        sandbox.signal(pid, 'SIGHUP');
        const log = await waitForText(logFile, /reload failed/);
        const failures = log.split('\n').filter((line) => line.includes('(ERROR)'));
        expect(failures, 'error lines').to.have.length(1);
        expect(failures[0]).to.match(/\(ERROR\) myapp\.core\.signal : reload failed: /);
        expect(failures[0]).to.include(error(conf));
        expect(log).to.not.include('configuration reloaded');
        expect(isAlive(pid), 'still running').to.equal(true);

        const status = await sandbox.run(MYAPP, ['daemon', 'status'], {
          env: { MYAPP_CONFIG: join(sandbox.dir, 'none.conf') },
        });
        expect(status.code, `daemon status\n${status.stdout}${status.stderr}`).to.equal(0);
        // The config in force is the one before: a SIGHUP after the file is fixed reloads it.
        writeFileSync(conf, '[myapp]\nmotd = third\n');
        sandbox.signal(pid, 'SIGHUP');
        await waitForText(logFile, /configuration reloaded/);
        expect(readIfExists(sandbox.pidFile)).to.equal(`${pid}\n`);
      });
    }
  });
});
