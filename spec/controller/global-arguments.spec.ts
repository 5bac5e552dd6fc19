import { expect } from 'chai';
import { App, Controller, Expose, FrameworkError, arg } from 'mortar';
import type * as GlobalArgumentsModule from '../../dist/controller/global-arguments';
import { requireDist } from '../helpers/dist';

const { globalArguments } = requireDist<typeof GlobalArgumentsModule>('controller/global-arguments');

@Controller({ label: 'base' })
class Plain {
  @Expose()
  go(): void {}
}

@Controller({ label: 'report', arguments: [arg(['-o', '--out-file'])] })
class OwnsO {
  @Expose({ arguments: [arg(['-f'])] })
  show(): void {}
}

@Controller({ label: 'export' })
class OwnsOutput {
  @Expose({ arguments: [arg(['--output'], { help: 'a file' })] })
  save(): void {}
}

/** The flags of each global option, as the parser, help and completion get them. */
function flags(controllers: (abstract new (...args: never[]) => unknown)[], output?: string): string[][] {
  const app = new App('t', { controllers: controllers as never, output, argv: [], configFiles: [], embedded: true });
  return globalArguments(app).map((spec) => [...spec.flags]);
}

describe('the global options the command line takes', () => {
  it("are the app's own, with --output and -o when the app gives AppOptions.output", () => {
    expect(flags([Plain])).to.deep.equal([['-h', '--help'], ['--debug'], ['--quiet']]);
    expect(flags([Plain], 'text')).to.deep.equal([['-h', '--help'], ['--debug'], ['--quiet'], ['-o', '--output']]);
  });

  it('leave -o to a controller option of any level or command that uses it, for parsing, help and completion alike', () => {
    expect(flags([Plain, OwnsO], 'text')).to.deep.equal([['-h', '--help'], ['--debug'], ['--quiet'], ['--output']]);
  });

  it('refuse an app whose own option is --output, naming the controller', () => {
    expect(() => flags([Plain, OwnsOutput], 'text')).to.throw(FrameworkError, "OwnsOutput declares '--output'");
    expect(flags([Plain, OwnsOutput])).to.have.length(3);
  });
});
