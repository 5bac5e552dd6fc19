/**
 * What the daemon's own commands and option tell an operator beyond starting
 * a daemon: `daemon status` and `daemon stop` render their data (`-o json`),
 * and `--daemon` on a command that never became a daemon says so once.
 */
import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { App, Controller, DaemonController, DaemonService, Expose, defaults, type AppOptions } from 'mortar';
import { runApp } from 'mortar/testing';
import { MYAPP, useDaemonSandbox } from '../../helpers/daemon';

@Controller({ label: 'base' })
class Base {
  constructor(
    private readonly app: App,
    private readonly daemon: DaemonService,
  ) {}

  @Expose({ help: 'print something' })
  info(): void {
    this.app.stdout.write('info\n');
  }

  @Expose({ help: 'become a daemon only when asked to in the config' })
  async maybe(): Promise<void> {
    if (this.app.config.get('base', 'daemonize') === 'yes') await this.daemon.daemonize();
    this.app.stdout.write('maybe\n');
  }
}

describe('the daemon controller and option, as an operator reads them', () => {
  const sandbox = useDaemonSandbox();

  function options(extra: AppOptions = {}): AppOptions {
    const config = defaults('daemon');
    config.daemon.pid_file = sandbox.pidFile;
    return {
      extensions: ['daemon'],
      controllers: [Base, DaemonController],
      configDefaults: config,
      output: 'text',
      ...extra,
    };
  }

  describe('daemon status and daemon stop', () => {
    it('render their data with -o json, and keep their exit codes', async () => {
      const stopped = await runApp('t', options(), ['daemon', 'status', '-o', 'json']);
      expect(stopped.code).to.equal(3);
      expect(JSON.parse(stopped.stdout)).to.deep.equal({ state: 'stopped', pidFile: sandbox.pidFile });

      writeFileSync(sandbox.pidFile, 'not a pid\n');
      const stale = await runApp('t', options(), ['daemon', 'status', '-o', 'json']);
      expect(stale.code).to.equal(1);
      const status = JSON.parse(stale.stdout) as Record<string, unknown>;
      expect(status).to.include({ state: 'stale', pidFile: sandbox.pidFile });
      expect(status.reason).to.be.a('string');

      const stop = await runApp('t', options(), ['daemon', 'stop', '-o', 'json']);
      expect(stop.code).to.equal(0);
      expect(JSON.parse(stop.stdout)).to.include({ outcome: 'stale', removedPidFile: true });
    });

    it('print the same lines as before as text', async () => {
      const { code, stdout } = await runApp('t', options(), ['daemon', 'status']);
      expect({ code, stdout }).to.deep.equal({ code: 3, stdout: 't is not running\n' });
      expect((await runApp('t', options(), ['daemon', 'stop'])).stdout).to.equal('t is not running\n');
    });
  });

  describe('--daemon on a command that does not become a daemon', () => {
    it('warns once, naming the command, once the command has run without calling daemonize()', async () => {
      const { code, stdout, stderr } = await runApp('t', options(), ['info', '--daemon']);
      expect({ code, stdout }).to.deep.equal({ code: 0, stdout: 'info\n' });
      expect(stderr).to.equal("WARNING: --daemon has no effect: 'info' does not run as a daemon\n");
      const nested = await runApp('t', options(), ['--daemon', 'daemon', 'status']);
      expect(nested.stderr).to.equal("WARNING: --daemon has no effect: 'daemon status' does not run as a daemon\n");
    });

    it('says nothing without --daemon, for help, or when the command failed', async () => {
      expect((await runApp('t', options(), ['info'])).stderr).to.equal('');
      expect((await runApp('t', options(), ['info', '--help', '--daemon'])).stderr).to.equal('');
      expect((await runApp('t', options(), ['nope', '--daemon'])).stderr).to.not.contain('WARNING');
    });

    it('decides only after the command ran: one that calls daemonize() at run time is a daemon (refused here, embedded)', async () => {
      const result = await runApp(
        't',
        options({ configDefaults: { daemon: { pid_file: sandbox.pidFile }, base: { daemonize: 'yes' } } }),
        ['maybe', '--daemon'],
      );
      expect(result.code).to.equal(1);
      expect(result.stderr).to.match(/Cannot daemonize an embedded app/);
      expect(result.stderr).to.not.contain('has no effect');
      const foreground = await runApp('t', options(), ['maybe', '--daemon']);
      expect(foreground.stderr).to.equal("WARNING: --daemon has no effect: 'maybe' does not run as a daemon\n");
    });

    it('warns in a real process too, on stderr, with the exit code unchanged', async () => {
      const result = await sandbox.run(MYAPP, ['daemon', 'status', '--daemon']);
      expect(result.code).to.equal(3);
      expect(result.stdout).to.equal('myapp is not running\n');
      expect(result.stderr).to.equal("WARNING: --daemon has no effect: 'daemon status' does not run as a daemon\n");
    });
  });
});
