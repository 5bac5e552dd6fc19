import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Lifecycle, scoped } from 'tsyringe';
import { App, Controller, Daemonize, Expose, FrameworkError, arg } from 'mortar';
import { runApp, withConfig } from 'mortar/testing';

let instances = 0;

/** The process events an app that owns its process listens to. */
const EVENTS = ['SIGTERM', 'SIGINT', 'SIGHUP', 'uncaughtException', 'unhandledRejection'] as const;

@scoped(Lifecycle.ContainerScoped)
class Counter {
  readonly number = ++instances;
}

@Controller({ label: 'base', description: 'A test subject.', arguments: [arg(['-n', '--name'], { default: 'world' })] })
class Subject {
  constructor(
    private readonly app: App,
    private readonly counter: Counter,
  ) {}

  @Expose({ help: 'greet' })
  hello(args: { name: string }): void {
    this.app.stdout.write(`hello ${args.name} from ${String(this.app.config.get('base', 'greeter') ?? 'nobody')}\n`);
    this.app.log.info('greeted');
  }

  @Expose({ help: 'fail' })
  fail(): void {
    throw new FrameworkError('it broke');
  }

  @Expose({ help: 'how many handlers are there' })
  listeners(): void {
    this.app.stdout.write(`${EVENTS.map((event) => process.listenerCount(event)).join(' ')}\n`);
  }

  @Expose()
  count(): number {
    return this.counter.number;
  }

  @Expose()
  @Daemonize()
  forever(): void {
    this.app.stdout.write('should never run\n');
  }
}

describe('mortar/testing', () => {
  describe('runApp()', () => {
    it('runs the app in this process and hands back its exit code, stdout, stderr and the app', async () => {
      const { code, stdout, stderr, app } = await runApp('subject', { controllers: [Subject] }, [
        'hello',
        '--name',
        'you',
      ]);
      expect({ code, stdout, stderr }).to.deep.equal({
        code: 0,
        stdout: 'hello you from nobody\n',
        stderr: 'INFO: greeted\n',
      });
      expect(app).to.be.instanceOf(App);
      expect(app.pargs.name).to.equal('you');
    });

    it('captures errors and usage errors as a user would see them', async () => {
      expect(await runApp('subject', { controllers: [Subject] }, ['fail'])).to.deep.include({
        code: 1,
        stdout: '',
        stderr: 'subject: error: it broke\n',
      });
      const usage = await runApp('subject', { controllers: [Subject] }, ['helo']);
      expect(usage.code).to.equal(2);
      expect(usage.stderr.split('\n')[0]).to.equal("subject: error: unknown command 'helo' (did you mean 'hello'?)");
    });

    it('leaves process.exitCode alone, whatever the app ends with', async () => {
      const saved = process.exitCode;
      try {
        process.exitCode = 42;
        for (const argv of [['hello'], ['fail'], ['nope']]) {
          await runApp('subject', { controllers: [Subject] }, argv);
          expect(process.exitCode, argv.join(' ')).to.equal(42);
        }
      } finally {
        process.exitCode = saved;
      }
    });

    it("installs no signal handler, and leaves the test runner's uncaught exceptions to it", async () => {
      const before = EVENTS.map((event) => process.listenerCount(event)).join(' ');
      const { stdout } = await runApp('subject', { controllers: [Subject] }, ['listeners']);
      expect(stdout).to.equal(`${before}\n`);
    });

    it('keeps two runs apart: config, parsed arguments and container', async () => {
      const first = await runApp('subject', { controllers: [Subject], ...withConfig('[base]\ngreeter = first\n') }, [
        'hello',
        '-n',
        'a',
      ]);
      const second = await runApp('subject', { controllers: [Subject] }, ['hello']);
      expect(first.stdout).to.equal('hello a from first\n');
      expect(second.stdout).to.equal('hello world from nobody\n');
      expect(second.app.config.has('base', 'greeter')).to.equal(false);
      expect(first.app.container).not.to.equal(second.app.container);
      const counts = [
        (await runApp('subject', { controllers: [Subject] }, ['count'])).code,
        (await runApp('subject', { controllers: [Subject] }, ['count'])).code,
      ];
      expect(counts[1]).to.equal(counts[0] + 1);
    });

    it('reads no config file unless told to, not even the one in the home directory', async () => {
      const home = mkdtempSync(join(tmpdir(), 'mortar-testing-home-'));
      const saved = process.env.HOME;
      try {
        writeFileSync(join(home, '.subject.conf'), '[base]\ngreeter = home\n');
        process.env.HOME = home;
        expect((await runApp('subject', { controllers: [Subject] }, ['hello'])).stdout).to.equal(
          'hello world from nobody\n',
        );
        const named = await runApp('subject', { controllers: [Subject], configFiles: [join(home, '.subject.conf')] }, [
          'hello',
        ]);
        expect(named.stdout).to.equal('hello world from home\n');
      } finally {
        process.env.HOME = saved;
        rmSync(home, { recursive: true, force: true });
      }
    });

    it('refuses to daemonize, which would change or detach the test runner itself', async () => {
      const cwd = process.cwd();
      const umask = process.umask();
      const { code, stdout, stderr } = await runApp('subject', { controllers: [Subject], extensions: ['daemon'] }, [
        'forever',
      ]);
      expect(code).to.equal(1);
      expect(stdout).to.equal('');
      expect(stderr).to.match(
        /^subject: error: Cannot daemonize an embedded app \(such as one run by mortar\/testing\)/,
      );
      expect([process.cwd(), process.umask()]).to.deep.equal([cwd, umask]);
    });

    it('wraps help at 80 columns whatever the terminal of the test runner', async () => {
      const saved = process.env.COLUMNS;
      process.env.COLUMNS = '40';
      try {
        const { stdout } = await runApp('subject', { controllers: [Subject] }, ['--help']);
        expect(stdout.split('\n').slice(0, 2)).to.deep.equal([
          'usage: subject [-h] [--debug] [--quiet] [-n NAME]',
          '               {hello,fail,listeners,count,forever} ...',
        ]);
      } finally {
        if (saved === undefined) delete process.env.COLUMNS;
        else process.env.COLUMNS = saved;
      }
    });

    it('takes argv from the options when the third argument is left out', async () => {
      expect((await runApp('subject', { controllers: [Subject], argv: ['hello', '-n', 'opt'] })).stdout).to.equal(
        'hello opt from nobody\n',
      );
    });

    it('refuses options it would override: stdout, stderr and embedded', async () => {
      for (const key of ['stdout', 'stderr', 'embedded']) {
        let error: unknown;
        try {
          await runApp('subject', { [key]: key === 'embedded' ? false : process.stdout }, []);
        } catch (caught) {
          error = caught;
        }
        expect(error, key).to.be.instanceOf(TypeError);
        expect((error as Error).message).to.include(`leave '${key}' out`);
      }
    });
  });

  describe('withConfig()', () => {
    it('writes each text to a config file of its own, read in order', async () => {
      const options = withConfig('[base]\ngreeter = one\n', '[base]\ngreeter = two\n');
      expect(options.configFiles).to.have.length(2);
      expect((await runApp('subject', { controllers: [Subject], ...options }, ['hello'])).stdout).to.equal(
        'hello world from two\n',
      );
    });

    it('lets a test see how the app takes a malformed file', async () => {
      const options = withConfig('[base\n');
      const { code, stderr } = await runApp('subject', { controllers: [Subject], ...options }, ['hello']);
      expect(code).to.equal(1);
      expect(stderr).to.equal(
        `subject: error: Malformed config file ${options.configFiles[0]}, line 1: unclosed section header '[base'.\n`,
      );
    });
  });
});
