/**
 * Loaded by mocha before every spec file (see .mocharc.json).
 * Decorator metadata needs the Reflect polyfill before any decorated class is defined.
 */
import 'reflect-metadata';

// The test runner loads mortar too: it keeps no code cache in the real home directory.
// (The programs the specs start have a home of their own: see helpers/process.ts.)
process.env.NODE_DISABLE_COMPILE_CACHE = '1';
