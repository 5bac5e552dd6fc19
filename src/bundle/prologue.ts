/*
 * The single-file build (dist/mortar-bundle.js, made by `tsc -p
 * tsconfig.bundle.json`, and run by the package's entry dist/mortar.js, from
 * V8's code cache when it can: see src/bundle/mortar.js) puts every module of
 * the library in one file as an AMD `define()`, between this prologue and the
 * epilogue. Node spends about half a millisecond on
 * each file it loads (resolving, reading, wrapping), so one file instead of
 * twenty saves a command-line program that much on every start.
 *
 * Modules still run only when first required, in the same order as in the
 * per-file build. Each one is entered in Node's module cache under its
 * per-file path (dist/core/app.js ...), and a module already loaded from
 * there is reused, so both builds share one instance of every module.
 */
/* exported define, loadBundled -- called by the modules and the epilogue that follow in the same file */
type BundledFactory = (...dependencies: unknown[]) => void;

const bundledDefinitions = new Map<string, { dependencies: string[]; factory: BundledFactory }>();
const bundledExports = new Map<string, object>();

function define(id: string, dependencies: string[], factory: BundledFactory): void {
  bundledDefinitions.set(id, { dependencies, factory });
}

const bundledPath = require('node:path') as typeof import('node:path');
// Node's Module class, as the constructor of this file's own module: requiring 'node:module' would
// load Node's ES module loader with it, which a CommonJS start never needs.
const BundledModule = module.constructor as unknown as new (id: string, parent?: NodeModule) => NodeModule;

function loadBundled(id: string): unknown {
  const known = bundledExports.get(id);
  if (known) return known;
  const definition = bundledDefinitions.get(id);
  if (!definition) return require(id);
  const file = `${__dirname}/${id}.js`;
  const cached = require.cache[file];
  if (cached) {
    bundledExports.set(id, cached.exports);
    return cached.exports;
  }
  const exports = {};
  bundledExports.set(id, exports);
  const entry = new BundledModule(file, module);
  entry.filename = file;
  entry.paths = module.paths;
  entry.exports = exports;
  entry.loaded = true;
  require.cache[file] = entry;
  const localRequire = (request: string): unknown =>
    request.startsWith('.')
      ? loadBundled(bundledPath.posix.join(bundledPath.posix.dirname(id), request))
      : require(request);
  definition.factory(
    ...definition.dependencies.map((dependency) =>
      dependency === 'require' ? localRequire : dependency === 'exports' ? exports : loadBundled(dependency),
    ),
  );
  return exports;
}
