import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Controller, Expose, FrameworkError, UsageError, type AppOptions, type Extension } from 'mortar';
import { TextSink } from '../helpers/streams';

/** What the commands and hooks of one test did, in order. */
let events: string[] = [];

@Controller({ label: 'base' })
class BaseController {
  @Expose()
  hello(): void {
    events.push('command');
  }

  @Expose()
  refuse(): void {
    throw new FrameworkError('the widget is broken');
  }

  @Expose()
  crash(): void {
    throw new Error('kaboom');
  }

  @Expose()
  exitSeven(): number {
    return 7;
  }
}

describe('App', () => {
  let stdout: TextSink;
  let stderr: TextSink;
  let savedExitCode: typeof process.exitCode;

  beforeEach(() => {
    events = [];
    stdout = new TextSink();
    stderr = new TextSink();
    savedExitCode = process.exitCode;
  });

  afterEach(() => {
    process.exitCode = savedExitCode;
  });

  function makeApp(argv: readonly string[] = [], options: AppOptions = {}): App {
    return new App('t', { argv, stdout, stderr, configFiles: [], handleSignals: false, ...options });
  }

  /** Hook tuples that record their name in `events`. */
  function recordingHooks(...names: string[]): AppOptions['hooks'] {
    return names.map((name) => [name, () => void events.push(name)] as const);
  }

  describe('label', () => {
    for (const label of ['', '1app', 'my app', 'a.b', '-app', 'app/x']) {
      it(`refuses ${JSON.stringify(label)}`, () => {
        expect(() => new App(label, { handleSignals: false })).to.throw(
          FrameworkError,
          `Invalid app label '${label}': use letters, digits, '_' and '-', starting with a letter.`,
        );
      });
    }

    it('accepts letters, digits, _ and -, starting with a letter', () => {
      for (const label of ['t', 'MyApp', 'my-app_2'])
        expect(new App(label, { handleSignals: false }).label).to.equal(label);
    });
  });

  describe('lifecycle', () => {
    it('setup: pre_setup → extensions load → config → log → post_setup', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'mortar-app-'));
      try {
        const file = join(dir, 't.conf');
        writeFileSync(file, '[t]\nfrom_file = yes\n[log]\nlevel = warning\n');
        const snapshot = (app: App, name: string): void =>
          void events.push(
            `${name}: from_file=${String(app.config.get('t', 'from_file'))} level=${app.log.getLevel()}`,
          );
        const probe: Extension = { name: 'probe', load: (app) => snapshot(app, 'extension') };
        const app = makeApp([], {
          configFiles: [file],
          extensions: [probe],
          hooks: [
            ['pre_setup', (app: App) => snapshot(app, 'pre_setup')],
            ['post_setup', (app: App) => snapshot(app, 'post_setup')],
          ],
        });
        await app.setup();
        expect(events).to.deep.equal([
          'pre_setup: from_file=undefined level=info',
          'extension: from_file=undefined level=info',
          'post_setup: from_file=yes level=warning',
        ]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('run: pre_run → pre_argument_parsing → post_argument_parsing → command → post_run', async () => {
      const app = makeApp(['hello'], {
        controllers: [BaseController],
        hooks: [
          ['pre_run', () => void events.push('pre_run')],
          [
            'pre_argument_parsing',
            (app: App) => void events.push(`pre_argument_parsing pargs=${Object.keys(app.pargs).length}`),
          ],
          [
            'post_argument_parsing',
            (app: App) => void events.push(`post_argument_parsing debug=${String(app.pargs.debug)}`),
          ],
          ['post_run', () => void events.push('post_run')],
        ],
      });
      await app.setup();
      expect(await app.run()).to.equal(0);
      expect(events).to.deep.equal([
        'pre_run',
        'pre_argument_parsing pargs=0',
        'post_argument_parsing debug=false',
        'command',
        'post_run',
      ]);
    });

    it('main: setup, run and close hooks in order, each given the app', async () => {
      const seen = new Set<unknown>();
      const names = [
        'pre_setup',
        'post_setup',
        'pre_run',
        'pre_argument_parsing',
        'post_argument_parsing',
        'post_run',
        'pre_close',
        'post_close',
      ];
      const app = makeApp(['hello'], {
        controllers: [BaseController],
        hooks: names.map((name) => [name, (arg: unknown) => void (events.push(name), seen.add(arg))] as const),
      });
      expect(await app.main()).to.equal(0);
      expect(events).to.deep.equal([
        'pre_setup',
        'post_setup',
        'pre_run',
        'pre_argument_parsing',
        'post_argument_parsing',
        'command',
        'post_run',
        'pre_close',
        'post_close',
      ]);
      expect([...seen]).to.deep.equal([app]);
    });

    it('refuses a second setup() and run() before setup()', async () => {
      const app = makeApp();
      let error: unknown;
      try {
        await app.run();
      } catch (caught) {
        error = caught;
      }
      expect(error).to.be.instanceOf(FrameworkError).with.property('message', 'run() needs setup() first.');
      await app.setup();
      error = undefined;
      try {
        await app.setup();
      } catch (caught) {
        error = caught;
      }
      expect(error).to.be.instanceOf(FrameworkError).with.property('message', 'setup() was already called.');
    });

    it('run() without controllers parses the global options and exits 0', async () => {
      const app = makeApp(['--quiet']);
      await app.setup();
      expect(await app.run()).to.equal(0);
      expect(app.pargs).to.include({ quiet: true, debug: false, help: false });
    });
  });

  describe('close()', () => {
    it('runs pre_close and post_close once, however often it is called', async () => {
      const app = makeApp([], { hooks: recordingHooks('pre_close', 'post_close') });
      await app.setup();
      await app.close();
      await app.close();
      expect(events).to.deep.equal(['pre_close', 'post_close']);
    });

    it('still runs post_close when a pre_close hook fails, then reports the failure', async () => {
      const app = makeApp([], {
        hooks: [
          ['pre_close', () => Promise.reject(new Error('pre_close broke'))],
          ['post_close', () => void events.push('post_close')],
        ],
      });
      await app.setup();
      const error = await app.close().then(
        () => undefined,
        (failure: unknown) => failure,
      );
      expect(events).to.deep.equal(['post_close']);
      expect(error).to.be.instanceOf(Error).with.property('message', 'pre_close broke');
    });

    it('makes a second caller wait until the first close has finished', async () => {
      let release!: () => void;
      const app = makeApp([], {
        hooks: [
          ['pre_close', () => new Promise<void>((resolve) => (release = resolve))],
          ['post_close', () => void events.push('post_close')],
        ],
      });
      await app.setup();
      const first = app.close();
      const second = app.close();
      let secondDone = false;
      void second.then(() => (secondDone = true));
      await new Promise((resolve) => setImmediate(resolve));
      expect(secondDone).to.equal(false);
      release();
      await second;
      expect(events).to.deep.equal(['post_close']);
      expect(secondDone).to.equal(true);
      await first;
    });

    it('runs in main() even when setup fails', async () => {
      const app = makeApp(['hello'], {
        controllers: [BaseController],
        hooks: [
          [
            'pre_setup',
            () => {
              throw new FrameworkError('setup went wrong');
            },
          ],
          ...recordingHooks('pre_run', 'pre_close', 'post_close')!,
        ],
      });
      expect(await app.main()).to.equal(1);
      expect(events).to.deep.equal(['pre_close', 'post_close']);
      expect(stderr.text).to.equal('t: error: setup went wrong\n');
    });

    it('runs in main() even when the command fails', async () => {
      const app = makeApp(['crash'], {
        controllers: [BaseController],
        hooks: recordingHooks('post_run', 'pre_close', 'post_close'),
      });
      expect(await app.main()).to.equal(1);
      expect(events).to.deep.equal(['pre_close', 'post_close']);
    });
  });

  describe('main()', () => {
    it('exits 0 when the command succeeds, writing nothing to stderr', async () => {
      const app = makeApp(['hello'], { controllers: [BaseController] });
      process.exitCode = 9;
      expect(await app.main()).to.equal(0);
      expect(app.exitCode).to.equal(0);
      expect(process.exitCode).to.equal(0);
      expect(stderr.text).to.equal('');
      expect(events).to.deep.equal(['command']);
    });

    it('uses the number a command returns as the exit code', async () => {
      const app = makeApp(['exit-seven'], { controllers: [BaseController] });
      expect(await app.main()).to.equal(7);
      expect(process.exitCode).to.equal(7);
      expect(stderr.text).to.equal('');
    });

    it('turns a FrameworkError into exit 1 and one stderr line without a stack', async () => {
      const app = makeApp(['refuse'], { controllers: [BaseController] });
      expect(await app.main()).to.equal(1);
      expect(app.exitCode).to.equal(1);
      expect(process.exitCode).to.equal(1);
      expect(stderr.text).to.equal('t: error: the widget is broken\n');
      expect(app.lastError).to.be.instanceOf(FrameworkError);
    });

    it('turns an unknown command into a UsageError: exit 2, the message, then the usage line', async () => {
      const app = makeApp(['zzzzzzzz'], { controllers: [BaseController] });
      expect(await app.main()).to.equal(2);
      expect(process.exitCode).to.equal(2);
      expect(app.lastError).to.be.instanceOf(UsageError);
      expect(stderr.lines).to.have.length(2);
      expect(stderr.lines[0]).to.equal("t: error: unknown command 'zzzzzzzz'");
      expect(stderr.lines[1]).to.match(/^usage: t /);
      expect(stdout.text).to.equal('');
    });

    it('suggests a close command name for a typo', async () => {
      const app = makeApp(['helo'], { controllers: [BaseController] });
      expect(await app.main()).to.equal(2);
      expect(stderr.lines[0]).to.equal("t: error: unknown command 'helo' (did you mean 'hello'?)");
    });

    it('turns a plain exception into exit 1 and one line, with no stack', async () => {
      const app = makeApp(['crash'], { controllers: [BaseController] });
      expect(await app.main()).to.equal(1);
      expect(process.exitCode).to.equal(1);
      expect(stderr.text).to.equal('t: error: kaboom\n');
    });

    it('prints the stack after the error line with --debug', async () => {
      const app = makeApp(['crash', '--debug'], { controllers: [BaseController] });
      expect(await app.main()).to.equal(1);
      const at = stderr.text.indexOf('t: error: kaboom\nError: kaboom\n    at ');
      expect(at, stderr.text).to.be.at.least(0);
      expect(stderr.text).to.match(/ {4}at BaseController\.crash /);
    });

    it('prints no stack for a FrameworkError without --debug, and one with it', async () => {
      const plain = makeApp(['refuse'], { controllers: [BaseController] });
      await plain.main();
      expect(stderr.text).to.not.include('    at ');
      stderr.text = '';
      const debug = makeApp(['--debug', 'refuse'], { controllers: [BaseController] });
      await debug.main();
      expect(stderr.text).to.include('t: error: the widget is broken\nFrameworkError: the widget is broken\n    at ');
    });

    it('reports something thrown that is not an Error as one line, exit 1', async () => {
      const app = makeApp([], {
        hooks: [
          [
            'post_setup',
            () => {
              throw 'a bare string';
            },
          ],
        ],
      });
      expect(await app.main()).to.equal(1);
      expect(stderr.text).to.equal('t: error: a bare string\n');
    });

    it('never rejects, even when close fails; a failing close turns success into exit 1', async () => {
      const app = makeApp(['hello'], {
        controllers: [BaseController],
        hooks: [['pre_close', () => Promise.reject(new FrameworkError('cannot close'))]],
      });
      expect(await app.main()).to.equal(1);
      expect(process.exitCode).to.equal(1);
      expect(stderr.text).to.equal('t: error: cannot close\n');
    });

    it('keeps the first error’s exit code when close fails as well', async () => {
      const app = makeApp(['zzzzzzzz'], {
        controllers: [BaseController],
        hooks: [
          [
            'pre_close',
            () => {
              throw new Error('cannot close');
            },
          ],
        ],
      });
      expect(await app.main()).to.equal(2);
      expect(stderr.lines[0]).to.equal("t: error: unknown command 'zzzzzzzz'");
      expect(stderr.lines[2]).to.equal('t: error: cannot close');
    });

    it('leaves process.exitCode and the signal handlers alone in an embedded app, unless told to handle signals', async () => {
      const before = process.listenerCount('SIGTERM');
      process.exitCode = 9;
      const app = new App('t', {
        argv: ['exit-seven'],
        controllers: [BaseController],
        stdout,
        stderr,
        configFiles: [],
        embedded: true,
      });
      expect(await app.main()).to.equal(7);
      expect([app.exitCode, process.exitCode]).to.deep.equal([7, 9]);
      const handling = new App('t', { argv: [], stdout, stderr, configFiles: [], embedded: true, handleSignals: true });
      await handling.setup();
      try {
        expect(process.listenerCount('SIGTERM')).to.equal(before + 1);
      } finally {
        await handling.close();
      }
      expect(process.listenerCount('SIGTERM')).to.equal(before);
    });

    it('never rejects when an extension fails to load', async () => {
      const broken: Extension = { name: 'broken', load: () => Promise.reject(new Error('no luck')) };
      const app = makeApp([], { extensions: [broken], hooks: recordingHooks('post_setup', 'pre_close') });
      expect(await app.main()).to.equal(1);
      expect(events).to.deep.equal(['pre_close']);
      expect(stderr.text).to.equal('t: error: no luck\n');
    });
  });

  describe('options.hooks', () => {
    it('registers [name, fn, weight] tuples before pre_setup runs, lower weights first', async () => {
      const app = makeApp([], {
        hooks: [
          ['pre_setup', () => void events.push('weight 10'), 10],
          ['pre_setup', () => void events.push('no weight')],
          ['pre_setup', () => void events.push('weight -5'), -5],
          ['pre_setup', () => void events.push('weight 0'), 0],
        ],
      });
      await app.setup();
      expect(events).to.deep.equal(['weight -5', 'no weight', 'weight 0', 'weight 10']);
    });

    it('fails setup with a tuple naming an unknown hook', async () => {
      const app = makeApp([], { hooks: [['pre_stup', () => undefined]] });
      expect(await app.main()).to.equal(1);
      expect(stderr.lines).to.have.length(1);
      expect(stderr.lines[0]).to.match(/^t: error: Cannot register to unknown hook 'pre_stup' \(defined: pre_setup, /);
    });
  });

  describe('extend()', () => {
    it('adds a member to the app', () => {
      const app = makeApp();
      app.extend('greet', (name: string) => `hello ${name}`);
      expect((app as unknown as { greet(name: string): string }).greet('you')).to.equal('hello you');
    });

    it('refuses to replace a member it added, an own property or a method', () => {
      const app = makeApp();
      const greet = () => 'first';
      app.extend('greet', greet);
      expect(() => app.extend('greet', () => 'second')).to.throw(
        FrameworkError,
        "Cannot extend the app with 'greet': it already has that member.",
      );
      expect((app as unknown as { greet: unknown }).greet).to.equal(greet);
      const log = app.log;
      expect(() => app.extend('log', {})).to.throw(FrameworkError, "'log'");
      expect(app.log).to.equal(log);
      expect(() => app.extend('setup', () => undefined)).to.throw(FrameworkError, "'setup'");
      expect(() => app.extend('signal', undefined)).to.throw(FrameworkError, "'signal'");
    });
  });

  it('app.signal is an AbortSignal', () => {
    const app = makeApp();
    expect(app.signal).to.be.instanceOf(AbortSignal);
    expect(app.signal.aborted).to.equal(false);
  });

  it('argv defaults to process.argv without node and the script', () => {
    const app = new App('t', { handleSignals: false, stdout, stderr });
    expect(app.argv).to.deep.equal(process.argv.slice(2));
  });
});
