import { expect } from 'chai';
import { App, Controller, Expose, arg, type AppOptions, type Extension, type OutputHandler } from 'mortar';
import { runApp, withConfig } from 'mortar/testing';

/** What the commands of one test did. */
let ran: string[] = [];

const SERVER = { name: 'web', port: 8080 };

@Controller({ label: 'base', description: 'Renders things.' })
class RenderController {
  constructor(private readonly app: App) {}

  @Expose({ help: 'show the server' })
  async show(): Promise<void> {
    ran.push('show');
    await this.app.render(SERVER);
  }

  @Expose({ help: 'render without writing' })
  async quiet(): Promise<void> {
    const text = await this.app.render(SERVER, { write: false, handler: 'json' });
    this.app.stdout.write(`got ${text.length} characters\n`);
  }

  @Expose({ help: 'return the server' })
  server(): object {
    ran.push('server');
    return SERVER;
  }

  @Expose({
    help: 'return a list, with a layout for text',
    template: (names: string[]) => names.map((name) => `- ${name}`).join('\n'),
  })
  names(): string[] {
    return ['a', 'b'];
  }

  @Expose()
  nothing(): undefined {
    return undefined;
  }

  @Expose()
  empty(): null {
    return null;
  }

  @Expose()
  code(): number {
    return 3;
  }
}

/** An extension adding a handler that prints `key=value` pairs. */
const PAIRS: OutputHandler = {
  name: 'pairs',
  render: (data) =>
    `${Object.entries(data as object)
      .map(([key, value]) => `${key}=${String(value)}`)
      .join(' ')}\n`,
};
const pairsExtension: Extension = { name: 'pairs', load: (app) => app.addOutputHandler(PAIRS) };

function run(argv: string[], options: AppOptions = {}) {
  return runApp('t', { controllers: [RenderController], ...options }, argv);
}

describe('rendering output', () => {
  beforeEach(() => {
    ran = [];
  });

  describe('app.render()', () => {
    it("writes the text handler's rendering to stdout by default", async () => {
      const { code, stdout, stderr } = await run(['show']);
      expect({ code, stdout, stderr }).to.deep.equal({ code: 0, stdout: 'name: web\nport: 8080\n', stderr: '' });
    });

    it('returns the text without writing it when asked, with the handler named in the call', async () => {
      const { stdout } = await run(['quiet']);
      expect(stdout).to.equal(`got ${JSON.stringify(SERVER, null, 2).length + 1} characters\n`);
    });

    it('uses AppOptions.output, which [<label>] output overrides, which --output / -o override', async () => {
      const json = `${JSON.stringify(SERVER, null, 2)}\n`;
      expect((await run(['show'], { output: 'json' })).stdout).to.equal(json);
      const configured = { output: 'json', ...withConfig('[t]\noutput = text\n') };
      expect((await run(['show'], configured)).stdout).to.equal('name: web\nport: 8080\n');
      expect((await run(['show', '--output', 'json'], configured)).stdout).to.equal(json);
      expect((await run(['-o', 'json', 'show'], configured)).stdout).to.equal(json);
      expect((await run(['show', '--output=json'], configured)).stdout).to.equal(json);
    });

    it('takes [<label>] output from config without the command-line option', async () => {
      const { code, stdout } = await run(['show'], withConfig('[t]\noutput = json\n'));
      expect(code).to.equal(0);
      expect(JSON.parse(stdout)).to.deep.equal(SERVER);
    });
  });

  describe('--output', () => {
    it("is listed in help with every registered handler, extensions' included, and the default", async () => {
      const { stdout } = await run(['--help'], { output: 'text', extensions: [pairsExtension] });
      expect(stdout).to.include('[-o FORMAT]');
      expect(stdout).to.match(
        /\n {2}-o FORMAT, --output FORMAT\n {24}output format: json, pairs or text \(default: text\)\n/,
      );
    });

    it('is not there unless the app gives AppOptions.output: a program that renders nothing declares no option for it', async () => {
      const { code, stderr } = await run(['show', '-o', 'json']);
      expect(code).to.equal(2);
      expect(stderr.split('\n')[0]).to.equal("t: error: unknown option '-o'");
      expect(ran).to.deep.equal([]);
      expect((await run(['--help'])).stdout).not.to.include('--output');
    });

    it('rejects an unknown name with exit 2, a suggestion and the usage line, before the command runs', async () => {
      const { code, stdout, stderr } = await run(['show', '--output', 'jsno'], { output: 'text' });
      expect(code).to.equal(2);
      expect(stdout).to.equal('');
      expect(stderr.split('\n')[0]).to.equal(
        "t: error: invalid value 'jsno' for option '--output' (choose from 'json', 'text'; did you mean 'json'?)",
      );
      expect(stderr.split('\n')[1]).to.match(/^usage: t show /);
      expect(ran).to.deep.equal([]);
    });

    it('chooses a handler an extension registered', async () => {
      const { code, stdout } = await run(['show', '-o', 'pairs'], { output: 'text', extensions: [pairsExtension] });
      expect(code).to.equal(0);
      expect(stdout).to.equal('name=web port=8080\n');
    });

    it('leaves -o to an app whose own options use it, keeping --output', async () => {
      @Controller({ label: 'base', arguments: [arg(['-o', '--out-file'], { help: 'where to write' })] })
      class OwnO {
        constructor(private readonly app: App) {}
        @Expose()
        show(args: { outFile?: string }): object {
          return { file: args.outFile };
        }
      }
      const result = await runApp('t', { controllers: [OwnO], output: 'text' }, [
        'show',
        '-o',
        'x.txt',
        '--output',
        'json',
      ]);
      expect(result.code, result.stderr).to.equal(0);
      expect(JSON.parse(result.stdout)).to.deep.equal({ file: 'x.txt' });
      const help = (await runApp('t', { controllers: [OwnO], output: 'text' }, ['--help'])).stdout;
      expect(help).to.include('  --output FORMAT ');
      expect(help).not.to.include('-o FORMAT');
    });

    it('refuses an app that declares --output itself and asks for the output option too', async () => {
      @Controller({ label: 'base', arguments: [arg(['--output'], { help: 'a file' })] })
      class OwnOutput {
        @Expose()
        show(): void {}
      }
      const { code, stderr } = await runApp('t', { controllers: [OwnOutput], output: 'text' }, ['show']);
      expect(code).to.equal(1);
      expect(stderr).to.equal(
        "t: error: OwnOutput declares '--output', which the app's output option uses: rename it, or leave out AppOptions.output.\n",
      );
    });
  });

  describe('a handler name that does not exist', () => {
    it('in [<label>] output fails with exit 1 before the command runs, naming the section, the file and the choices', async () => {
      const config = withConfig('[t]\noutput = yaml\n');
      const { code, stdout, stderr } = await run(['show'], config);
      expect({ code, stdout, stderr }).to.deep.equal({
        code: 1,
        stdout: '',
        stderr: `t: error: Invalid [t] output 'yaml' (${config.configFiles[0]}, line 2): use json or text.\n`,
      });
      expect(ran).to.deep.equal([]);
    });

    it('in AppOptions.output fails the same way', async () => {
      const { code, stderr } = await run(['server'], { output: 'yaml' });
      expect(code).to.equal(1);
      expect(stderr).to.equal("t: error: Invalid AppOptions.output 'yaml': use json or text.\n");
      expect(ran).to.deep.equal([]);
    });
  });

  describe('hooks', () => {
    it("pre_render may replace the data and post_render the text; each receives the previous one's result and the handler name", async () => {
      const seen: unknown[] = [];
      const { code, stdout } = await run(['show', '-o', 'json'], {
        output: 'text',
        hooks: [
          ['pre_render', (_app: App, data: object, handler: string) => void seen.push(['pre', data, handler])],
          ['pre_render', (_app: App, data: object) => ({ ...data, port: 443 }), 1],
          ['post_render', (_app: App, text: string) => text.toUpperCase()],
          ['post_render', (_app: App, text: string, handler: string) => void seen.push(['post', text, handler]), 1],
        ],
      });
      expect(code).to.equal(0);
      expect(stdout).to.equal('{\n  "NAME": "WEB",\n  "PORT": 443\n}\n');
      expect(seen).to.deep.equal([
        ['pre', SERVER, 'json'],
        ['post', '{\n  "NAME": "WEB",\n  "PORT": 443\n}\n', 'json'],
      ]);
    });

    it('a post_render hook that returns something other than text is an error, and nothing is written', async () => {
      const { code, stdout, stderr } = await run(['show'], { hooks: [['post_render', () => 42]] });
      expect(code).to.equal(1);
      expect(stdout).to.equal('');
      expect(stderr).to.equal(
        't: error: A post_render hook returned number: return the text (a string), or nothing to keep it.\n',
      );
    });
  });

  describe('what a command returns', () => {
    it('is rendered by the chosen handler when it is not a number', async () => {
      expect((await run(['server'])).stdout).to.equal('name: web\nport: 8080\n');
      expect(JSON.parse((await run(['server', '-o', 'json'], { output: 'text' })).stdout)).to.deep.equal(SERVER);
    });

    it("goes through the command's template with text, and is printed as data with json", async () => {
      expect((await run(['names'])).stdout).to.equal('- a\n- b\n');
      expect((await run(['names', '-o', 'json'], { output: 'text' })).stdout).to.equal('[\n  "a",\n  "b"\n]\n');
    });

    it('prints nothing when it is undefined, null as null in json, and a number is still the exit code', async () => {
      expect(await run(['nothing'], { output: 'json' })).to.deep.include({ code: 0, stdout: '' });
      expect(await run(['empty'], { output: 'json' })).to.deep.include({ code: 0, stdout: 'null\n' });
      expect(await run(['empty'])).to.deep.include({ code: 0, stdout: '' });
      expect(await run(['code'], { output: 'json' })).to.deep.include({ code: 3, stdout: '' });
    });
  });

  describe('output handlers', () => {
    it('refuse a second handler of the same name, a bad name, and an object that cannot render', async () => {
      const cases: [unknown, string][] = [
        [{ name: 'json', render: () => '' }, "An output handler named 'json' is already registered."],
        [
          { name: 'no good', render: () => '' },
          "Invalid output handler name 'no good': use letters, digits, '_' and '-', starting with a letter.",
        ],
        [{ name: 'x' }, 'An output handler must be an object with a name and a render(data, context) function.'],
      ];
      for (const [handler, message] of cases) {
        const extension: Extension = { name: 'bad', load: (app) => app.addOutputHandler(handler as OutputHandler) };
        const { code, stderr } = await run(['show'], { extensions: [extension] });
        expect(code).to.equal(1);
        expect(stderr).to.equal(`t: error: ${message}\n`);
      }
    });

    it('an unknown handler named in a call is an error naming the choices', async () => {
      @Controller({ label: 'base' })
      class Asks {
        constructor(private readonly app: App) {}
        @Expose()
        async show(): Promise<void> {
          await this.app.render({}, { handler: 'xml' });
        }
      }
      const { code, stderr } = await runApp('t', { controllers: [Asks] }, ['show']);
      expect(code).to.equal(1);
      expect(stderr).to.equal("t: error: Unknown output handler 'xml': use json or text.\n");
    });
  });
});
