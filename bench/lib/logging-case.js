'use strict';
// One logging case, run in a fresh node: writes WARM_UP lines, then LINES info lines to a file, and prints
// the time the LINES took.
// Usage: node bench/lib/logging-case.js CASE FILE   (CASE: see CASES)
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const LINES = 100_000;
/** Lines each case writes first, untimed, so that the timed lines measure the steady state, not the JIT warming up. */
const WARM_UP = 10_000;
const message = (index) => `request ${index} served in 12 ms`;

/**
 * Wall time and CPU time (user + system, every thread of the process) from now to stop():
 * on a shared machine CPU time leaves out the time spent waiting for a core.
 */
function start() {
  const wall = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  return {
    stop() {
      const used = process.cpuUsage(cpu);
      return { wallNs: Number(process.hrtime.bigint() - wall), cpuUs: used.user + used.system };
    },
  };
}

/** The line mortar's text format gives a message (the floor writes these, formatted beforehand). */
function textLines() {
  const date = new Date();
  const pad = (value, width = 2) => String(value).padStart(width, '0');
  const stamp = `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())},${pad(date.getMilliseconds(), 3)}`;
  return Array.from({ length: LINES }, (_, index) => `${stamp} (INFO) bench : ${message(index)}\n`);
}

function jsonLines() {
  const head = `,"pid":${process.pid},"hostname":${JSON.stringify(require('node:os').hostname())},"name":"bench","msg":`;
  const time = Date.now();
  return Array.from(
    { length: LINES },
    (_, index) => `{"level":30,"time":${time}${head}${JSON.stringify(message(index))}}\n`,
  );
}

function floor(lines) {
  return (file) => {
    const fd = fs.openSync(file, 'a');
    for (let index = 0; index < WARM_UP; index++) fs.writeSync(fd, lines[index]);
    const clock = start();
    for (let index = 0; index < LINES; index++) fs.writeSync(fd, lines[index]);
    const elapsed = clock.stop();
    fs.closeSync(fd);
    return elapsed;
  };
}

function mortar(config) {
  return async (file) => {
    const { App } = require(ROOT);
    const conf = `${file}.conf`;
    fs.writeFileSync(conf, `[log]\nfile = ${file}\nto_console = false\n${config}`);
    const app = new App('bench', { argv: [], configFiles: [conf], handleSignals: false });
    await app.setup();
    const { log } = app;
    for (let index = 0; index < WARM_UP; index++) log.info(message(index));
    const clock = start();
    for (let index = 0; index < LINES; index++) log.info(message(index));
    const elapsed = clock.stop();
    await app.close();
    return elapsed;
  };
}

function pino(sync) {
  return async (file) => {
    const { pino: create } = require(path.join(ROOT, 'bench/node_modules/pino'));
    const destination = sync
      ? create.destination({ dest: file, sync: true })
      : create.destination({ dest: file, sync: false, minLength: 4096 });
    if (!sync) await new Promise((resolve) => destination.once('ready', resolve));
    const logger = create({ name: 'bench' }, destination);
    for (let index = 0; index < WARM_UP; index++) logger.info(message(index));
    destination.flushSync();
    const clock = start();
    for (let index = 0; index < LINES; index++) logger.info(message(index));
    destination.flushSync();
    const elapsed = clock.stop();
    destination.end();
    return elapsed;
  };
}

const CASES = {
  'floor-text': () => floor(textLines()),
  'floor-json': () => floor(jsonLines()),
  'mortar-text': () => mortar(''),
  'mortar-json': () => mortar('format = json\n'),
  'mortar-text-rotate': () => mortar('rotate = true\nmax_bytes = 1048576\nmax_files = 4\n'),
  'pino-sync': () => pino(true),
  'pino-async': () => pino(false),
};

async function main() {
  const [kind, file] = process.argv.slice(2);
  if (!CASES[kind] || !file) throw new Error(`usage: logging-case.js ${Object.keys(CASES).join('|')} FILE`);
  const { wallNs, cpuUs } = await CASES[kind]()(file);
  process.stdout.write(`${JSON.stringify({ kind, lines: LINES, wallNs, cpuUs })}\n`);
}

main().catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exitCode = 1;
});

module.exports = { CASES, LINES };
