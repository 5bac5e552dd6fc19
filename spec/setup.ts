/**
 * Loaded by mocha before every spec file (see .mocharc.json).
 * Decorator metadata needs the Reflect polyfill before any decorated class is defined.
 */
import 'reflect-metadata';
