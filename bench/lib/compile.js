'use strict';
// Compiles generated TypeScript programs under build/bench/ with the project's tsc and compiler
// options (decorator metadata on), as a user's program would be. Output sits under the root
// package, so `import ... from 'mortar'` resolves to the built library as it does for samples.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');

function isUpToDate(outputs, inputs) {
  try {
    const oldestOutput = Math.min(...outputs.map((file) => fs.statSync(file).mtimeMs));
    return inputs.every((file) => fs.statSync(file).mtimeMs <= oldestOutput);
  } catch {
    return false;
  }
}

/**
 * Writes `sources` (name → TypeScript text) to `outDir` as NAME.ts and compiles them to NAME.js,
 * unless the outputs are newer than the library and `inputs`. Resolves to
 * { ok: true, files: { name: absolutePathOfJs } } or { ok: false, reason }.
 */
function compilePrograms(outDir, sources, inputs) {
  const libraryTypes = path.join(ROOT, 'dist', 'index.d.ts');
  if (!fs.existsSync(libraryTypes)) return { ok: false, reason: 'missing (dist/index.d.ts: run the root build)' };
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  if (!fs.existsSync(tsc)) return { ok: false, reason: 'missing (node_modules/typescript: run npm ci at the root)' };

  const files = {};
  for (const name of Object.keys(sources)) files[name] = path.join(outDir, `${name}.js`);
  if (isUpToDate(Object.values(files), [libraryTypes, path.join(ROOT, 'dist', 'index.js'), __filename, ...inputs])) {
    return { ok: true, files };
  }
  fs.mkdirSync(outDir, { recursive: true });
  for (const [name, text] of Object.entries(sources)) {
    fs.writeFileSync(path.join(outDir, `${name}.ts`), text);
    fs.rmSync(files[name], { force: true });
  }
  // `files` rather than `include`: tsc excludes everything under outDir from `include`
  // (and an empty `include` keeps the library's own `include` from being inherited).
  const tsconfig = {
    extends: path.relative(outDir, path.join(ROOT, 'tsconfig.json')),
    compilerOptions: { rootDir: '.', outDir: '.', declaration: false, sourceMap: false },
    files: Object.keys(sources).map((name) => `${name}.ts`),
    include: [],
  };
  fs.writeFileSync(path.join(outDir, 'tsconfig.json'), `${JSON.stringify(tsconfig, null, 2)}\n`);
  const result = spawnSync(process.execPath, [tsc, '-p', path.join(outDir, 'tsconfig.json')], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    const firstError =
      `${result.stdout}${result.stderr}`.split('\n').find((line) => line.trim()) ?? `tsc exited ${result.status}`;
    return { ok: false, reason: `failed to compile (${path.relative(ROOT, outDir)}): ${firstError.trim()}` };
  }
  return { ok: true, files };
}

module.exports = { compilePrograms, ROOT };
