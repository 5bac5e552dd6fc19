import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { cleanEnv } from './helpers/process';
import { PUBLIC_NAMES } from './helpers/public-names';

const ROOT = resolve(__dirname, '../..');

/** Runs a script in a fresh node from the repository root, so `mortar` resolves to this package. */
function node(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, args, { cwd: ROOT, env: cleanEnv(), encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('the public entry point', () => {
  it('loads no dependency, none of the daemon and no shell completion until a program uses them', () => {
    const { status, stdout } = node([
      '-e',
      `require('mortar'); console.log(Object.keys(require.cache).filter((f) => /node_modules|ext[/]daemon|completion/.test(f)).join(','))`,
    ]);
    expect(status).to.equal(0);
    expect(stdout.trim()).to.equal('');
  });

  it('runs one bundle, sharing every module instance with the per-file build whichever is loaded first', () => {
    const { status, stdout, stderr } = node([
      '-e',
      `const before = require('./dist/core/config.js');
       const m = require('mortar');
       const after = require('./dist/core/errors.js');
       const parser = require('./dist/controller/parser.js');
       console.log(require.resolve('mortar').endsWith('dist/mortar.js'), m.Config === before.Config, m.FrameworkError === after.FrameworkError,
         Object.keys(require.cache).filter((f) => f.endsWith('parser.js')).length, typeof parser.parseCommandLine);`,
    ]);
    expect(status, stderr).to.equal(0);
    expect(stdout).to.equal('true true true 1 function\n');
  });

  it('is ASCII throughout, so that Node reads and compiles it as one-byte text', () => {
    // One character outside ASCII makes V8 hold the whole source as two-byte text: slower to
    // read and to compile on every start. Messages spell such characters as \u escapes.
    const lines = readFileSync(join(ROOT, 'dist', 'mortar-bundle.js'), 'utf8').split('\n');
    const offending = lines.flatMap((line, i) =>
      /[^\p{ASCII}]/u.test(line) ? [`line ${i + 1}: ${line.trim().slice(0, 100)}`] : [],
    );
    expect(offending, 'dist/mortar-bundle.js').to.deep.equal([]);
  });

  it('never loads mortar/testing itself, which shares every module instance with mortar whichever is loaded first', () => {
    const { status, stdout, stderr } = node([
      '-e',
      `require('mortar'); console.log(Object.keys(require.cache).some((f) => f.endsWith('testing.js')));`,
    ]);
    expect(status, stderr).to.equal(0);
    expect(stdout).to.equal('false\n');
    for (const order of [
      ['mortar', 'mortar/testing'],
      ['mortar/testing', 'mortar'],
    ]) {
      const result = node([
        '-e',
        `require('${order[0]}'); require('${order[1]}');
         const m = require('mortar'); const t = require('mortar/testing');
         class Base { hello() { return 7; } }
         m.Expose()(Base.prototype, 'hello'); m.Controller({ label: 'base' })(Base);
         t.runApp('x', { controllers: [Base] }, ['hello']).then((r) => console.log(r.app instanceof m.App, r.code,
           require.resolve('mortar').endsWith('dist/mortar.js'), require.resolve('mortar/testing').endsWith('dist/testing.js'),
           Object.keys(require.cache).filter((f) => f.endsWith('/app.js')).length));`,
      ]);
      expect(result.status, result.stderr).to.equal(0);
      expect(result.stdout, order.join(' then ')).to.equal('true 7 true true 1\n');
    }
  });

  it('loads the daemon on first use of one of its exports', () => {
    const { status, stdout } = node([
      '-e',
      `const m = require('mortar'); console.log(typeof m.DaemonService, typeof m.Daemonize, m.DaemonExtension.name, typeof m.DaemonController);`,
    ]);
    expect(status).to.equal(0);
    expect(stdout).to.equal('function function daemon function\n');
  });

  it('gives ESM programs every named export, the lazy ones included', () => {
    // Inside the package, so that 'mortar' resolves to it as it would from a user's node_modules.
    const dir = mkdtempSync(join(ROOT, 'build', 'esm-'));
    try {
      const file = join(dir, 'check.mjs');
      writeFileSync(
        file,
        `import { App, Controller, Expose, arg, args, defaults, CompletionController, DaemonService, DaemonController, Daemonize, DaemonExtension, FrameworkError } from 'mortar';\n` +
          `console.log([App, Controller, Expose, arg, args, defaults, CompletionController, DaemonService, DaemonController, Daemonize, FrameworkError].map((x) => typeof x).join(' '), DaemonExtension.name);\n`,
      );
      const { status, stdout, stderr } = node([file]);
      expect(status, stderr).to.equal(0);
      expect(stdout).to.equal(`${Array(11).fill('function').join(' ')} daemon\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exports exactly the public names, to require() and to import alike, sharing one instance', () => {
    const dir = mkdtempSync(join(ROOT, 'build', 'esm-'));
    try {
      const file = join(dir, 'names.mjs');
      writeFileSync(
        file,
        `import * as esm from 'mortar';\n` +
          `import { createRequire } from 'node:module';\n` +
          `const cjs = createRequire(import.meta.url)('mortar');\n` +
          `const same = Object.keys(cjs).every((name) => esm[name] === cjs[name]);\n` +
          `console.log(JSON.stringify({ esm: Object.keys(esm).sort(), cjs: Object.keys(cjs).sort(), same }));\n`,
      );
      const { status, stdout, stderr } = node([file]);
      expect(status, stderr).to.equal(0);
      const names = JSON.parse(stdout) as { esm: string[]; cjs: string[]; same: boolean };
      const expected = [...PUBLIC_NAMES].sort();
      expect(names.cjs, 'require("mortar")').to.deep.equal(expected);
      expect(names.esm, 'import * from "mortar" (src/bundle/mortar.mjs lists them)').to.deep.equal(expected);
      expect(names.same, 'the same objects through both').to.equal(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives ESM tests mortar/testing, sharing the App class with mortar', () => {
    const dir = mkdtempSync(join(ROOT, 'build', 'esm-'));
    try {
      const file = join(dir, 'check.mjs');
      writeFileSync(
        file,
        `import { runApp, withConfig } from 'mortar/testing';\nimport { App } from 'mortar';\n` +
          `const result = await runApp('x', withConfig('[x]\\nkey = value\\n'), []);\n` +
          `console.log(typeof runApp, result.code, result.app instanceof App, result.app.config.get('x', 'key'));\n`,
      );
      const { status, stdout, stderr } = node([file]);
      expect(status, stderr).to.equal(0);
      expect(stdout).to.equal('function 0 true value\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('installs a Reflect metadata API compatible with reflect-metadata loaded afterwards', () => {
    const { status, stdout, stderr } = node([
      '-e',
      `require('mortar'); class A {}; Reflect.defineMetadata('design:paramtypes', [String], A); class B extends A {};
       require('reflect-metadata'); console.log(Reflect.getMetadata('design:paramtypes', B)[0] === String, typeof require('tsyringe').container.resolve);`,
    ]);
    expect(status, stderr).to.equal(0);
    expect(stdout).to.equal('true function\n');
  });

  it("keeps what tsc's decorator metadata writes for methods, before and after the class is first read", () => {
    const { status, stdout, stderr } = node([
      '-e',
      `require('mortar');
       const at = (k, v, t, p) => Reflect.metadata(k, v)(t, p);
       class A { run() {} stop() {} }
       at('design:type', Function, A.prototype, 'run'); at('design:returntype', undefined, A.prototype, 'run');
       at('design:type', Function, A.prototype, 'stop'); at('design:paramtypes', [String], A);
       const before = [Reflect.getOwnMetadataKeys(A.prototype, 'run').join('+'), Reflect.getMetadata('design:type', A.prototype, 'stop') === Function,
         Reflect.hasOwnMetadata('design:returntype', A.prototype, 'run'), Reflect.getOwnMetadata('design:type', A.prototype, 'x')];
       at('design:type', String, A.prototype, 'run');
       Reflect.deleteMetadata('design:type', A.prototype, 'stop');
       class B extends A {}
       require('reflect-metadata');
       console.log(JSON.stringify(before), Reflect.getMetadata('design:type', A.prototype, 'run') === String,
         Reflect.hasMetadata('design:type', A.prototype, 'stop'), Reflect.getMetadata('design:paramtypes', B)[0] === String);`,
    ]);
    expect(status, stderr).to.equal(0);
    expect(stdout).to.equal('["design:type+design:returntype",true,true,null] true false true\n');
  });
});
