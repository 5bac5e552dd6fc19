'use strict';
// Compiles the README's first program (the first TypeScript block under "## A first program"),
// exactly as written there, into build/bench/readme/first.js; and the same program with
// `import 'reflect-metadata';` on top, as users who know tsyringe write it, into
// first-reflect.js. Rebuilt when the README, the library or this generator changes, so the
// benchmark always measures the program the README shows.
// Usage: node bench/readme/generate.js  (prints the compiled programs' paths)
const fs = require('node:fs');
const path = require('node:path');
const { compilePrograms, ROOT } = require('../lib/compile');

const OUT_DIR = path.join(ROOT, 'build', 'bench', 'readme');
const README = path.join(ROOT, 'README.md');

/** The first ```ts program block of the README's "A first program" section, or null. */
function firstProgram(readme) {
  const section = /^## A first program\n([^]*?)(?=^## )/m.exec(readme);
  const block = section && /^```ts program\n([^]*?)^```$/m.exec(section[1]);
  return block ? block[1] : null;
}

/** Resolves to { ok: true, files: { first, 'first-reflect' } } or { ok: false, reason }. */
function buildReadmePrograms() {
  const program = firstProgram(fs.readFileSync(README, 'utf8'));
  if (!program) return { ok: false, reason: 'missing (README.md has no ```ts block under "## A first program")' };
  return compilePrograms(OUT_DIR, { first: program, 'first-reflect': `import 'reflect-metadata';\n${program}` }, [
    README,
    __filename,
  ]);
}

module.exports = { buildReadmePrograms };

if (require.main === module) {
  const result = buildReadmePrograms();
  if (!result.ok) {
    process.stderr.write(`${result.reason}\n`);
    process.exitCode = 1;
  } else {
    for (const file of Object.values(result.files)) process.stdout.write(`${file}\n`);
  }
}
