/*
 * The types of the ES module entry (dist/mortar.mjs): the public names of
 * src/index.ts, as named exports only (the entry has no default export).
 */
export * from './index.js';
