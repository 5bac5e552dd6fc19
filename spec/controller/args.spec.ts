/**
 * Typed handlers: `args(...)` keeps what each `arg()` declares, and `ArgsOf<>`
 * turns it into the handler's parameter type. Most of this spec is checked by
 * the compiler when `npm test` builds it: an `Equal<>` that does not hold, or a
 * `@ts-expect-error` line that compiles cleanly, fails the build. The rest runs
 * the typed command to show the types describe what the handler really gets.
 */
import { expect } from 'chai';
import { App, Controller, Expose, FrameworkError, arg, args, type ArgsOf, type ArgumentSpec } from 'mortar';
import { TextSink } from '../helpers/streams';

/** `true` only when A and B are the same type (not merely assignable either way). */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(): T | void {}

const globalArgs = args(arg(['-v', '--verbose'], { action: 'count' }));

const addArgs = args(
  arg('title', { nargs: '+', help: 'what to do' }),
  arg(['-p', '--priority'], { type: 'integer', choices: [1, 2, 3], default: 2 }),
  arg(['-t', '--tag'], { action: 'append' }),
  arg(['--due-date']),
  arg(['--ratio'], { type: 'number', required: true }),
  arg(['-n', '--dry-run'], { action: 'store_true' }),
  arg(['--no-cache'], { action: 'store_false', dest: 'cache' }),
  arg(['--level'], { nargs: '?', const: 'full', choices: ['full', 'fast'] }),
  arg(['--pair'], { nargs: 2, type: 'integer' }),
  arg(['--size'], { choices: [1, 2] }),
  arg('note', { nargs: '?' }),
  arg(['-C']),
  arg(['--port'], { type: 'integer', default: '8080' }),
);

type AddArgs = ArgsOf<typeof globalArgs> & ArgsOf<typeof addArgs>;

assertType<
  Equal<
    ArgsOf<typeof addArgs>,
    {
      title: string[];
      priority: 1 | 2 | 3;
      tag: string[];
      dueDate: string | undefined;
      ratio: number;
      dryRun: boolean;
      cache: boolean;
      level: 'full' | 'fast' | undefined;
      pair: number[] | undefined;
      size: '1' | '2' | undefined;
      note: string | undefined;
      C: string | undefined;
      port: number;
    }
  >
>();
assertType<Equal<ArgsOf<typeof globalArgs>, { verbose: number }>>();

// A typed spec is still an argument list that @Expose and @Controller take.
const asList: readonly ArgumentSpec[] = addArgs;

function handler(a: AddArgs): string {
  // @ts-expect-error: the option is --due-date, so the property is dueDate
  void a.due_date;
  // @ts-expect-error: priority is a number, not text
  const priority: string = a.priority;
  // @ts-expect-error: title takes several words (nargs '+'): an array
  const title: string = a.title;
  // @ts-expect-error: dueDate may be missing
  const due: string = a.dueDate;
  void [priority, title, due];
  return `${a.title.join(' ')} p${a.priority} v${a.verbose}`;
}

// Renaming an option in the declaration breaks the handlers that used the old name.
const renamed = args(arg(['--when']));
void renamed;
// @ts-expect-error: --due-date became --when
((a: ArgsOf<typeof renamed>) => a.dueDate)({ when: undefined });

// An unknown or misspelt option key is a type error (and a FrameworkError at run time).
// @ts-expect-error: 'nargz' is no option of arg()
const misspelt = (): unknown => arg(['--x'], { nargz: '+' });
// @ts-expect-error: type takes 'string', 'number' or 'integer'
const badType = (): unknown => arg(['--x'], { type: 'float' });

// The untyped form keeps compiling: a plain list and a hand-written parameter type.
@Controller({ label: 'base', arguments: globalArgs })
class TasksController {
  constructor(private readonly app: App) {}

  @Expose({ arguments: addArgs })
  add(a: AddArgs): void {
    this.app.stdout.write(`${handler(a)}\n`);
  }

  @Expose({ arguments: [arg('id', { type: 'integer' })] })
  done(a: { id: number; verbose: number }): void {
    this.app.stdout.write(`done ${a.id + a.verbose}\n`);
  }
}

describe('typed handlers: args() and ArgsOf', () => {
  async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const stdout = new TextSink();
    const stderr = new TextSink();
    const app = new App('typed', {
      controllers: [TasksController],
      argv,
      stdout,
      stderr,
      configFiles: [],
      handleSignals: false,
    });
    const saved = process.exitCode;
    const code = await app.main();
    process.exitCode = saved;
    return { code, stdout: stdout.text, stderr: stderr.text };
  }

  it('gives the handler the values its type describes', async () => {
    expect(await run(['add', 'buy', 'milk', '-p', '1', '--ratio', '0.5', '-vv'])).to.deep.equal({
      code: 0,
      stdout: 'buy milk p1 v2\n',
      stderr: '',
    });
    expect((await run(['done', '4', '-v'])).stdout).to.equal('done 5\n');
  });

  it('returns the specs as given, frozen, and refuses a flag declared twice', () => {
    expect(asList).to.have.length(13);
    expect(Object.isFrozen(addArgs)).to.equal(true);
    expect(() => args(arg(['-x', '--ex']), arg(['-x']))).to.throw(
      FrameworkError,
      "args(): flag '-x' is declared twice (by 'ex' and 'x')",
    );
    expect(misspelt).to.throw(FrameworkError, "unknown option 'nargz'");
    expect(badType).to.throw(FrameworkError, "unknown type 'float'");
  });
});
