/**
 * Errors carry a stable `code` a program can test, so that it never has to
 * match a message that may be reworded.
 */
import { expect } from 'chai';
import { App, Controller, Expose, FrameworkError, UsageError, arg } from 'mortar';
import { runApp, withConfig } from 'mortar/testing';

/** The error a function throws. */
function thrown(run: () => unknown): FrameworkError {
  try {
    run();
  } catch (error) {
    expect(error).to.be.instanceOf(FrameworkError);
    return error as FrameworkError;
  }
  throw new Error('expected an error');
}

@Controller({ label: 'base', arguments: [arg(['-p', '--priority'], { type: 'integer', choices: [1, 2, 3] })] })
class Base {
  constructor(private readonly app: App) {}

  @Expose({ arguments: [arg('title')] })
  add(): void {}

  @Expose()
  seven(): number {
    return 700;
  }

  @Expose()
  code(): void {
    this.app.pargs.seen = true;
  }
}

/** The code of the error an app run ends with, as a program embedding mortar sees it. */
async function codeOf(argv: string[], config = ''): Promise<string | undefined> {
  const { app } = await runApp('t', { controllers: [Base], ...withConfig(config) }, argv);
  return (app.lastError as FrameworkError | undefined)?.code;
}

describe('error codes', () => {
  it('are mortar.error and mortar.usage unless a code is given, which is kept', () => {
    expect(new FrameworkError('x').code).to.equal('mortar.error');
    expect(new UsageError('x').code).to.equal('mortar.usage');
    expect(new FrameworkError('x', { code: 'myapp.noDatabase' }).code).to.equal('myapp.noDatabase');
    expect(new UsageError('x', { code: 'myapp.badFlag', usage: 'usage: x' })).to.include({
      code: 'myapp.badFlag',
      exitCode: 2,
      usage: 'usage: x',
    });
  });

  it('name the kind of each command-line mistake', async () => {
    expect(await codeOf(['ad'])).to.equal('mortar.unknownCommand');
    expect(await codeOf(['add', 'x', '--prio', '1'])).to.equal('mortar.unknownOption');
    expect(await codeOf(['add', 'x', '-p', '5'])).to.equal('mortar.invalidValue');
    expect(await codeOf(['add', 'x', '-p', 'high'])).to.equal('mortar.invalidValue');
    expect(await codeOf(['add', 'x', '-p'])).to.equal('mortar.invalidValue');
    expect(await codeOf(['add'])).to.equal('mortar.missingArgument');
    expect(await codeOf(['add', 'x', 'y'])).to.equal('mortar.unexpectedArgument');
    expect(await codeOf(['code'])).to.equal(undefined);
  });

  it('name a config value an option cannot take, a returned number that is no exit code, and a mistaken declaration', async () => {
    expect(await codeOf(['code'], '[base]\npriority = 9\n')).to.equal('mortar.invalidConfigValue');
    expect(await codeOf(['seven'])).to.equal('mortar.invalidExitCode');
    expect(thrown(() => arg(['--x'], { nargz: 1 } as never)).code).to.equal('mortar.invalidDeclaration');
    expect(
      thrown(() => Controller({ label: 'base', arguments: [arg('env', { nargs: '?' })] })(class Bad {})).code,
    ).to.equal('mortar.invalidDeclaration');
  });
});
