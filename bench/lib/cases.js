'use strict';
// What is measured: groups of cases, each group timed in one interleaved loop against `node -e 0`.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const BENCH = path.join(ROOT, 'bench');
const BENCH_MODULES = path.join(BENCH, 'node_modules');

/**
 * mortar's budgets, each a ratio to a peer or a floor measured in the same run (absolute ratios
 * to bare node do not carry from one machine to another).
 */
const BUDGETS = {
  /** mortar's `hello` against commander's, the same user code (same output call, default config search). */
  hello: 1.0,
  /** The same for `--help`. */
  help: 1.0,
  /** A daemon start, until the invoker exits with the pid file naming the daemon, against the hand-written floor. */
  daemonStart: 1.2,
  /** The idle daemon's RSS against an idle bare node. */
  daemonIdleRss: 1.1,
  /** mortar's own share of a 1,000-command app against its share of a 1-command one (shares: minus the no-op-decorator floors). */
  scaleShare: 1.5,
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
const logged = (text) => (run) => (run.stderr.includes(text) ? null : `expected "${text}" on stderr`);

/** A CLI case: `node <script> ...args` (plus `env`), expected to exit 0 and pass `check`. */
function cli({ id, label, script, args, env, check, budget, missing }) {
  return {
    kind: 'cli',
    id,
    label,
    script,
    args,
    env: env ?? {},
    check,
    budget,
    missing: () => missing?.() ?? missingUnless(script),
  };
}

/**
 * A daemon start: `node <script> ...args` (plus `env`) with `pidFileEnv` naming a fresh pid file.
 * `compare`: the id of a case of the same group it is set against in the report, without a budget.
 */
function daemon({ id, label, script, args, env, pidFileEnv, budget, idleRssBudget, compare, missing }) {
  return {
    kind: 'daemon',
    id,
    label,
    script,
    args,
    env: env ?? {},
    pidFileEnv,
    budget,
    idleRssBudget,
    compare,
    missing: () => missing?.() ?? missingUnless(script),
  };
}

const addonLoads = new Map();
/** Why the posix addon in node_modules does not load in `node` (built for another Node), or null. */
function posixFailure(node) {
  if (!addonLoads.has(node)) {
    const result = spawnSync(node, ['-e', "require('posix')"], { cwd: ROOT, encoding: 'utf8' });
    const reason =
      result.status === 0 ? null : (/NODE_MODULE_VERSION \d+[^.]*/.exec(result.stderr)?.[0] ?? 'it does not load');
    addonLoads.set(node, reason);
  }
  return addonLoads.get(node);
}

/**
 * The groups to run, in report order. `scale` and `readme` are the results of
 * bench/scale/generate.js and bench/readme/generate.js; `node` is the binary the cases run on.
 * A budget is { limit, of } where `of` is a case id (ratio of the two medians), or
 * { limit, share: [big, bigFloor, small, smallFloor] }: (big − bigFloor) / (small − smallFloor).
 */
function defineGroups({ scale, readme, node }) {
  const peersMissing = () =>
    fs.existsSync(BENCH_MODULES) ? null : 'missing (bench/node_modules: npm ci --prefix bench)';
  const peer = (name) => `${name} ${packageVersion(name) ?? ''}`.trim();
  const peerScript = (name) => path.join(BENCH, 'peers', name, 'main.js');
  const built = (...parts) => path.join(ROOT, 'build', ...parts);
  const nestScript = built('bench', 'peers', 'nest-commander', 'main.js');
  const mortarPeer = built('bench', 'peers', 'mortar', 'main.js');
  const helloSample = built('samples', 'hello', 'main.js');
  const daemonSample = built('samples', 'myapp', 'main.js');
  const clusterSample = built('samples', 'cluster', 'main.js');
  const scaleApp = (name) => (scale.ok ? scale.apps[name] : built('bench', 'scale', `${name}.js`));
  const scaleMissing = () => (scale.ok ? null : scale.reason);
  const readmeProgram = (name) => (readme.ok ? readme.files[name] : built('bench', 'readme', `${name}.js`));
  const readmeMissing = () => (readme.ok ? null : readme.reason);
  const builtMissing = (script) => () => missingUnless(script, 'run the root build');
  const helpCheck = (run) => (/hello/.test(run.stdout) ? null : 'expected help listing `hello` on stdout');
  const noCache = { NODE_DISABLE_COMPILE_CACHE: '1' };

  return [
    {
      id: 'same-code',
      cases: [
        cli({
          id: 'commander-hello',
          label: `${peer('commander')} hello`,
          script: peerScript('commander'),
          args: ['hello'],
          check: printed('Hello, world!'),
          missing: peersMissing,
        }),
        cli({
          id: 'commander-help',
          label: `${peer('commander')} --help`,
          script: peerScript('commander'),
          args: ['--help'],
          check: helpCheck,
          missing: peersMissing,
        }),
        cli({
          id: 'clipanion-hello',
          label: `${peer('clipanion')} hello`,
          script: peerScript('clipanion'),
          args: ['hello'],
          check: printed('Hello, world!'),
          missing: peersMissing,
        }),
        cli({
          id: 'clipanion-help',
          label: `${peer('clipanion')} --help`,
          script: peerScript('clipanion'),
          args: ['--help'],
          check: helpCheck,
          missing: peersMissing,
        }),
        cli({
          id: 'mortar-hello',
          label: 'mortar hello',
          script: mortarPeer,
          args: ['hello'],
          check: printed('Hello, world!'),
          missing: builtMissing(mortarPeer),
          budget: { limit: BUDGETS.hello, of: 'commander-hello' },
        }),
        cli({
          id: 'mortar-help',
          label: 'mortar --help',
          script: mortarPeer,
          args: ['--help'],
          check: helpCheck,
          missing: builtMissing(mortarPeer),
          budget: { limit: BUDGETS.help, of: 'commander-help' },
        }),
        cli({
          id: 'mortar-hello-cold',
          label: 'ref: mortar hello, no code cache',
          script: mortarPeer,
          args: ['hello'],
          env: noCache,
          check: printed('Hello, world!'),
          missing: builtMissing(mortarPeer),
        }),
      ],
    },
    {
      id: 'nest-commander',
      cases: [
        cli({
          id: 'nest-commander-hello',
          label: `${peer('nest-commander')} hello`,
          script: nestScript,
          args: ['hello'],
          check: printed('Hello, world!'),
          missing: () => peersMissing() ?? missingUnless(nestScript, 'run the root build'),
        }),
        cli({
          id: 'nest-commander-help',
          label: `${peer('nest-commander')} --help`,
          script: nestScript,
          args: ['--help'],
          check: helpCheck,
          missing: () => peersMissing() ?? missingUnless(nestScript, 'run the root build'),
        }),
      ],
    },
    {
      id: 'mortar-programs',
      cases: [
        cli({
          id: 'deps-eager-hello',
          label: 'ref: mortar deps loaded eagerly, hello',
          script: peerScript('deps-eager'),
          args: ['hello'],
          check: printed('Hello, world!'),
          missing: () => {
            const failure = posixFailure(node);
            return failure ? `not run: the posix addon in node_modules was built for another Node (${failure})` : null;
          },
        }),
        cli({
          id: 'sample-hello',
          label: 'mortar hello sample (app.stdout, no config file)',
          script: helloSample,
          args: ['hello'],
          check: printed('Hello, world!'),
        }),
        cli({
          id: 'sample-help',
          label: 'mortar hello sample --help',
          script: helloSample,
          args: ['--help'],
          check: helpCheck,
        }),
        cli({
          id: 'readme-first',
          label: "README's first program --foo bar",
          script: readmeProgram('first'),
          args: ['--foo', 'bar'],
          check: logged('foo=bar'),
          missing: readmeMissing,
        }),
        cli({
          id: 'readme-first-help',
          label: "README's first program --help",
          script: readmeProgram('first'),
          args: ['--help'],
          check: printed('run-forever'),
          missing: readmeMissing,
        }),
        cli({
          id: 'readme-first-reflect',
          label: "README's first program + import 'reflect-metadata'",
          script: readmeProgram('first-reflect'),
          args: ['--foo', 'bar'],
          check: logged('foo=bar'),
          missing: readmeMissing,
        }),
      ],
    },
    {
      id: 'daemon',
      cases: [
        daemon({
          id: 'daemon-floor',
          label: 'ref: hand-written daemon start',
          script: peerScript('daemon-floor'),
          args: [],
          pidFileEnv: 'DAEMON_FLOOR_PID_FILE',
        }),
        daemon({
          id: 'mortar-daemon',
          label: 'mortar daemon start',
          script: daemonSample,
          args: ['run-forever', '--daemon'],
          pidFileEnv: 'MYAPP_DAEMON_PID_FILE',
          budget: { limit: BUDGETS.daemonStart, of: 'daemon-floor' },
          idleRssBudget: BUDGETS.daemonIdleRss,
        }),
      ],
    },
    {
      id: 'workers',
      cases: [
        daemon({
          id: 'workers-floor',
          label: 'ref: bare cluster start, 2 workers',
          script: peerScript('cluster-floor'),
          args: [],
          pidFileEnv: 'CLUSTER_FLOOR_PID_FILE',
        }),
        daemon({
          id: 'mortar-workers',
          label: 'mortar workers = 2 start',
          script: clusterSample,
          args: ['serve', '--daemon', '--port', '0'],
          env: { CLUSTER_HEALTH_LISTEN: '' },
          pidFileEnv: 'CLUSTER_DAEMON_PID_FILE',
          compare: 'workers-floor',
          missing: builtMissing(clusterSample),
        }),
      ],
    },
    {
      id: 'scale',
      cases: [
        cli({
          id: 'scale-1',
          label: 'mortar 1 command',
          script: scaleApp('app-1'),
          args: ['c0', 'cmd0'],
          check: printed('c0 cmd0'),
          missing: scaleMissing,
        }),
        cli({
          id: 'scale-1000',
          label: 'mortar 1,000 commands',
          script: scaleApp('app-1000'),
          args: ['c42', 'cmd7'],
          check: printed('c42 cmd7'),
          missing: scaleMissing,
          budget: { limit: BUDGETS.scaleShare, share: ['scale-1000', 'scale-1000-floor', 'scale-1', 'scale-1-floor'] },
        }),
        cli({
          id: 'scale-1-floor',
          label: 'ref: 1 command, no-op decorators',
          script: scaleApp('app-1-floor'),
          args: ['c0', 'cmd0'],
          check: printed('c0 cmd0'),
          missing: scaleMissing,
        }),
        cli({
          id: 'scale-1000-floor',
          label: 'ref: 1,000 commands, no-op decorators',
          script: scaleApp('app-1000-floor'),
          args: ['c42', 'cmd7'],
          check: printed('c42 cmd7'),
          missing: scaleMissing,
        }),
        cli({
          id: 'scale-1000-help',
          label: 'mortar 1,000 commands --help',
          script: scaleApp('app-1000'),
          args: ['--help'],
          check: printed('c99'),
          missing: scaleMissing,
        }),
      ],
    },
  ];
}

module.exports = { defineGroups, BUDGETS, ROOT, BENCH, BENCH_MODULES, rel };
