// The end of the single-file build's entry (see prologue.ts). Modules defined
// after this line are the ones required lazily; they are all defined by the
// time anything asks for them, because that happens only once this file has run.
module.exports = loadBundled('index');
