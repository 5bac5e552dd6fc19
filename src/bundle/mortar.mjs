/*
 * The ES module entry of mortar (package.json "exports", condition "import").
 *
 * Node gives an ES module the named exports of a CommonJS file by scanning
 * its source, and the single-file build's source also holds the exports of
 * every internal module, which would all appear, undefined, in the
 * namespace. This file names the public ones only: the same list as
 * src/index.ts (spec/index.spec.ts checks that they agree).
 *
 * It loads the same dist/mortar.js as require('mortar') does, so CommonJS and
 * ES module users share one instance of every module. ES module bindings
 * cannot be lazy, so importing this entry loads the daemon's parts at once.
 */
import { createRequire } from 'node:module';

const mortar = createRequire(import.meta.url)('./mortar.js');

export const {
  App,
  TOKENS,
  Config,
  defaults,
  FrameworkError,
  UsageError,
  HookManager,
  BUILTIN_HOOKS,
  Logger,
  SignalStop,
  Controller,
  Expose,
  arg,
  args,
  DaemonService,
  DaemonController,
  Daemonize,
  DaemonExtension,
  CompletionController,
} = mortar;
