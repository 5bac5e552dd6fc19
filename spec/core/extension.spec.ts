import { expect } from 'chai';
// The public entry registers the built-in extensions ('daemon'); import it before anything else of the library.
import { App, Controller, Expose, FrameworkError, type AppOptions, type Extension } from 'mortar';
import type * as ExtensionModule from '../../dist/core/extension';
import { requireDist } from '../helpers/dist';
import { TextSink } from '../helpers/streams';

const { resolveExtension } = requireDist<typeof ExtensionModule>('core/extension');

describe('extensions', () => {
  let stderr: TextSink;
  let savedExitCode: typeof process.exitCode;

  beforeEach(() => {
    stderr = new TextSink();
    savedExitCode = process.exitCode;
  });

  afterEach(() => {
    process.exitCode = savedExitCode;
  });

  function makeApp(options: AppOptions = {}): App {
    return new App('t', {
      argv: [],
      stdout: new TextSink(),
      stderr,
      configFiles: [],
      handleSignals: false,
      ...options,
    });
  }

  /** Resolves to the error `setup()` rejects with. */
  async function setupError(app: App): Promise<unknown> {
    try {
      await app.setup();
    } catch (error) {
      return error;
    }
    return expect.fail('setup() should have failed');
  }

  function counting(name: string, loads: App[]): Extension {
    return { name, load: (app) => void loads.push(app) };
  }

  it('loads an extension object once with the app, during setup', async () => {
    const loads: App[] = [];
    const app = makeApp({ extensions: [counting('probe', loads)] });
    expect(loads).to.deep.equal([]);
    expect(app.hasExtension('probe')).to.equal(false);
    await app.setup();
    expect(loads).to.have.length(1);
    expect(loads[0]).to.equal(app);
    expect(app.hasExtension('probe')).to.equal(true);
  });

  it('skips a second load of the same extension, or of another object with the same name', async () => {
    const loads: App[] = [];
    const probe = counting('probe', loads);
    const app = makeApp({ extensions: [probe, probe, counting('probe', loads)], argv: ['--debug'] });
    await app.setup();
    expect(loads).to.have.length(1);
    await app.loadExtension(probe);
    expect(loads).to.have.length(1);
    expect(stderr.text).to.match(/ \(DEBUG\) t\.core\.extension : loading the 'probe' extension\n/);
    expect(stderr.text.match(/ \(DEBUG\) t\.core\.extension : extension 'probe' is already loaded\n/g)).to.have.length(
      3,
    );
  });

  it('loads extensions in the order given, awaiting each', async () => {
    const order: string[] = [];
    const slow: Extension = {
      name: 'slow',
      load: async () => {
        order.push('slow start');
        await new Promise((resolve) => setTimeout(resolve, 20));
        order.push('slow end');
      },
    };
    const fast: Extension = { name: 'fast', load: () => void order.push('fast') };
    await makeApp({ extensions: [slow, fast], hooks: [['post_setup', () => void order.push('post_setup')]] }).setup();
    expect(order).to.deep.equal(['slow start', 'slow end', 'fast', 'post_setup']);
  });

  it('lets an extension register hooks and add members', async () => {
    const greeter: Extension = {
      name: 'greeter',
      load(app) {
        app.hooks.register('post_setup', () => app.log.info('greeter ready'));
        app.extend('greet', () => 'hello');
      },
    };
    const app = makeApp({ extensions: [greeter] });
    await app.setup();
    expect((app as unknown as { greet(): string }).greet()).to.equal('hello');
    expect(stderr.text).to.equal('INFO: greeter ready\n');
  });

  it('lets an extension add a controller, whose config defaults stay under the config files', async () => {
    @Controller({ label: 'extra', configDefaults: { colour: 'blue', size: 'L' } })
    class Extra {
      @Expose()
      show(): string {
        return 'shown';
      }
    }
    const adder: Extension = { name: 'adder', load: (app) => app.addController(Extra) };
    const stdout = new TextSink();
    const app = makeApp({
      extensions: [adder],
      argv: ['extra', 'show'],
      stdout,
      configDefaults: { extra: { size: 'S' } },
    });
    expect(await app.main()).to.equal(0);
    expect(stdout.text).to.equal('shown\n');
    expect(app.controllers).to.deep.equal([Extra]);
    expect(app.config.getSection('extra')).to.deep.equal({ colour: 'blue', size: 'S' });
    expect(() => app.addController(class Late {})).to.throw(
      FrameworkError,
      'Cannot add controller Late: the app is already running.',
    );
  });

  it("loads the built-in 'daemon' extension by name", async () => {
    const app = makeApp({ extensions: ['daemon'] });
    await app.setup();
    expect(app.hasExtension('daemon')).to.equal(true);
    expect(typeof (app as unknown as { daemonize: unknown }).daemonize).to.equal('function');
    expect(app.config.has('daemon')).to.equal(true);
  });

  it('refuses an unknown built-in name, listing the known ones', async () => {
    const error = await setupError(makeApp({ extensions: ['deamon'] }));
    expect(error).to.be.instanceOf(FrameworkError);
    expect((error as Error).message).to.match(
      /^Unknown extension 'deamon' \(known: ('[a-z]+', )*'daemon'(, '[a-z]+')*\)\.$/,
    );
  });

  it('reports an unknown built-in name from main() as one line, exit 1', async () => {
    const app = makeApp({ extensions: ['nosuch'] });
    expect(await app.main()).to.equal(1);
    expect(stderr.lines).to.have.length(1);
    expect(stderr.lines[0]).to.match(/^t: error: Unknown extension 'nosuch' \(known: .*'daemon'.*\)\.$/);
  });

  for (const [what, bad] of [
    ['null', null],
    ['an object without load()', { name: 'x' }],
    ['an object without a name', { load() {} }],
    ['a load that is not a function', { name: 'x', load: 'yes' }],
    ['a number', 42],
  ] as const) {
    it(`refuses ${what}`, async () => {
      const message = 'An extension must be a built-in name or an object with a name and a load(app) function.';
      expect(() => resolveExtension(bad as unknown as Extension)).to.throw(FrameworkError, message);
      const error = await setupError(makeApp({ extensions: [bad as unknown as Extension] }));
      expect(error).to.be.instanceOf(FrameworkError).with.property('message', message);
    });
  }

  it('returns an extension object as it is', () => {
    const probe = counting('probe', []);
    expect(resolveExtension(probe)).to.equal(probe);
  });
});
