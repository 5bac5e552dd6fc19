'use strict';
// The measuring loops: timing interleaved with `node -e 0`, then a separate peak-RSS pass.
const { cleanEnv, runTimed, runPeakRss, vmRssKib, sleep, startIdle } = require('./proc');
const { summary, median } = require('./stats');

const IDLE_MS = 500;

function firstLine(text) {
  return (
    (text || '')
      .split('\n')
      .map((line) => line.trim())
      .find(Boolean) ?? ''
  );
}

/** Why a CLI run is wrong, or null. */
function cliFailure(c, run) {
  if (run.spawnError) return run.spawnError.message;
  if (run.code !== 0) {
    const how = run.signal ? `killed by ${run.signal}` : `exit ${run.code}`;
    return `${how}: ${firstLine(run.stderr) || firstLine(run.stdout) || 'no output'}`;
  }
  return c.check ? c.check(run) : null;
}

/** Why a daemon start is wrong (exit status only; readiness is reported separately), or null. */
function daemonFailure(start) {
  if (start.spawnError) return start.spawnError.message;
  if (start.code !== 0) {
    const how = start.signal ? `invoker killed by ${start.signal}` : `invoker exit ${start.code}`;
    return `${how}: ${firstLine(start.stderr) || 'no output'}`;
  }
  return null;
}

class Measurer {
  /**
   * @param {object} options
   * @param {string} options.node the node binary every child runs on (the baseline's too)
   * @param {(id: string) => string} options.homeOf the HOME of a case's children, a directory of its own
   */
  constructor({ root, node, homeOf, runs, warmup, rssRuns, daemons, log }) {
    this.root = root;
    this.node = node;
    this.homeOf = homeOf;
    this.runs = runs;
    this.warmup = warmup;
    this.rssRuns = rssRuns;
    this.daemons = daemons;
    this.log = log;
    this.allBaselineMs = [];
  }

  get baselineArgv() {
    return [this.node, '-e', '0'];
  }

  /** The environment of `node -e 0` and of the idle node. */
  get baselineEnv() {
    return cleanEnv({ HOME: this.homeOf('baseline') });
  }

  argvOf(c) {
    return [this.node, c.script, ...c.args];
  }

  envOf(c) {
    return cleanEnv({ HOME: this.homeOf(c.id), ...c.env });
  }

  baseline() {
    return runTimed(this.baselineArgv, { cwd: this.root, env: this.baselineEnv });
  }

  /** One run of a case: { ms, failure, ready? }. A daemon is stopped again before this resolves. */
  async runCase(c, record) {
    if (c.kind === 'cli') {
      const run = await runTimed(this.argvOf(c), { cwd: this.root, env: this.envOf(c) });
      return { ms: run.ms, failure: cliFailure(c, run) };
    }
    const start = await this.daemons.start(c);
    const stopped = await this.daemons.stop(c);
    if (record) {
      record.leftPidFiles += stopped.leftPidFile ? 1 : 0;
      for (const outcome of stopped.outcomes) if (outcome !== 'terminated') record.stopOutcomes.push(outcome);
      if (!start.ready && start.why) record.notReady.push(start.why);
    }
    return { ms: start.ms, failure: daemonFailure(start), ready: start.ready, why: start.why };
  }

  /** Measures one group; resolves to a result per case, in the group's order. */
  async measureGroup(group) {
    const results = new Map();
    const active = [];
    for (const c of group.cases) {
      const result = {
        id: c.id,
        label: c.label,
        kind: c.kind,
        command: [c.script, ...c.args],
        env: c.env,
        budget: c.budget,
        compare: c.compare,
        idleRssBudget: c.idleRssBudget,
        status: 'ok',
        samplesMs: [],
        pairRatios: [],
        failures: [],
        readyCount: 0,
        notReady: [],
        leftPidFiles: 0,
        stopOutcomes: [],
      };
      results.set(c.id, result);
      const missing = c.missing();
      if (missing) {
        result.status = 'missing';
        result.reason = missing;
        continue;
      }
      // A wrong result is reported instead of a figure; a daemon whose pid file is not ready
      // yet is timed all the same, and its readiness counted.
      const probe = await this.runCase(c, null);
      if (probe.failure) {
        result.status = 'failed';
        result.reason = probe.failure;
        continue;
      }
      active.push(c);
    }
    if (active.length === 0) return [...results.values()];

    const startedAt = Date.now();
    this.log(
      `${group.id}: ${this.warmup} warm-up + ${this.runs} runs of ${active.map((c) => c.id).join(', ')}, each after a node -e 0`,
    );
    const baselineMs = [];
    for (let round = 0; round < this.warmup + this.runs; round++) {
      const counted = round >= this.warmup;
      for (const c of active) {
        const base = await this.baseline();
        const result = results.get(c.id);
        const run = await this.runCase(c, counted ? result : null);
        if (!counted) continue;
        baselineMs.push(base.ms);
        if (run.failure) {
          result.failures.push(run.failure);
          continue;
        }
        result.samplesMs.push(run.ms);
        result.pairRatios.push(run.ms / base.ms);
        if (run.ready) result.readyCount++;
      }
    }
    this.allBaselineMs.push(...baselineMs);
    const baseline = summary(baselineMs);
    for (const c of active) {
      const result = results.get(c.id);
      result.timing = summary(result.samplesMs);
      result.baseline = baseline;
      result.ratio = result.timing ? result.timing.median / baseline.median : null;
      // Each run over the baseline run just before it: a cross-check of `ratio` that load
      // drifting during the loop disturbs less.
      result.pairedRatio = median(result.pairRatios);
    }
    await this.measureRss(active, results);
    this.log(`${group.id}: done in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
    return [...results.values()];
  }

  /** Peak RSS of each case (and, for daemons, the idle daemon against an idle bare node). */
  async measureRss(active, results) {
    if (this.rssRuns === 0) return;
    for (const c of active) {
      const result = results.get(c.id);
      if (c.kind === 'cli') {
        const kib = [];
        for (let i = 0; i < this.rssRuns; i++) {
          const { kib: peak } = await runPeakRss(this.argvOf(c), { cwd: this.root, env: this.envOf(c) });
          if (peak !== null) kib.push(peak);
        }
        result.peakRssKib = median(kib);
        continue;
      }
      const invokerKib = [];
      const idleKib = [];
      const nodeIdleKib = [];
      for (let i = 0; i < this.rssRuns; i++) {
        const start = await this.daemons.startForRss(c, IDLE_MS, vmRssKib, sleep);
        await this.daemons.stop(c);
        if (start.invokerKib !== null) invokerKib.push(start.invokerKib);
        if (start.idleKib !== null) idleKib.push(start.idleKib);
        const idle = startIdle([this.node, '-e', 'setInterval(() => {}, 1e3)'], {
          cwd: this.root,
          env: this.baselineEnv,
        });
        await sleep(IDLE_MS);
        const kib = vmRssKib(idle.pid);
        await idle.stop();
        if (kib !== null) nodeIdleKib.push(kib);
      }
      result.peakRssKib = median(invokerKib);
      result.idleRssKib = median(idleKib);
      result.nodeIdleRssKib = median(nodeIdleKib);
      result.idleRssRatio =
        result.idleRssKib !== null && result.nodeIdleRssKib ? result.idleRssKib / result.nodeIdleRssKib : null;
    }
  }

  /** Peak RSS of `node -e 0`. */
  async baselineRssKib() {
    const kib = [];
    for (let i = 0; i < this.rssRuns; i++) {
      const { kib: peak } = await runPeakRss(this.baselineArgv, { cwd: this.root, env: this.baselineEnv });
      if (peak !== null) kib.push(peak);
    }
    return median(kib);
  }
}

module.exports = { Measurer, IDLE_MS };
