/**
 * The tsx sample, run under tsx as a user of an esbuild-based runner would
 * (tsx is a development dependency of this repository, used by this spec
 * only): tsx emits no decorator metadata, so injection works through
 * explicit `@inject(token)`s, and a program that relies on types fails with
 * one line saying so.
 */
import { expect } from 'chai';
import { join, resolve } from 'node:path';
import { ChildProcesses, type ChildResult } from '../helpers/process';

const ROOT = resolve(__dirname, '../../..');
const SOURCE = join(ROOT, 'samples/tsx/main.ts');
const COMPILED = join(ROOT, 'build/samples/tsx/main.js');

function hasTsx(): boolean {
  try {
    require.resolve('tsx', { paths: [ROOT] });
    return true;
  } catch {
    return false;
  }
}

describe('the tsx sample, run under tsx (no decorator metadata)', () => {
  const children = new ChildProcesses();

  before(function () {
    if (hasTsx()) return;
    process.stdout.write('      (skipped: tsx is not installed; run npm ci to install the development dependencies)\n');
    this.skip();
  });

  afterEach(() => children.endAll());

  /** `node --import tsx <source> ...args`: the TypeScript source itself, transformed by esbuild on the fly. */
  function underTsx(source: string, args: string[], env: Record<string, string> = {}): Promise<ChildResult> {
    return children.runNode(source, args, {
      cwd: ROOT,
      execArgv: ['--import', 'tsx'],
      // The tsconfig that covers samples/ (tsx applies a tsconfig only to the files it includes);
      // no cache, so that concurrent runs share nothing in the temporary directory.
      env: { TSX_TSCONFIG_PATH: join(ROOT, 'tsconfig.test.json'), TSX_DISABLE_CACHE: '1', ...env },
      timeoutMs: 20_000,
    });
  }

  it('injects the app and a service of its own by explicit tokens', async () => {
    const result = await underTsx(SOURCE, ['greet', '--name', 'Ada']);
    expect(result, result.stderr).to.deep.include({ code: 0, stdout: 'Hello, Ada! (greeter)\n', stderr: '' });
  });

  it('gives the service the config by token: a value from the environment reaches it', async () => {
    const result = await underTsx(SOURCE, ['greet'], { GREETER_GREETER_GREETING: 'Good morning' });
    expect(result, result.stderr).to.deep.include({ code: 0, stdout: 'Good morning, world! (greeter)\n' });
  });

  it('behaves the same compiled by tsc', async () => {
    const result = await children.runNode(COMPILED, ['greet', '--name', 'Ada'], { cwd: ROOT });
    expect(result, result.stderr).to.deep.include({ code: 0, stdout: 'Hello, Ada! (greeter)\n', stderr: '' });
  });

  it('refuses, in one line, a controller injected by type (the hello sample), rather than injecting undefined', async () => {
    const result = await underTsx(join(ROOT, 'samples/hello/main.ts'), ['hello']);
    expect(result.code, result.stderr).to.equal(1);
    expect(result.stdout).to.equal('');
    expect(result.stderr).to.equal(
      "hello: error: Cannot build controller HelloController: parameter 'app' (#0) has no @inject(TOKEN), and there is no " +
        'type metadata to inject it by (tsc writes it with emitDecoratorMetadata; tsx and esbuild write none); give it an ' +
        'explicit @inject(TOKEN), or compile with tsc and emitDecoratorMetadata.\n',
    );
  });
});
