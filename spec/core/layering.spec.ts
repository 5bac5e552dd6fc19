import { expect } from 'chai';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { ROOT } from '../helpers/dist';

const CORE = join(ROOT, 'src/core');

/**
 * Every module a TypeScript or JavaScript text names: imports (type-only too), re-exports, require(),
 * import() and lazy(require, ...).
 */
function specifiers(text: string): string[] {
  const pattern = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|\brequire\s*,\s*|^\s*import\s+)['"]([^'"]+)['"]/gm;
  return [...text.matchAll(pattern)].map((match) => match[1]);
}

/** The files under src/core that name a module of src/controller or src/ext, with what they name. */
function upwardImports(): string[] {
  const found: string[] = [];
  for (const name of readdirSync(CORE).filter((file) => file.endsWith('.ts'))) {
    const file = join(CORE, name);
    for (const specifier of specifiers(readFileSync(file, 'utf8'))) {
      if (!specifier.startsWith('.')) continue;
      const target = relative(join(ROOT, 'src'), resolve(dirname(file), specifier));
      if (/^(controller|ext)(\/|$)/.test(target)) found.push(`src/core/${name} → ${specifier}`);
    }
  }
  return found;
}

describe('the layers', () => {
  it('finds every way a file can name a module', () => {
    const text = [
      "import { a } from '../controller/a';",
      "import type { B } from '../ext/daemon/b';",
      "import './side-effect';",
      "export { c } from './c';",
      "const d = require('../controller/d') as typeof import('../controller/d');",
      "const e = await import('../ext/e');",
      "const f = lazy<typeof F>(require, '../ext/f');",
      'const g = (0, lazy_1.lazy)(require, "../controller/g");',
    ].join('\n');
    expect(specifiers(text)).to.deep.equal([
      '../controller/a',
      '../ext/daemon/b',
      './side-effect',
      './c',
      '../controller/d',
      '../controller/d',
      '../ext/e',
      '../ext/f',
      '../controller/g',
    ]);
  });

  it('src/core imports nothing from src/controller or src/ext, not even types', () => {
    expect(upwardImports()).to.deep.equal([]);
  });

  it('the single-file build gives no core module a dependency on the controller layer or an extension', () => {
    const bundle = readFileSync(join(ROOT, 'dist/mortar-bundle.js'), 'utf8');
    const modules = [...bundle.matchAll(/define\("(core\/[^"]+)", \[([^\]]*)\]/g)];
    expect(modules.length).to.be.greaterThan(10);
    for (const [, id, dependencies] of modules) {
      expect(dependencies, id).not.to.match(/"(controller|ext)\//);
    }
    for (const [, id, body] of bundle.matchAll(/define\("(core\/[^"]+)",([^]*?)\n\}\);/g)) {
      expect(
        specifiers(body).filter((specifier) => /(^|\/)(controller|ext)\//.test(specifier)),
        id,
      ).to.deep.equal([]);
    }
  });
});
