'use strict';
// What is measured: groups of cases, each group timed in one interleaved loop against `node -e 0`.
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const BENCH = path.join(ROOT, 'bench');
const BENCH_MODULES = path.join(BENCH, 'node_modules');

const BUDGETS = {
  help: 1.3,
  hello: 1.45,
  daemonStart: 2.6,
  daemonIdleRss: 1.25,
  scale: 1.2,
};

const rel = (file) => path.relative(ROOT, file);

function packageVersion(name) {
  try {
    return JSON.parse(fs.readFileSync(path.join(BENCH_MODULES, name, 'package.json'), 'utf8')).version;
  } catch {
    return null;
  }
}

/** null when `file` exists, else the row's "missing (...)" text. */
function missingUnless(file, hint) {
  return fs.existsSync(file) ? null : `missing (${rel(file)}${hint ? `: ${hint}` : ''})`;
}

const printed = (text) => (run) => (run.stdout.includes(text) ? null : `expected "${text}" on stdout`);

/** A CLI case: `node <script> ...args`, expected to exit 0 and pass `check`. */
function cli({ id, label, script, args, check, budget, missing }) {
  return { kind: 'cli', id, label, script, args, check, budget, missing: () => missing?.() ?? missingUnless(script) };
}

/** A daemon start: `node <script> ...args` with `pidFileEnv` naming a fresh pid file. */
function daemon({ id, label, script, args, pidFileEnv, budget, idleRssBudget, missing }) {
  return {
    kind: 'daemon', id, label, script, args, pidFileEnv, budget, idleRssBudget,
    missing: () => missing?.() ?? missingUnless(script),
  };
}

/**
 * The groups to run, in report order. `scale` is the result of bench/scale/generate.js.
 * A budget is { limit, of } where `of` is 'node' (ratio to the group's `node -e 0`) or a case id
 * (ratio of the two medians).
 */
function defineGroups({ scale }) {
  const peersMissing = () => (fs.existsSync(BENCH_MODULES) ? null : 'missing (bench/node_modules: npm ci --prefix bench)');
  const peer = (name) => `${name} ${packageVersion(name) ?? ''}`.trim();
  const peerScript = (name) => path.join(BENCH, 'peers', name, 'main.js');
  const nestScript = path.join(ROOT, 'build', 'bench', 'peers', 'nest-commander', 'main.js');
  const helloSample = path.join(ROOT, 'build', 'samples', 'hello', 'main.js');
  const daemonSample = path.join(ROOT, 'build', 'samples', 'myapp', 'main.js');
  const scaleApp = (name) => (scale.ok ? scale.apps[name] : path.join(ROOT, 'build', 'bench', 'scale', `${name}.js`));
  const scaleMissing = () => (scale.ok ? null : scale.reason);
  const helpCheck = (run) => (/hello/.test(run.stdout) ? null : 'expected help listing `hello` on stdout');

  return [
    {
      id: 'commander',
      cases: [
        cli({ id: 'commander-hello', label: `${peer('commander')} hello`, script: peerScript('commander'), args: ['hello'], check: printed('Hello, world!'), missing: peersMissing }),
        cli({ id: 'commander-help', label: `${peer('commander')} --help`, script: peerScript('commander'), args: ['--help'], check: helpCheck, missing: peersMissing }),
      ],
    },
    {
      id: 'clipanion',
      cases: [
        cli({ id: 'clipanion-hello', label: `${peer('clipanion')} hello`, script: peerScript('clipanion'), args: ['hello'], check: printed('Hello, world!'), missing: peersMissing }),
        cli({ id: 'clipanion-help', label: `${peer('clipanion')} --help`, script: peerScript('clipanion'), args: ['--help'], check: helpCheck, missing: peersMissing }),
      ],
    },
    {
      id: 'nest-commander',
      cases: [
        cli({ id: 'nest-commander-hello', label: `${peer('nest-commander')} hello`, script: nestScript, args: ['hello'], check: printed('Hello, world!'), missing: () => peersMissing() ?? missingUnless(nestScript, 'run the root build') }),
        cli({ id: 'nest-commander-help', label: `${peer('nest-commander')} --help`, script: nestScript, args: ['--help'], check: helpCheck, missing: () => peersMissing() ?? missingUnless(nestScript, 'run the root build') }),
      ],
    },
    {
      id: 'deps-eager',
      cases: [
        cli({ id: 'deps-eager-hello', label: 'ref: mortar deps loaded eagerly, hello', script: peerScript('deps-eager'), args: ['hello'], check: printed('Hello, world!') }),
      ],
    },
    {
      id: 'mortar',
      cases: [
        cli({ id: 'mortar-hello', label: 'mortar hello', script: helloSample, args: ['hello'], check: printed('Hello, world!'), budget: { limit: BUDGETS.hello, of: 'node' } }),
        cli({ id: 'mortar-help', label: 'mortar --help', script: helloSample, args: ['--help'], check: helpCheck, budget: { limit: BUDGETS.help, of: 'node' } }),
      ],
    },
    {
      id: 'daemon',
      cases: [
        daemon({ id: 'daemon-floor', label: 'ref: hand-written daemon start', script: peerScript('daemon-floor'), args: [], pidFileEnv: 'DAEMON_FLOOR_PID_FILE' }),
        daemon({
          id: 'mortar-daemon', label: 'mortar daemon start', script: daemonSample, args: ['run-forever', '--daemon'],
          pidFileEnv: 'MYAPP_DAEMON_PID_FILE', budget: { limit: BUDGETS.daemonStart, of: 'node' }, idleRssBudget: BUDGETS.daemonIdleRss,
        }),
      ],
    },
    {
      id: 'scale',
      cases: [
        cli({ id: 'scale-1', label: 'mortar 1 command', script: scaleApp('app-1'), args: ['c0', 'cmd0'], check: printed('c0 cmd0'), missing: scaleMissing }),
        cli({ id: 'scale-1000', label: 'mortar 1,000 commands', script: scaleApp('app-1000'), args: ['c42', 'cmd7'], check: printed('c42 cmd7'), missing: scaleMissing, budget: { limit: BUDGETS.scale, of: 'scale-1' } }),
        cli({ id: 'scale-1-floor', label: 'ref: 1 command, no-op decorators', script: scaleApp('app-1-floor'), args: ['c0', 'cmd0'], check: printed('c0 cmd0'), missing: scaleMissing }),
        cli({ id: 'scale-1000-floor', label: 'ref: 1,000 commands, no-op decorators', script: scaleApp('app-1000-floor'), args: ['c42', 'cmd7'], check: printed('c42 cmd7'), missing: scaleMissing }),
        cli({ id: 'scale-1000-help', label: 'mortar 1,000 commands --help', script: scaleApp('app-1000'), args: ['--help'], check: printed('c99'), missing: scaleMissing }),
      ],
    },
  ];
}

module.exports = { defineGroups, BUDGETS, ROOT, BENCH, BENCH_MODULES, rel };
