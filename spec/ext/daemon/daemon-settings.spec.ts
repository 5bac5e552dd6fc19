/**
 * DaemonService.settings(): how the [daemon] section of a config file
 * becomes the daemon's settings (in process; nothing is daemonized).
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, DaemonService, type AppOptions, type DaemonSettings } from 'mortar';
import { MYAPP, parsePid, procStatus, useDaemonSandbox } from '../../helpers/daemon';
import { TextSink } from '../../helpers/streams';

describe('DaemonService.settings(): the [daemon] section', () => {
  let dir: string;
  let conf: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mortar-daemon-settings-'));
    conf = join(dir, 'myapp.conf');
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  /** The settings an app reading `text` as its config file gets. */
  async function settingsFrom(text: string, options: AppOptions = {}): Promise<DaemonSettings> {
    writeFileSync(conf, text);
    const app = new App('myapp', {
      argv: [],
      extensions: ['daemon'],
      configFiles: [conf],
      stdout: new TextSink(),
      stderr: new TextSink(),
      handleSignals: false,
      ...options,
    });
    await app.setup();
    return (app.providerFor(DaemonService)!() as DaemonService).settings();
  }

  /** The message settings() fails with. */
  async function failureFrom(text: string): Promise<string> {
    try {
      await settingsFrom(text);
    } catch (error) {
      expect(error).to.have.property('name', 'FrameworkError');
      return (error as Error).message;
    }
    return expect.fail('settings() should have failed');
  }

  it('reads a Cement-style section: `key: value`, keys in any case, a umask in octal', async () => {
    const settings = await settingsFrom(
      '[daemon]\nUser: nobody\ngroup: nogroup\ndir: /tmp\npid_file: /run/myapp.pid\numask: 027\nready_timeout: 2.5\n',
    );
    expect(settings).to.deep.include({
      user: 'nobody',
      group: 'nogroup',
      dir: '/tmp',
      pidFile: '/run/myapp.pid',
      umask: 0o027,
      readyTimeout: 2.5,
    });
  });

  it('takes an empty value as the default of its key: umask 022, dir /, no pid file, stdio /dev/null, 30 s', async () => {
    const settings = await settingsFrom(
      '[daemon]\nuser =\ngroup =\ndir =\npid_file =\numask =\nstdout =\nstderr =\nready_timeout =\nstart_timeout =\nstop_timeout =\nprevent_core =\nrlimit_nofile =\n',
    );
    expect(settings).to.deep.equal({
      user: undefined,
      group: undefined,
      dir: '/',
      pidFile: undefined,
      umask: 0o022,
      stdout: '/dev/null',
      stderr: '/dev/null',
      readyTimeout: 30,
      keepEnv: [],
      inspector: false,
      startTimeout: 90,
      stopTimeout: 90,
      hardening: { preventCore: false },
    });
  });

  it('reads keep_env as names and prefixes separated by commas or spaces, and refuses anything else', async () => {
    expect((await settingsFrom('[daemon]\nkeep_env = DATABASE_URL, AWS_*  TOKEN\n')).keepEnv).to.deep.equal([
      'DATABASE_URL',
      'AWS_*',
      'TOKEN',
    ]);
    let failure: unknown;
    try {
      await settingsFrom('[daemon]\nkeep_env = PATH, A=B\n');
    } catch (error) {
      failure = error;
    }
    expect((failure as Error | undefined)?.message).to.equal(
      `Invalid [daemon] keep_env 'PATH, A=B' (${conf}, line 2): 'A=B' is no variable name: give names or prefixes ending in *, separated by commas.`,
    );
  });

  it('takes an empty umask as 022 even when code gave another one (an empty value means the documented default)', async () => {
    const settings = await settingsFrom('[daemon]\numask:\n', { configDefaults: { daemon: { umask: '077' } } });
    expect(settings.umask).to.equal(0o022);
  });

  it('takes keys from [DEFAULT], as Cement does: [DEFAULT] umask = 027 is the daemon umask', async () => {
    const settings = await settingsFrom('[DEFAULT]\numask = 027\ndir = /srv\n[daemon]\ndir = /var\n');
    expect(settings.umask).to.equal(0o027);
    expect(settings.dir).to.equal('/var');
  });

  it('refuses a umask that is not octal, naming the file and the line', async () => {
    expect(await failureFrom('[daemon]\n\numask = 0999\n')).to.equal(
      `Invalid [daemon] umask '0999' (${conf}, line 3): expected an octal value like 027 (0 to 777).`,
    );
    expect(await failureFrom('[DEFAULT]\numask = u=rwx\n')).to.equal(
      `Invalid [daemon] umask 'u=rwx' ([DEFAULT] in ${conf}, line 2): expected an octal value like 027 (0 to 777).`,
    );
  });

  it('refuses a ready_timeout that is not a positive number of seconds, naming the file and the line', async () => {
    expect(await failureFrom('[daemon]\nready_timeout = soon\n')).to.equal(
      `Invalid [daemon] ready_timeout 'soon' (${conf}, line 2): expected a number.`,
    );
    expect(await failureFrom('[daemon]\nready_timeout = 0\n')).to.equal(
      `Invalid [daemon] ready_timeout '0' (${conf}, line 2): expected seconds, more than 0.`,
    );
  });

  it('reads start_timeout and stop_timeout in seconds, 0 turning the heartbeats off, and refuses a negative one', async () => {
    expect(await settingsFrom('[daemon]\nstart_timeout = 0\nstop_timeout = 2.5\n')).to.deep.include({
      startTimeout: 0,
      stopTimeout: 2.5,
    });
    expect(await failureFrom('[daemon]\nstart_timeout = -1\n')).to.equal(
      `Invalid [daemon] start_timeout '-1' (${conf}, line 2): expected seconds, 0 or more.`,
    );
    expect(await failureFrom('[daemon]\nstop_timeout = later\n')).to.equal(
      `Invalid [daemon] stop_timeout 'later' (${conf}, line 2): expected a number.`,
    );
  });

  it('refuses true or false where a name or path is expected', async () => {
    expect(await failureFrom('[daemon]\nuser = true\n')).to.equal(
      `Invalid [daemon] user 'true' (${conf}, line 2): expected text.`,
    );
  });
});

describe('the [daemon] section end to end: the myapp sample and its Cement-style myapp.conf', () => {
  const sandbox = useDaemonSandbox();

  it('runs with umask 022 when MYAPP_DAEMON_UMASK is empty, though myapp.conf says 027 in [DEFAULT]', async () => {
    const result = await sandbox.run(MYAPP, ['run-forever', '--daemon'], { env: { MYAPP_DAEMON_UMASK: '' } });
    expect(result.code, result.stderr).to.equal(0);
    const pid = parsePid(result.pidFileAtExit);
    expect(pid, 'the pid file names the daemon').to.be.a('number');
    expect(sandbox.daemonPid()).to.equal(pid);
    expect(procStatus(pid!).Umask).to.equal('0022');
    await sandbox.signalAndWait(pid!, 'SIGTERM');
  });

  it('fails before detaching when myapp.conf is overridden with a bad umask, naming the variable', async () => {
    const result = await sandbox.run(MYAPP, ['run-forever', '--daemon'], { env: { MYAPP_DAEMON_UMASK: '8' } });
    expect(result.code).to.equal(1);
    expect(result.stderr).to.equal(
      "myapp: error: Invalid [daemon] umask '8' (environment variable MYAPP_DAEMON_UMASK): expected an octal value like 027 (0 to 777).\n",
    );
    expect(result.pidFileAtExit, 'no pid file').to.equal(undefined);
    expect(sandbox.livingProcesses(), 'no process left').to.deep.equal([]);
  });
});
