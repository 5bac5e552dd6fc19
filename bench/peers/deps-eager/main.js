'use strict';
// Reference point, not a framework: mortar's three runtime dependencies (from the root
// node_modules) loaded up front, as a framework that loads everything eagerly would, then `hello`.
const { createRequire } = require('node:module');
const path = require('node:path');

const requireFromRoot = createRequire(path.join(__dirname, '..', '..', '..', 'package.json'));
requireFromRoot('reflect-metadata');
requireFromRoot('tsyringe');
requireFromRoot('posix');

if (process.argv[2] === 'hello') {
  process.stdout.write('Hello, world!\n');
} else {
  process.stdout.write('Usage: deps-eager <command>\n\nCommands:\n  hello  print a greeting\n');
}
