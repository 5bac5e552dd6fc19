import { expect } from 'chai';
import { injectable, inject } from 'tsyringe';
import { App, Config, Controller, Expose, FrameworkError, Logger, TOKENS, arg, type AppOptions } from 'mortar';
import { runApp, withConfig, type RunResult } from 'mortar/testing';

/** Runs an app labelled `t` with these controllers in this process, as mortar/testing does. */
function run(
  controllers: NonNullable<AppOptions['controllers']>,
  argv: string[],
  extra: AppOptions = {},
): Promise<RunResult> {
  return runApp('t', { controllers, ...extra }, argv);
}

class Greeter {
  greet(name: string): string {
    return `Hello, ${name}!`;
  }
}

@injectable()
class Counter {
  constructor(private readonly greeter: Greeter) {}
  count(): string {
    return this.greeter.greet('counter');
  }
}

describe('dispatch and dependency injection', () => {
  describe('constructor injection', () => {
    it('injects the App, its Config and its Logger by class', async () => {
      let seen: unknown[] = [];
      @Controller({ label: 'base' })
      class Base {
        constructor(app: App, config: Config, log: Logger) {
          seen = [app, config, log];
        }
        @Expose()
        show(): void {}
      }
      const { code, app } = await run([Base], ['show']);
      expect(code).to.equal(0);
      expect(seen).to.have.length(3);
      expect(seen[0]).to.equal(app);
      expect(seen[1]).to.equal(app.config);
      expect(seen[2]).to.equal(app.log);
    });

    it('injects the App, its Config and its Logger by token too', async () => {
      let seen: unknown[] = [];
      @Controller({ label: 'base' })
      class Base {
        constructor(
          @inject(TOKENS.app) app: unknown,
          @inject(TOKENS.config) config: unknown,
          @inject(TOKENS.log) log: unknown,
        ) {
          seen = [app, config, log];
        }
        @Expose()
        show(): void {}
      }
      const { code, app } = await run([Base], ['show']);
      expect(code).to.equal(0);
      expect(seen).to.have.length(3);
      expect(seen[0]).to.equal(app);
      expect(seen[1]).to.equal(app.config);
      expect(seen[2]).to.equal(app.log);
    });

    it('builds user services through the tsyringe container, with their own dependencies', async () => {
      @Controller({ label: 'base' })
      class Base {
        constructor(
          private readonly app: App,
          private readonly counter: Counter,
        ) {}
        @Expose()
        go(): void {
          this.app.stdout.write(`${this.counter.count()}\n`);
        }
      }
      const { code, stdout } = await run([Base], ['go']);
      expect(code).to.equal(0);
      expect(stdout).to.equal('Hello, counter!\n');
    });

    it('resolves services from a container given in the options', async () => {
      const { container } = await import('tsyringe');
      const child = container.createChildContainer();
      child.register('greeting', { useValue: 'from the container' });
      @Controller({ label: 'base' })
      class Base {
        constructor(
          private readonly app: App,
          @inject('greeting') private readonly greeting: string,
        ) {}
        @Expose()
        go(): void {
          this.app.stdout.write(`${this.greeting}\n`);
        }
      }
      const { code, stdout } = await run([Base], ['go'], { container: child });
      expect(code).to.equal(0);
      expect(stdout).to.equal('from the container\n');
    });

    it('names the controller and the parameter when a dependency cannot be built', async () => {
      class NeedsConfig {
        constructor(readonly value: string) {}
      }
      @injectable()
      class Broken {
        constructor(readonly needs: NeedsConfig) {}
      }
      @Controller({ label: 'base' })
      class Base {
        constructor(readonly broken: Broken) {}
        @Expose()
        go(): void {}
      }
      const { code, stderr } = await run([Base], ['go']);
      expect(code).to.equal(1);
      expect(stderr.split('\n').filter(Boolean)).to.have.length(1);
      expect(stderr).to.match(/^t: error: Cannot build controller Base: .*"broken".*#0/);
    });

    it('refuses a parameter typed as an interface, naming it', async () => {
      interface Clock {
        now(): number;
      }
      @Controller({ label: 'base' })
      class Base {
        constructor(
          readonly app: App,
          readonly clock: Clock,
        ) {}
        @Expose()
        go(): void {}
      }
      const { code, stderr } = await run([Base], ['go']);
      expect(code).to.equal(1);
      expect(stderr).to.equal(
        "t: error: Cannot build controller Base: parameter 'clock' (#1) is typed as an interface, union or primitive; inject it by token with @inject(TOKEN).\n",
      );
    });

    it('explains missing decorator metadata instead of injecting undefined', async () => {
      class Base {
        constructor(readonly app: App) {}
        go(): void {}
      }
      // What a class compiled without emitDecoratorMetadata looks like: decorated, but no design:paramtypes.
      Controller({ label: 'base' })(Base);
      Expose()(Base.prototype, 'go', Object.getOwnPropertyDescriptor(Base.prototype, 'go')!);
      const { code, stderr } = await run([Base], ['go']);
      expect(code).to.equal(1);
      expect(stderr).to.equal(
        "t: error: Cannot build controller Base: parameter 'app' (#0) has no @inject(TOKEN), and there is no type metadata to inject it by " +
          '(tsc writes it with emitDecoratorMetadata; tsx and esbuild write none); give it an explicit @inject(TOKEN), ' +
          'or compile with tsc and emitDecoratorMetadata.\n',
      );
      expect(stderr).to.not.contain('reflect-metadata');
    });

    it('injects by explicit @inject(token) alone when there is no type metadata (as under tsx)', async () => {
      const { container } = await import('tsyringe');
      const child = container.createChildContainer();
      child.register('greeting', { useValue: 'from the container' });
      let seen: unknown[] = [];
      class Direct {
        constructor(app: unknown, log: unknown) {
          seen = [app, log];
        }
        go(): void {}
      }
      class ThroughContainer {
        constructor(
          readonly app: App,
          readonly greeting: string,
        ) {}
        go(): void {
          this.app.stdout.write(`${this.greeting}\n`);
        }
      }
      // What tsx or esbuild emit: the decorators run, but no design:paramtypes is recorded.
      for (const [Target, tokens] of [
        [Direct, [TOKENS.app, TOKENS.log]],
        [ThroughContainer, [App, 'greeting']],
      ] as const) {
        tokens.forEach((token, index) => inject(token)(Target, undefined, index));
        Controller({ label: 'base' })(Target);
        Expose()(Target.prototype, 'go', Object.getOwnPropertyDescriptor(Target.prototype, 'go')!);
        expect(Reflect.getMetadata('design:paramtypes', Target), 'no metadata').to.equal(undefined);
      }
      const direct = await run([Direct], ['go']);
      expect(direct.code, direct.stderr).to.equal(0);
      expect(seen).to.deep.equal([direct.app, direct.app.log]);
      const resolved = await run([ThroughContainer], ['go'], { container: child });
      expect(resolved.code, resolved.stderr).to.equal(0);
      expect(resolved.stdout).to.equal('from the container\n');
    });

    it('names the parameter that has no @inject(token) when there is no type metadata', async () => {
      class Base {
        constructor(
          readonly app: App,
          readonly config: unknown,
        ) {}
        go(): void {}
      }
      inject(TOKENS.app)(Base, undefined, 0);
      Controller({ label: 'base' })(Base);
      Expose()(Base.prototype, 'go', Object.getOwnPropertyDescriptor(Base.prototype, 'go')!);
      const { code, stderr } = await run([Base], ['go']);
      expect(code).to.equal(1);
      expect(stderr).to.equal(
        "t: error: Cannot build controller Base: parameter 'config' (#1) has no @inject(TOKEN), and there is no type " +
          'metadata to inject it by (tsc writes it with emitDecoratorMetadata; tsx and esbuild write none); give it an ' +
          'explicit @inject(TOKEN), or compile with tsc and emitDecoratorMetadata.\n',
      );
    });
  });

  describe('commands', () => {
    @Controller({
      label: 'base',
      description: 'Test app.',
      configDefaults: { foo: 'from-defaults' },
      arguments: [arg(['--foo'], { help: 'foo' })],
    })
    class Base {
      constructor(private readonly app: App) {}

      @Expose({ hide: true, aliases: ['run'] })
      default(args: { foo?: string }): void {
        this.app.stdout.write(`default foo=${args.foo} config=${String(this.app.config.get('base', 'foo'))}\n`);
      }

      @Expose({ help: 'return an exit code', arguments: [arg('code', { type: 'integer' })] })
      exitWith(args: { code: number }): number {
        return args.code;
      }

      @Expose({ help: 'wait, then print' })
      async slow(): Promise<void> {
        await new Promise((resolve) => setTimeout(resolve, 20));
        this.app.stdout.write('slow done\n');
      }

      @Expose({ help: 'fail' })
      fail(): void {
        throw new Error('something broke');
      }
    }

    it('runs the method named default when no command is given, and by its alias', async () => {
      expect((await run([Base], [])).stdout).to.equal('default foo=from-defaults config=from-defaults\n');
      expect((await run([Base], ['run', '--foo', 'x'])).stdout).to.equal('default foo=x config=x\n');
    });

    it('lets command-line options override config values of the same name', async () => {
      const { stdout, app } = await run([Base], ['--foo=cli']);
      expect(stdout).to.equal('default foo=cli config=cli\n');
      expect(app.pargs.foo).to.equal('cli');
    });

    it('lets --foo x replace [base] foo from a file when the controller declares no configDefaults, and a nested level its own section', async () => {
      @Controller({ label: 'base', arguments: [arg(['--foo'])] })
      class Plain {
        constructor(private readonly app: App) {}
        @Expose({ arguments: [arg(['--dry-run'], { action: 'store_true' })] })
        show(): void {
          const config = this.app.config;
          this.app.stdout.write(
            `${String(config.get('base', 'foo'))} ${String(config.get('base', 'dry_run'))} ${String(config.get('db', 'url'))}\n`,
          );
        }
      }
      @Controller({ label: 'db', arguments: [arg(['--url'])] })
      class Db {
        constructor(private readonly app: App) {}
        @Expose()
        migrate(): void {
          this.app.stdout.write(`${String(this.app.config.get('db', 'url'))}\n`);
        }
      }
      const files = withConfig('[base]\nfoo = file\ndry_run = no\n[db]\nurl = file-url\n');
      expect((await run([Plain, Db], ['show'], files)).stdout).to.equal('file no file-url\n');
      expect((await run([Plain, Db], ['show', '--foo', 'cli', '--dry-run'], files)).stdout).to.equal(
        'cli true file-url\n',
      );
      expect((await run([Plain, Db], ['db', 'migrate', '--url', 'cli-url'], files)).stdout).to.equal('cli-url\n');
      // A key no section has stays absent: the line sets what the config reads, it adds no keys.
      const { app } = await run([Plain, Db], ['show', '--foo', 'cli']);
      expect(app.config.has('base', 'foo')).to.equal(false);
    });

    it('uses a returned number as the exit code', async () => {
      expect((await run([Base], ['exit-with', '7'])).code).to.equal(7);
      expect((await run([Base], ['exit-with', '0'])).code).to.equal(0);
    });

    it('refuses a returned number that is no exit code', async () => {
      const { code, stderr } = await run([Base], ['exit-with', '300']);
      expect(code).to.equal(1);
      expect(stderr).to.equal("t: error: Command 'exit-with' returned 300, which is not an exit code (0 to 255).\n");
    });

    it('awaits async commands before closing', async () => {
      const { code, stdout } = await run([Base], ['slow']);
      expect(code).to.equal(0);
      expect(stdout).to.equal('slow done\n');
    });

    it('turns an exception into exit 1 and one line, with the stack only under --debug', async () => {
      const plain = await run([Base], ['fail']);
      expect(plain.code).to.equal(1);
      expect(plain.stderr).to.equal('t: error: something broke\n');
      const debug = await run([Base], ['fail', '--debug']);
      expect(debug.code).to.equal(1);
      expect(debug.stderr).to.contain('t: error: something broke\n');
      expect(debug.stderr).to.match(/\n\s+at /);
    });

    it('never lists the hidden default command in help', async () => {
      const { code, stdout } = await run([Base], ['--help']);
      expect(code).to.equal(0);
      expect(stdout).to.contain('exit-with');
      expect(stdout.replace(/\(default: [^)]*\)/g, '')).not.to.match(/\bdefault\b|\brun\b/);
    });

    it('exits 2 on an unknown command, suggesting a visible one', async () => {
      const { code, stderr } = await run([Base], ['slwo']);
      expect(code).to.equal(2);
      expect(stderr.split('\n')[0]).to.equal("t: error: unknown command 'slwo' (did you mean 'slow'?)");
      expect(stderr.split('\n')[1]).to.match(/^usage: t /);
    });

    it('shows help, exit 0, at a level with commands but no default', async () => {
      @Controller({ label: 'base' })
      class Plain {
        @Expose({ help: 'say hi' })
        hi(): void {}
      }
      const { code, stdout } = await run([Plain], []);
      expect(code).to.equal(0);
      expect(stdout).to.match(/^usage: t /);
      expect(stdout).to.contain('say hi');
    });
  });

  describe('stacking', () => {
    const calls: string[] = [];

    @Controller({ label: 'base', arguments: [arg(['--top'], { action: 'store_true' })] })
    class Base {
      @Expose()
      ping(): void {
        calls.push('base.ping');
      }
    }

    @Controller({ label: 'db', description: 'Database tools.', arguments: [arg(['--url'], { default: 'sqlite:' })] })
    class Db {
      @Expose({ aliases: ['up'] })
      migrate(args: { url: string; top: boolean }): void {
        calls.push(`db.migrate url=${args.url} top=${args.top}`);
      }
    }

    @Controller({ label: 'replica', stackedOn: 'db', stackedType: 'nested' })
    class Replica {
      @Expose()
      sync(args: { url: string }): void {
        calls.push(`db.replica.sync url=${args.url}`);
      }
    }

    @Controller({
      label: 'extras',
      stackedOn: 'db',
      stackedType: 'embedded',
      arguments: [arg(['--dry-run'], { action: 'store_true' })],
    })
    class Extras {
      @Expose()
      vacuum(args: { dryRun: boolean }): void {
        calls.push(`db.vacuum dry=${args.dryRun}`);
      }
    }

    @Controller({ label: 'secret', stackedOn: 'base', hide: true })
    class Secret {
      @Expose()
      open(): void {
        calls.push('secret.open');
      }
    }

    const all = [Base, Db, Replica, Extras, Secret];
    beforeEach(() => {
      calls.length = 0;
    });

    it('runs nested commands at any depth, with the options of every level on the way', async () => {
      expect((await run(all, ['db', 'migrate', '--url', 'pg:', '--top'])).code).to.equal(0);
      expect((await run(all, ['--top', 'db', 'up'])).code).to.equal(0);
      expect((await run(all, ['db', 'replica', 'sync', '--url=x'])).code).to.equal(0);
      expect(calls).to.deep.equal([
        'db.migrate url=pg: top=true',
        'db.migrate url=sqlite: top=true',
        'db.replica.sync url=x',
      ]);
    });

    it('adds the commands and options of an embedded controller to its parent level', async () => {
      expect((await run(all, ['db', 'vacuum', '--dry-run'])).code).to.equal(0);
      expect(calls).to.deep.equal(['db.vacuum dry=true']);
      const help = (await run(all, ['db', '--help'])).stdout;
      expect(help).to.contain('vacuum');
      expect(help).to.contain('--dry-run');
      expect(help).to.contain('replica');
    });

    it('runs a hidden controller when named, but never shows or suggests it', async () => {
      expect((await run(all, ['secret', 'open'])).code).to.equal(0);
      expect(calls).to.deep.equal(['secret.open']);
      expect((await run(all, ['--help'])).stdout).not.to.contain('secret');
      const typo = await run(all, ['secre']);
      expect(typo.code).to.equal(2);
      expect(typo.stderr.split('\n')[0]).to.equal("t: error: unknown command 'secre'");
    });

    it('reports mistakes in the declarations, naming the controllers', async () => {
      @Controller({ label: 'lost', stackedOn: 'nowhere' })
      class Lost {}
      const lost = await run([Base, Lost], ['ping']);
      expect(lost.code).to.equal(1);
      expect(lost.stderr).to.equal("t: error: Controller Lost is stacked on unknown controller 'nowhere'.\n");

      @Controller({ label: 'db' })
      class Twin {}
      const twin = await run([Base, Db, Twin], ['ping']);
      expect(twin.stderr).to.equal("t: error: Controllers Db and Twin both use the label 'db'.\n");

      @Controller({ label: 'a', stackedOn: 'b' })
      class A {}
      @Controller({ label: 'b', stackedOn: 'a' })
      class B {}
      const cycle = await run([Base, A, B], ['ping']);
      expect(cycle.stderr).to.equal('t: error: Controllers stack on each other in a cycle: A, B.\n');

      class NotAController {}
      const plain = await run([Base, NotAController], ['ping']);
      expect(plain.stderr).to.equal('t: error: NotAController is not a controller: decorate it with @Controller().\n');
    });

    it('refuses a command name used twice at one level', async () => {
      @Controller({ label: 'dup', stackedOn: 'base', stackedType: 'embedded' })
      class Dup {
        @Expose({ label: 'ping' })
        other(): void {}
      }
      const { code, stderr } = await run([Base, Dup], ['ping']);
      expect(code).to.equal(1);
      expect(stderr).to.equal("t: error: 'ping' names both command Base.ping and command Dup.other under 'base'.\n");
    });
  });

  it('treats a controller method error thrown as FrameworkError like any user error', async () => {
    @Controller({ label: 'base' })
    class Base {
      @Expose()
      go(): void {
        throw new FrameworkError('There is no task #3.');
      }
    }
    const { code, stderr } = await run([Base], ['go']);
    expect(code).to.equal(1);
    expect(stderr).to.equal('t: error: There is no task #3.\n');
  });
});
