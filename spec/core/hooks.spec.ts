import { expect } from 'chai';
import { setTimeout as sleep } from 'node:timers/promises';
import { BUILTIN_HOOKS, FrameworkError, HookManager, Logger } from 'mortar';
import { TextSink } from '../helpers/streams';

/** Runs `fn` and resolves to what it threw (or rejected with), failing when it did not. */
async function thrownBy(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (error) {
    return error;
  }
  expect.fail('expected an error');
}

describe('HookManager', () => {
  let hooks: HookManager;
  let order: string[];

  beforeEach(() => {
    hooks = new HookManager();
    order = [];
  });

  const record = (name: string) => () => void order.push(name);

  it('defines every built-in hook', () => {
    expect([...BUILTIN_HOOKS]).to.deep.equal([
      'pre_setup',
      'post_setup',
      'pre_argument_parsing',
      'post_argument_parsing',
      'pre_run',
      'post_run',
      'pre_close',
      'post_close',
      'signal',
      'pre_reload',
      'reload',
      'post_reload',
      'pre_render',
      'post_render',
    ]);
    for (const name of BUILTIN_HOOKS) expect(hooks.defined(name), name).to.equal(true);
    expect(hooks.defined('pre_stup')).to.equal(false);
  });

  describe('pipe()', () => {
    it('hands each function the value the previous one returned, in weight order; undefined keeps the value', async () => {
      hooks.register('pre_render', (value: number) => value * 10, { weight: 2 });
      hooks.register('pre_render', (value: number) => void order.push(`saw ${value}`), { weight: 1 });
      hooks.register('pre_render', (value: number) => value + 1);
      expect(await hooks.pipe('pre_render', 4, (value) => [value])).to.equal(50);
      expect(order).to.deep.equal(['saw 5']);
    });

    it('lets accept refuse a result, and fails on an unknown hook', async () => {
      hooks.register('post_render', () => 42);
      const refuse = (result: unknown): string => {
        throw new FrameworkError(`refused ${String(result)}`);
      };
      expect(await thrownBy(() => hooks.pipe('post_render', 'text', (value) => [value], refuse))).to.have.property(
        'message',
        'refused 42',
      );
      expect(await thrownBy(() => hooks.pipe('pre_rendr', 1, () => []))).to.be.instanceOf(FrameworkError);
    });
  });

  describe('weights', () => {
    it('runs lower weights first, negative ones before the default 0', async () => {
      hooks.register('pre_run', record('10'), { weight: 10 });
      hooks.register('pre_run', record('-3'), { weight: -3 });
      hooks.register('pre_run', record('default'));
      hooks.register('pre_run', record('2.5'), { weight: 2.5 });
      hooks.register('pre_run', record('-100'), { weight: -100 });
      await hooks.run('pre_run');
      expect(order).to.deep.equal(['-100', '-3', 'default', '2.5', '10']);
    });

    it('runs equal weights in registration order', async () => {
      hooks.register('pre_run', record('a'), { weight: 1 });
      hooks.register('pre_run', record('b'));
      hooks.register('pre_run', record('c'), { weight: 1 });
      hooks.register('pre_run', record('d'), { weight: 0 });
      hooks.register('pre_run', record('e'), { weight: 1 });
      await hooks.run('pre_run');
      expect(order).to.deep.equal(['b', 'd', 'a', 'c', 'e']);
    });

    it('refuses a weight that is not a finite number, naming the hook', () => {
      for (const weight of [Number.NaN, Number.POSITIVE_INFINITY]) {
        expect(() => hooks.register('pre_run', record('x'), { weight })).to.throw(
          FrameworkError,
          "Hook 'pre_run': weight must be a finite number.",
        );
      }
      expect(hooks.hasRegistrations('pre_run')).to.equal(false);
    });
  });

  describe('run()', () => {
    it('awaits each function before starting the next', async () => {
      hooks.register('post_run', async () => {
        order.push('slow start');
        await sleep(30);
        order.push('slow end');
      });
      hooks.register('post_run', async () => {
        order.push('fast start');
        await sleep(1);
        order.push('fast end');
      });
      hooks.register('post_run', () => void order.push('sync'));
      await hooks.run('post_run');
      expect(order).to.deep.equal(['slow start', 'slow end', 'fast start', 'fast end', 'sync']);
    });

    it('passes its arguments to every function and resolves to their results in order', async () => {
      hooks.register('signal', (app: string, signal: string) => `${app}/${signal} second`, { weight: 1 });
      hooks.register('signal', async (app: string, signal: string) => `${app}/${signal} first`);
      hooks.register('signal', () => undefined, { weight: 2 });
      expect(await hooks.run('signal', 'app', 'SIGTERM')).to.deep.equal([
        'app/SIGTERM first',
        'app/SIGTERM second',
        undefined,
      ]);
    });

    it('resolves to no results when nothing is registered', async () => {
      expect(await hooks.run('reload')).to.deep.equal([]);
    });

    it('stops at the first function that fails and rejects with its error', async () => {
      const failure = new Error('hook failed');
      hooks.register('pre_close', record('first'));
      hooks.register('pre_close', async () => {
        throw failure;
      });
      hooks.register('pre_close', record('never'));
      expect(await thrownBy(() => hooks.run('pre_close'))).to.equal(failure);
      expect(order).to.deep.equal(['first']);
    });

    it('runs the functions registered when it started, not those a function adds meanwhile', async () => {
      hooks.register('pre_run', () => {
        order.push('first');
        hooks.register('pre_run', record('added'));
      });
      await hooks.run('pre_run');
      expect(order).to.deep.equal(['first']);
      await hooks.run('pre_run');
      expect(order).to.deep.equal(['first', 'first', 'added']);
    });

    it('refuses an unknown hook, naming it', async () => {
      const error = await thrownBy(() => hooks.run('nope'));
      expect(error).to.be.instanceOf(FrameworkError).with.property('message', "Cannot run unknown hook 'nope'.");
    });
  });

  describe('register()', () => {
    it('refuses an unknown hook name, naming it and the defined ones', () => {
      expect(() => hooks.register('pre_stup', record('x'))).to.throw(
        FrameworkError,
        `Cannot register to unknown hook 'pre_stup' (defined: ${BUILTIN_HOOKS.join(', ')}).`,
      );
    });

    it('refuses something that is not a function, naming the hook', () => {
      expect(() => hooks.register('pre_run', 'not a function' as never)).to.throw(
        FrameworkError,
        "Hook 'pre_run' needs a function.",
      );
    });

    it('tells whether a hook has registrations', () => {
      expect(hooks.hasRegistrations('reload')).to.equal(false);
      hooks.register('reload', record('r'));
      expect(hooks.hasRegistrations('reload')).to.equal(true);
      expect(hooks.hasRegistrations('nope')).to.equal(false);
    });

    it('logs each registration and run at debug level under core.hook', async () => {
      const sink = new TextSink();
      const log = new Logger('t', sink);
      log.configure({ level: 'debug' });
      const logged = new HookManager(log);
      logged.register('pre_run', function greet() {});
      await logged.run('pre_run');
      expect(sink.lines).to.have.length(2);
      expect(sink.lines[0]).to.match(/ \(DEBUG\) t\.core\.hook : registering hook 'greet' into hooks\['pre_run'\]$/);
      expect(sink.lines[1]).to.match(/ \(DEBUG\) t\.core\.hook : running hook 'pre_run' \(greet\)$/);
    });
  });

  describe('define()', () => {
    it('adds a hook functions can be registered to and run', async () => {
      hooks.define('my_hook');
      expect(hooks.defined('my_hook')).to.equal(true);
      hooks.register('my_hook', (x: number) => x * 2);
      hooks.register('my_hook', (x: number) => x + 1, { weight: -1 });
      expect(await hooks.run('my_hook', 5)).to.deep.equal([6, 10]);
    });

    it('refuses to define a hook twice, naming it', () => {
      hooks.define('my_hook');
      expect(() => hooks.define('my_hook')).to.throw(FrameworkError, "Hook 'my_hook' is already defined.");
      expect(() => hooks.define('pre_setup')).to.throw(FrameworkError, "Hook 'pre_setup' is already defined.");
    });

    it('keeps hooks of different managers apart', async () => {
      const other = new HookManager();
      hooks.define('mine');
      expect(other.defined('mine')).to.equal(false);
      other.register('pre_run', record('other'));
      await hooks.run('pre_run');
      expect(order).to.deep.equal([]);
    });
  });
});
