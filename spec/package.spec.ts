/**
 * The package as a user gets it: `npm pack`, then the tarball installed into
 * a new project on a PATH with no compiler or make (the optional native
 * addons left out), and used from CommonJS, from an ES module and from
 * TypeScript compiled with `--strict`.
 */
import { expect } from 'chai';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ChildProcesses, type ChildResult } from './helpers/process';
import { PUBLIC_NAMES } from './helpers/public-names';
import { npmEnv, pathWithoutToolchain } from './helpers/toolchain';

const ROOT = resolve(__dirname, '../..');
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');
const TYPES_NODE_VERSION = (
  JSON.parse(readFileSync(join(ROOT, 'node_modules/@types/node/package.json'), 'utf8')) as { version: string }
).version;

/** A TypeScript program using the package the way the README does, compiled as CommonJS. */
const COMMONJS_PROGRAM = `
import { App, Controller, DaemonService, Expose, TOKENS, arg, defaults, type ArgumentOptions } from 'mortar';
import { inject } from 'tsyringe';

const config = defaults('consumer', 'daemon');
const name: ArgumentOptions = { default: 'world', help: 'who to greet' };

@Controller({ label: 'base', description: 'A program that installed mortar from its tarball.' })
class Base {
  constructor(
    private readonly app: App,
    @inject(TOKENS.log) private readonly log: App['log'],
  ) {}

  @Expose({ help: 'greet', arguments: [arg(['-n', '--name'], name)] })
  hello(args: { name: string }): number {
    this.log.debug('greeting');
    this.app.stdout.write(\`hello \${args.name} from \${this.app.label}; DaemonService is a \${typeof DaemonService}\\n\`);
    return 0;
  }
}

void new App('consumer', { extensions: ['daemon'], controllers: [Base], configDefaults: config, configFiles: [] }).main();
`;

/** The same from an ES module. */
const ESM_PROGRAM = `
import * as mortar from 'mortar';
import { App, Controller, Expose } from 'mortar';

@Controller({ label: 'base' })
class Base {
  constructor(private readonly app: App) {}

  @Expose()
  names(): void {
    this.app.stdout.write(JSON.stringify(Object.keys(mortar).sort()) + '\\n');
  }
}

await new App('consumer', { controllers: [Base], configFiles: [] }).main();
`;

/** A test of the program through mortar/testing, compiled as CommonJS. */
const HARNESS_PROGRAM = `
import { App, Controller, Expose } from 'mortar';
import { runApp, withConfig, type RunResult } from 'mortar/testing';

@Controller({ label: 'base' })
class Base {
  constructor(private readonly app: App) {}

  @Expose()
  show(): object {
    return { greeting: this.app.config.get('base', 'greeting') };
  }
}

void runApp('consumer', { controllers: [Base], output: 'text', ...withConfig('[base]\\ngreeting = hi\\n') }, ['show', '-o', 'json']).then(
  (result: RunResult) => console.log(JSON.stringify({ code: result.code, stdout: result.stdout, isApp: result.app instanceof App, exitCode: process.exitCode ?? null })),
);
`;

describe('the packed package, installed into a new project without a compiler', function () {
  this.timeout(240_000);
  const children = new ChildProcesses();
  let dir: string;
  let project: string;
  let tarball: string;
  let packed: string[];
  let path: string;

  async function run(command: string, args: string[], cwd: string, timeoutMs = 180_000): Promise<ChildResult> {
    const child = children.startCommand(command, args, { cwd, env: npmEnv({ PATH: path }) });
    return child.waitForExit(timeoutMs);
  }

  function expectSuccess(result: ChildResult, what: string): void {
    expect(result.code, `${what}\n--- stdout ---\n${result.stdout}--- stderr ---\n${result.stderr}`).to.equal(0);
  }

  before(async function () {
    dir = mkdtempSync(join(tmpdir(), 'mortar-package-'));
    path = pathWithoutToolchain(join(dir, 'bin'));
    // The build is the one `npm test` just made: --ignore-scripts keeps prepare from rebuilding it under other specs.
    const pack = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], ROOT);
    expectSuccess(pack, 'npm pack');
    const [report] = JSON.parse(pack.stdout) as [{ filename: string; files: { path: string }[] }];
    tarball = join(dir, report.filename);
    packed = report.files.map((file) => file.path).sort();
    project = join(dir, 'project');
    mkdirSync(project);
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }, null, 2),
    );
    const install = await run(
      'npm',
      [
        'install',
        '--omit=optional',
        '--prefer-offline',
        '--no-package-lock',
        tarball,
        `@types/node@${TYPES_NODE_VERSION}`,
      ],
      project,
    );
    expectSuccess(install, 'npm install of the tarball');
  });

  after(async () => {
    await children.endAll();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('runs where no compiler or make is on PATH', async () => {
    for (const tool of ['make', 'cc', 'gcc', 'g++']) {
      const found = await run('/bin/sh', ['-c', `command -v ${tool}`], project);
      expect(found.stdout, `${tool} on the PATH the install ran with`).to.equal('');
    }
  });

  it('ships the single-file build, the ES module entry, mortar/testing, typings and docs, and nothing a program cannot reach', () => {
    const code = packed.filter((file) => !file.endsWith('.d.ts'));
    expect(code).to.deep.equal([
      'CHANGELOG.md',
      'LICENSE',
      'README.md',
      'dist/mortar-bundle.js',
      'dist/mortar.d.mts',
      'dist/mortar.js',
      'dist/mortar.mjs',
      'dist/testing.js',
      'package.json',
    ]);
    expect(packed).to.include.members([
      'dist/index.d.ts',
      'dist/core/app.d.ts',
      'dist/ext/daemon/daemon-service.d.ts',
      'dist/testing.d.ts',
    ]);
    expect(readFileSync(join(project, 'node_modules/mortar/LICENSE'), 'utf8')).to.match(/^MIT License/);
  });

  it('installs without the optional native addons', () => {
    expect(existsSync(join(project, 'node_modules/mortar/dist/mortar.js'))).to.equal(true);
    expect(existsSync(join(project, 'node_modules/posix')), 'posix').to.equal(false);
    expect(existsSync(join(project, 'node_modules/unix-dgram')), 'unix-dgram').to.equal(false);
  });

  it('gives require() the public names, and loads the daemon on first use', async () => {
    const script =
      `const m = require('mortar'); const before = Object.keys(require.cache).some((f) => f.includes('daemon'));` +
      `console.log(JSON.stringify({ names: Object.keys(m).sort(), before, service: typeof m.DaemonService }));`;
    const result = await run(process.execPath, ['-e', script], project);
    expectSuccess(result, 'require');
    expect(JSON.parse(result.stdout)).to.deep.equal({
      names: [...PUBLIC_NAMES].sort(),
      before: false,
      service: 'function',
    });
  });

  it('gives import the public names and nothing else', async () => {
    const file = join(project, 'names.mjs');
    writeFileSync(
      file,
      `import * as m from 'mortar';\nimport { App, Daemonize } from 'mortar';\nconsole.log(JSON.stringify({ names: Object.keys(m), app: typeof App, daemonize: typeof Daemonize }));\n`,
    );
    const result = await run(process.execPath, [file], project);
    expectSuccess(result, 'import');
    expect(JSON.parse(result.stdout)).to.deep.equal({
      names: [...PUBLIC_NAMES].sort(),
      app: 'function',
      daemonize: 'function',
    });
  });

  describe('compiled by tsc --strict', () => {
    before(async () => {
      writeFileSync(join(project, 'main.ts'), COMMONJS_PROGRAM);
      writeFileSync(join(project, 'esm.mts'), ESM_PROGRAM);
      writeFileSync(join(project, 'harness.ts'), HARNESS_PROGRAM);
      // Compiled with the rest and never run: if the typings allowed the import, the directive would be an error itself.
      writeFileSync(
        join(project, 'no-default.mts'),
        `// @ts-expect-error: the ES module entry has named exports only\nimport mortar from 'mortar';\nexport const entry: unknown = mortar;\n`,
      );
      const options = {
        strict: true,
        target: 'ES2022',
        module: 'node16',
        moduleResolution: 'node16',
        experimentalDecorators: true,
        emitDecoratorMetadata: true,
        skipLibCheck: false,
        types: ['node'],
        outDir: 'out',
      };
      writeFileSync(
        join(project, 'tsconfig.json'),
        JSON.stringify(
          { compilerOptions: options, files: ['main.ts', 'esm.mts', 'no-default.mts', 'harness.ts'] },
          null,
          2,
        ),
      );
    });

    it('type-checks the typings and a CommonJS and an ES module program, and refuses a default import, which the ES module entry does not have', async () => {
      const result = await run(process.execPath, [TSC, '-p', 'tsconfig.json'], project);
      expectSuccess(result, 'tsc --strict');
    });

    it('runs the compiled CommonJS program, its decorators and injection working', async () => {
      const result = await run(process.execPath, ['out/main.js', 'hello', '--name', 'Ada'], project);
      expectSuccess(result, 'the compiled program');
      expect(result.stdout).to.equal('hello Ada from consumer; DaemonService is a function\n');
    });

    it('runs a compiled test through mortar/testing, with the same App and process.exitCode untouched', async () => {
      const result = await run(process.execPath, ['out/harness.js'], project);
      expectSuccess(result, 'the compiled test');
      expect(JSON.parse(result.stdout)).to.deep.equal({
        code: 0,
        stdout: '{\n  "greeting": "hi"\n}\n',
        isApp: true,
        exitCode: null,
      });
    });

    it('runs the compiled ES module program', async () => {
      const result = await run(process.execPath, ['out/esm.mjs', 'names'], project);
      expectSuccess(result, 'the compiled ES module');
      expect(JSON.parse(result.stdout)).to.deep.equal([...PUBLIC_NAMES].sort());
    });
  });
});
