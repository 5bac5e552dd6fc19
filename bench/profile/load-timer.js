'use strict';
// Preloaded with `node -r bench/profile/load-timer.js`: times every module Node loads from a file
// (compile and run; "self" leaves out the modules it loads in turn) and the time spent resolving
// module names. Writes <dir>/modules-<pid>.txt at exit, and also once the process has run for
// REPORT_AFTER_MS, for processes that do not exit normally (a daemon ended by a signal).
// The directory comes from MORTAR_BENCH_LOAD_REPORT_DIR (default: the working directory).
const fs = require('node:fs');
const Module = require('node:module');
const path = require('node:path');
const { performance } = require('node:perf_hooks');

const REPORT_AFTER_MS = 1_500;
const reportDir = process.env.MORTAR_BENCH_LOAD_REPORT_DIR || process.cwd();
const preloadedAt = performance.now();
const records = [];
const stack = [];
let resolveMs = 0;
let resolveCalls = 0;
let resolveDepth = 0;
const resolutions = [];

const originalLoad = Module.prototype.load;
Module.prototype.load = function timedLoad(filename) {
  const record = { filename, inclusive: 0, nested: 0, resolving: 0 };
  const start = performance.now();
  stack.push(record);
  try {
    return originalLoad.call(this, filename);
  } finally {
    stack.pop();
    record.inclusive = performance.now() - start;
    if (stack.length > 0) stack[stack.length - 1].nested += record.inclusive;
    records.push(record);
  }
};

const originalResolve = Module._resolveFilename;
Module._resolveFilename = function timedResolve(request, parent, ...rest) {
  const start = performance.now();
  resolveDepth++;
  try {
    return originalResolve.call(this, request, parent, ...rest);
  } finally {
    resolveDepth--;
    if (resolveDepth === 0) {
      const elapsed = performance.now() - start;
      resolveMs += elapsed;
      resolveCalls++;
      if (stack.length > 0) stack[stack.length - 1].resolving += elapsed;
      resolutions.push({ request, from: parent?.filename ?? '', elapsed });
    }
  }
};

/** "tsyringe", "@nestjs/core", or for files outside node_modules their first two folders ("dist/core"). */
function ownerOf(filename) {
  const marker = `${path.sep}node_modules${path.sep}`;
  const at = filename.lastIndexOf(marker);
  if (at >= 0) {
    const parts = filename.slice(at + marker.length).split(path.sep);
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  const parts = path.relative(process.cwd(), filename).split(path.sep);
  return parts.length > 2 ? parts.slice(0, 2).join('/') : parts.slice(0, -1).join('/') || '.';
}

function report(when) {
  const self = (record) => record.inclusive - record.nested;
  const totalSelf = records.reduce((sum, record) => sum + self(record), 0);
  const owners = new Map();
  for (const record of records) {
    const owner = ownerOf(record.filename);
    const entry = owners.get(owner) ?? { self: 0, modules: 0 };
    entry.self += self(record);
    entry.modules += 1;
    owners.set(owner, entry);
  }
  const ms = (value) => value.toFixed(2).padStart(8);
  const lines = [
    `pid ${process.pid}: ${process.argv.slice(1).join(' ')}`,
    `report written ${when}, ${performance.now().toFixed(1)} ms after the process started`,
    `node bootstrap until this preload ran: ${preloadedAt.toFixed(1)} ms`,
    `modules loaded from files: ${records.length}, ${totalSelf.toFixed(1)} ms in all (compile + run),` +
      ` of which resolving names: ${resolveMs.toFixed(1)} ms over ${resolveCalls} calls`,
    '',
    'by package or folder (self ms, modules)',
    ...[...owners.entries()]
      .sort((a, b) => b[1].self - a[1].self)
      .map(([owner, entry]) => `${ms(entry.self)}  ${String(entry.modules).padStart(4)}  ${owner}`),
    '',
    'slowest modules: self ms (of which resolving the names it requires), with what it loads ms',
    ...[...records]
      .sort((a, b) => self(b) - self(a))
      .slice(0, 25)
      .map(
        (record) =>
          `${ms(self(record))} (${ms(record.resolving)})  ${ms(record.inclusive)}  ${path.relative(process.cwd(), record.filename)}`,
      ),
    '',
    'slowest name resolutions (ms, name, required from)',
    ...[...resolutions]
      .sort((a, b) => b.elapsed - a.elapsed)
      .slice(0, 15)
      .map((entry) => `${ms(entry.elapsed)}  ${entry.request}  ${path.relative(process.cwd(), entry.from)}`),
    '',
  ];
  try {
    fs.writeFileSync(path.join(reportDir, `modules-${process.pid}.txt`), lines.join('\n'));
  } catch {
    // the directory is gone or not writable (a daemon that changed user); nothing to report to
  }
}

setTimeout(() => report(`after ${REPORT_AFTER_MS} ms`), REPORT_AFTER_MS).unref();
process.on('exit', () => report('at exit'));
