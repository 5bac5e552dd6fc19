'use strict';
// mortar's start-up benchmark: mortar's samples against bare Node and peer frameworks, measured
// interleaved in one run. Plain Node, no dependencies of its own; see bench/README.md.
// Usage: node bench/run.js [--node PATH] [--runs N] [--warmup N] [--rss-runs N] [--only TEXT] [--json] [--list]
//        node bench/run.js [--node PATH] --profile CASE
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { parseArgs } = require('node:util');
const { defineGroups, ROOT, BENCH, BENCH_MODULES } = require('./lib/cases');
const { DaemonRunner } = require('./lib/daemon');
const { describeMachine, loadAverage } = require('./lib/machine');
const { Measurer, IDLE_MS } = require('./lib/measure');
const { peakRssTool } = require('./lib/proc');
const { summary } = require('./lib/stats');
const { profileCase } = require('./lib/profile');
const { formatJson, formatText } = require('./lib/report');
const { buildScaleApps } = require('./scale/generate');
const { buildReadmePrograms } = require('./readme/generate');
const { measureLogging, formatLogging } = require('./lib/logging');
const { measureReload, formatReload, cleanUpReload } = require('./lib/reload');

const USAGE = `Usage: node bench/run.js [options]
  --node PATH     run every case (and node -e 0) on this node binary (default: the one running this)
  --runs N        timed runs per case, each after a node -e 0 (default 20)
  --warmup N      untimed rounds first (default 3)
  --rss-runs N    peak-RSS runs per case, separate from timing (default min(runs, 5); 0 skips)
  --only TEXT     only the cases whose id or label contains TEXT (case-insensitive); "logging" and
                  "reload" run only that row, "workers" the worker start-up cases and the reload row
  --json          print the results as JSON
  --list          list the cases and exit
  --profile CASE  run one case once with --cpu-prof and module-load timing (see bench/README.md)
`;

function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      node: { type: 'string' },
      runs: { type: 'string', default: '20' },
      warmup: { type: 'string', default: '3' },
      'rss-runs': { type: 'string' },
      only: { type: 'string' },
      json: { type: 'boolean', default: false },
      list: { type: 'boolean', default: false },
      profile: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const count = (name, text, min) => {
    if (!/^\d+$/.test(text) || Number(text) < min)
      throw new Error(`--${name} takes a whole number ≥ ${min}, not "${text}"`);
    return Number(text);
  };
  const runs = count('runs', values.runs, 1);
  return {
    node: values.node === undefined ? process.execPath : nodeBinary(values.node),
    runs,
    warmup: count('warmup', values.warmup, 0),
    rssRuns: values['rss-runs'] === undefined ? Math.min(runs, 5) : count('rss-runs', values['rss-runs'], 0),
    only: values.only?.toLowerCase(),
    json: values.json,
    list: values.list,
    profile: values.profile,
    help: values.help,
  };
}

/** An absolute path to a node binary that runs, or an error saying why not. */
function nodeBinary(file) {
  const absolute = path.resolve(file);
  const result = spawnSync(absolute, ['-p', 'process.version'], { encoding: 'utf8' });
  if (result.error || result.status !== 0 || !/^v\d+\./.test(result.stdout)) {
    throw new Error(
      `--node ${file} does not run as node: ${result.error?.message ?? (result.stderr.trim() || result.stdout.trim())}`,
    );
  }
  return absolute;
}

/** The compiled nest-commander peer lives in build/bench/peers/; it finds the bench's packages through this link. */
function linkPeerModules() {
  const peersOut = path.join(ROOT, 'build', 'bench', 'peers');
  if (!fs.existsSync(peersOut) || !fs.existsSync(BENCH_MODULES)) return;
  const link = path.join(peersOut, 'node_modules');
  const target = path.relative(peersOut, BENCH_MODULES);
  let current = null;
  try {
    current = fs.readlinkSync(link);
  } catch (error) {
    if (error.code === 'EINVAL') return; // a real directory: leave it alone
  }
  if (current === target) return;
  if (current !== null) fs.unlinkSync(link);
  fs.symlinkSync(target, link, 'dir');
}

function selectGroups(groups, only) {
  if (!only) return groups;
  return groups
    .map((group) => ({ ...group, cases: group.cases.filter((c) => `${c.id} ${c.label}`.toLowerCase().includes(only)) }))
    .filter((group) => group.cases.length > 0);
}

/** Groups to run, with the scale apps and the README's program compiled only when one of their cases is selected. */
function prepareGroups(only, node) {
  linkPeerModules();
  const unbuilt = { ok: false, reason: 'not built' };
  const selected = (programs) => selectGroups(defineGroups({ node, ...programs }), only);
  const cases = selected({ scale: unbuilt, readme: unbuilt }).flatMap((group) => group.cases.map((c) => c.id));
  return selected({
    scale: cases.some((id) => id.startsWith('scale-')) ? buildScaleApps() : unbuilt,
    readme: cases.some((id) => id.startsWith('readme-')) ? buildReadmePrograms() : unbuilt,
  });
}

/**
 * A HOME of its own for each case's children (created on first use, 0700): what a case's
 * program keeps there (mortar's code cache) is its own, and nothing in the real home counts.
 */
function homesIn(scratchDir) {
  return (id) => {
    const home = path.join(scratchDir, `home-${id}`);
    fs.mkdirSync(home, { recursive: true, mode: 0o700 });
    return home;
  };
}

async function main() {
  let options;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${error.message}\n${USAGE}`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (options.list) {
    for (const group of prepareGroups(null, options.node)) {
      for (const c of group.cases) process.stdout.write(`${c.id.padEnd(22)} ${c.label}\n`);
    }
    process.stdout.write(
      `${'logging'.padEnd(22)} 100,000 log lines to a file: mortar text, json, rotating; pino sync, async; floors\n`,
    );
    process.stdout.write(
      `${'reload'.padEnd(22)} 5 rolling reloads of 2 workers under a keep-alive load: mortar, pm2 (also in --only workers)\n`,
    );
    return 0;
  }

  const scratchDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mortar-bench-'));
  const homeOf = homesIn(scratchDir);
  const daemons = new DaemonRunner(scratchDir, ROOT, options.node, homeOf);
  let groups = [];
  const cleanUp = async () => {
    for (const group of groups) for (const c of group.cases) if (c.kind === 'daemon') await daemons.stop(c);
    await cleanUpReload({ scratchDir, homeOf });
    fs.rmSync(scratchDir, { recursive: true, force: true });
  };
  const interrupted = async () => {
    await cleanUp();
    process.exit(130);
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);

  try {
    if (options.profile) {
      groups = prepareGroups(options.profile.toLowerCase(), options.node);
      const c = groups.flatMap((group) => group.cases).find((candidate) => candidate.id === options.profile);
      if (!c) {
        process.stderr.write(`No case "${options.profile}"; node bench/run.js --list shows them.\n`);
        return 2;
      }
      return await profileCase(c, { root: ROOT, bench: BENCH, daemons, node: options.node, homeOf });
    }

    groups = prepareGroups(options.only, options.node);
    // The logging row (bench/lib/logging.js): its own interleaved loop, --only logging runs it alone.
    const withLogging = !options.only || options.only === 'logging';
    // The reload row (bench/lib/reload.js): mortar and pm2 under load; --only reload runs it alone.
    const withReload = !options.only || options.only === 'reload' || options.only === 'workers';
    if (options.only === 'logging' || options.only === 'reload') groups = [];
    if (groups.length === 0 && !withLogging && !withReload) {
      process.stderr.write(`No case matches --only ${options.only}; node bench/run.js --list shows them.\n`);
      return 2;
    }
    const started = Date.now();
    const load = { start: loadAverage() };
    const log = (line) => process.stderr.write(`bench: ${line}\n`);
    const measurer = new Measurer({ root: ROOT, ...options, homeOf, daemons, log });
    const machine = describeMachine(options.node);
    const results = [];
    for (const group of groups) results.push(...(await measurer.measureGroup(group)));
    const logging = withLogging
      ? measureLogging({ node: options.node, scratchDir, runs: Math.min(options.runs, 7), log })
      : null;
    const reload = withReload ? await measureReload({ node: options.node, scratchDir, homeOf, log }) : null;
    const baseline = { peakRssKib: await measurer.baselineRssKib() };
    baseline.timing = summary(measurer.allBaselineMs);
    load.end = loadAverage();
    const data = {
      machine,
      options: { runs: options.runs, warmup: options.warmup, rssRuns: options.rssRuns, only: options.only ?? null },
      rssTool: peakRssTool()?.name ?? null,
      idleMs: IDLE_MS,
      load,
      elapsedMs: Date.now() - started,
      baseline,
      results,
      logging,
      reload,
    };
    process.stdout.write(
      options.json
        ? formatJson(data)
        : formatText(data) + (logging ? formatLogging(logging) : '') + (reload ? formatReload(reload) : ''),
    );
    return 0;
  } finally {
    await cleanUp();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`bench: ${error.stack}\n`);
    process.exitCode = 1;
  },
);
