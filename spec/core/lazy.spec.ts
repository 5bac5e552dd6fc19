import { expect } from 'chai';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import * as ts from 'typescript';
import type * as LazyModule from '../../dist/core/lazy';
import { ROOT, requireDist } from '../helpers/dist';

const { lazy } = requireDist<typeof LazyModule>('core/lazy');

/** Every .ts file under src/, relative to the repository root. */
function sources(dir = join(ROOT, 'src')): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sources(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [relative(ROOT, join(dir, entry.name))]
        : [],
  );
}

/** The calls of `require(...)` in a TypeScript source, as `file:line`: code only, not text that mentions one. */
function requireCalls(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(join(ROOT, file), 'utf8'), ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'require') {
      found.push(`${file}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** What each `lazy<T>(require, 'id')` of a source names: the module of its type (when it names one) and its id. */
function lazyLoads(text: string): { type: string; typeModule?: string; id: string }[] {
  const aliases = new Map(
    [...text.matchAll(/^import type \* as (\w+) from '([^']+)';$/gm)].map(([, alias, path]) => [alias, path]),
  );
  return [...text.matchAll(/\blazy<([^>]+)>\(\s*([^,]+),\s*'([^']+)'\s*\)/g)].map(([, type, load, id]) => {
    expect(load, `lazy<${type}>: the loader`).to.equal('require');
    const named =
      /^(?:typeof )?import\('([^']+)'\)/.exec(type)?.[1] ?? aliases.get(/^typeof (\w+)$/.exec(type)?.[1] ?? '');
    return { type, typeModule: named, id };
  });
}

describe('lazy()', () => {
  it('loads the module on the first call only, with the id given', () => {
    const ids: string[] = [];
    const exports = { value: 42 };
    const module = lazy<typeof exports>((id) => {
      ids.push(id);
      return exports;
    }, './some-module');
    expect(ids).to.deep.equal([]);
    expect(module()).to.equal(exports);
    expect(module()).to.equal(exports);
    expect(ids).to.deep.equal(['./some-module']);
  });

  it('tries again after a load that threw, as require does (an optional addon installed meanwhile)', () => {
    let attempts = 0;
    const addon = lazy<string>(() => {
      attempts++;
      if (attempts === 1) throw new Error("Cannot find module 'posix'");
      return 'loaded';
    }, 'posix');
    expect(() => addon()).to.throw("Cannot find module 'posix'");
    expect(addon()).to.equal('loaded');
    expect(attempts).to.equal(2);
  });

  it('remembers a module whose exports are undefined or null instead of loading it again', () => {
    let attempts = 0;
    const module = lazy<null>(() => {
      attempts++;
      return null;
    }, './empty');
    module();
    module();
    expect(attempts).to.equal(1);
  });

  it('is how src/ loads a module later: no inline require() outside the bundle and the testing entry', () => {
    const inline = sources()
      .filter((file) => !file.startsWith('src/bundle/') && file !== 'src/testing.ts')
      .flatMap(requireCalls);
    expect(inline).to.deep.equal([]);
    expect(requireCalls('src/testing.ts'), 'the testing entry loads the package entry').to.have.length(1);
  });

  it('names in its type the very module its id loads, in every source that uses it', () => {
    const checked: string[] = [];
    for (const file of sources()) {
      for (const load of lazyLoads(readFileSync(join(ROOT, file), 'utf8'))) {
        // An optional addon has no types of its own: the caller describes what it uses with an interface.
        if (load.typeModule === undefined && /^\w+$/.test(load.type) && !load.id.startsWith('.')) continue;
        expect(load.typeModule, `${file}: lazy<${load.type}>(require, '${load.id}')`).to.equal(load.id);
        checked.push(load.id);
      }
    }
    expect(checked.length).to.be.greaterThan(20);
  });

  it('reads a lazy load with an aliased or inline type, and an addon described by an interface', () => {
    const text = [
      "import type * as help from './help';",
      "const a = lazy<typeof help>(require, './help');",
      "const b = lazy<typeof import('node:os')>(require, 'node:os');",
      "const c = lazy<import('node:cluster').Cluster>(require, 'node:cluster');",
      "const d = lazy<PosixLimits>(require, 'posix');",
    ].join('\n');
    expect(lazyLoads(text)).to.deep.equal([
      { type: 'typeof help', typeModule: './help', id: './help' },
      { type: "typeof import('node:os')", typeModule: 'node:os', id: 'node:os' },
      { type: "import('node:cluster').Cluster", typeModule: 'node:cluster', id: 'node:cluster' },
      { type: 'PosixLimits', typeModule: undefined, id: 'posix' },
    ]);
  });
});
