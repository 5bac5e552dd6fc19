import { expect } from 'chai';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import type * as ChrootModule from '../../../dist/ext/systemd/chroot';
import { ROOT, requireDist } from '../../helpers/dist';

const { LOADED_BEFORE_CHROOT, NEVER_AFTER_CHROOT } = requireDist<typeof ChrootModule>('ext/systemd/chroot');

const SRC = join(ROOT, 'src');

/** Every `.ts` file under `dir`. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sources(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

/**
 * mortar's own modules that some file loads lazily (`require('./x')` or
 * `lazy(require, './x')` in the code, not an import), as paths under src/
 * (`core/renderer`); the entry
 * points and the bundle's loader left out.
 */
function lazilyLoaded(): Set<string> {
  const found = new Set<string>();
  for (const file of sources(SRC)) {
    const name = relative(SRC, file);
    if (name.startsWith('bundle/') || name === 'index.ts' || name === 'testing.ts') continue;
    const code = readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => !/^\s*(\/\/|\*|\/\*)/.test(line))
      .join('\n');
    // An inline require('./x'), or lazy(require, './x') (core/lazy.ts).
    for (const match of code.matchAll(/\b(?:require\(\s*|lazy(?:<[^>]*>)?\(\s*require,\s*)'(\.{1,2}\/[^']+)'\s*\)/g))
      found.add(relative(SRC, resolve(dirname(file), match[1])));
  }
  return found;
}

describe('[daemon] chroot: what mortar loads before the change of root', () => {
  const preloaded = new Set(LOADED_BEFORE_CHROOT.map((id) => relative(SRC, resolve(SRC, 'ext/systemd', id))));

  it('loads every module mortar loads lazily, or names why a chrooted daemon never needs it', () => {
    const missing = [...lazilyLoaded()].filter((id) => !preloaded.has(id) && NEVER_AFTER_CHROOT[id] === undefined);
    expect(missing, 'lazily loaded, and neither loaded before the change nor explained').to.deep.equal([]);
  });

  it('names only modules that exist, each in one list', () => {
    for (const id of [...preloaded, ...Object.keys(NEVER_AFTER_CHROOT)])
      expect(() => require.resolve(join(ROOT, 'dist', id)), id).to.not.throw();
    expect([...preloaded].filter((id) => NEVER_AFTER_CHROOT[id] !== undefined)).to.deep.equal([]);
  });
});
