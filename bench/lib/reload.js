'use strict';
// The reload row: an HTTP service in 2 workers under a keep-alive load (autocannon, 10
// connections to 127.0.0.1), reloaded 5 times while the load runs; failed requests (errors,
// timeouts, non-2xx answers) and throughput during the reloads against the steady state between
// them. mortar's samples/cluster ([daemon] workers = 2, `daemon reload`) beside pm2 in cluster
// mode with 2 instances (`pm2 reload`) running the same handler (bench/peers/pm2/server.js).
// The load is bounded in time and in count and stops by itself; every process started here is
// ended by its pid, pm2's daemon included (`pm2 kill`, then by pid), even when a step fails.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const { performance } = require('node:perf_hooks');
const { BENCH, BENCH_MODULES, ROOT } = require('./cases');
const { hasEnv, processesWithEnv } = require('./daemon');
const { cleanEnv, isAlive, sleep, stopPid, waitUntil } = require('./proc');

/** The shape of the load and of the run; every peer gets the same. */
const LOAD = {
  connections: 10,
  reloads: 5,
  /** Load before the first reload (the first 500 ms are not counted: connections opening, JIT warming). */
  steadyMs: 2_500,
  warmUpMs: 500,
  /** Load between the end of one reload and the start of the next, and after the last. */
  gapMs: 1_500,
  /** A request unanswered this long counts as failed (autocannon's timeout). */
  timeoutS: 5,
  /** Bounds of the load generator, whatever happens to the service: it stops by itself. */
  maxSeconds: 90,
  maxRequests: 3_000_000,
  /** The issue's floor for a meaningful figure. */
  minRequests: 10_000,
  /** How long one reload may take before the run is given up. */
  reloadTimeoutMs: 45_000,
  /** Seconds a retiring worker gets to finish (mortar's [daemon] kill_timeout, pm2's kill_timeout). */
  killTimeoutS: 3,
};

/** mortar's goals for this row: no failed request, and throughput during the reloads against steady. */
const GOALS = { failed: 0, reloadThroughput: 0.75 };

const CLUSTER_SAMPLE = path.join(ROOT, 'build', 'samples', 'cluster', 'main.js');
const PM2_APP = path.join(BENCH, 'peers', 'pm2', 'server.js');
const PM2_CLI = path.join(BENCH_MODULES, 'pm2', 'bin', 'pm2');
const AUTOCANNON = path.join(BENCH_MODULES, 'autocannon');
/** Marks the environment of every process this row starts, so that none is left behind. */
const MARKER = 'MORTAR_BENCH_RELOAD';

function version(name) {
  try {
    return JSON.parse(fs.readFileSync(path.join(BENCH_MODULES, name, 'package.json'), 'utf8')).version;
  } catch {
    return null;
  }
}

/** A TCP port free on 127.0.0.1 right now. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Runs a command to its end (killed after `timeoutMs`); resolves to { code, signal, stdout, stderr, ms }. */
function runToEnd(argv, { env, cwd = ROOT, timeoutMs = 30_000 }) {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(argv[0], argv.slice(1), { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [];
    const err = [];
    child.stdout.on('data', (chunk) => out.push(chunk));
    child.stderr.on('data', (chunk) => err.push(chunk));
    const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const finish = (code, signal, error) => {
      clearTimeout(killer);
      resolve({
        code,
        signal,
        error,
        ms: performance.now() - started,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    };
    child.on('error', (error) => finish(null, null, error));
    child.on('close', (code, signal) => finish(code, signal, null));
  });
}

const lastLine = (text) => text.trim().split('\n').pop() ?? '';

/** Ends every live process whose environment carries `name=value`, by pid; resolves to how many there were. */
async function endProcessesWithEnv(name, value) {
  const pids = processesWithEnv(name, value);
  for (const pid of pids) await stopPid(pid, (candidate) => hasEnv(candidate, name, value));
  return pids.length;
}

/** The child pids of a process (/proc/<pid>/task/<pid>/children). */
function childrenOf(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/**
 * mortar: samples/cluster in the foreground with [daemon] workers = 2 (the sample's default),
 * kill_timeout as pm2's; a reload is `cluster daemon reload` (SIGHUP to the primary), complete
 * when the primary has logged `reloaded:` and every worker it had before has exited.
 */
function mortarPeer({ node, scratchDir, homeOf }) {
  const pidFile = path.join(scratchDir, 'reload-cluster.pid');
  const marker = `${scratchDir}/mortar`;
  let child = null;
  let stderr = '';
  const env = () =>
    cleanEnv({
      HOME: homeOf('reload-mortar'),
      CLUSTER_DAEMON_PID_FILE: pidFile,
      CLUSTER_DAEMON_KILL_TIMEOUT: String(LOAD.killTimeoutS),
      CLUSTER_HEALTH_LISTEN: '',
      [MARKER]: marker,
    });
  const count = (pattern) => (stderr.match(pattern) ?? []).length;
  return {
    id: 'mortar',
    label: 'mortar, [daemon] workers = 2',
    how: 'node build/samples/cluster/main.js serve (foreground), reloaded by `daemon reload`',
    missing: () =>
      fs.existsSync(CLUSTER_SAMPLE) ? null : 'missing (build/samples/cluster/main.js: run the root build)',
    async start(port) {
      child = spawn(node, [CLUSTER_SAMPLE, 'serve', '--port', String(port)], {
        cwd: ROOT,
        env: env(),
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (chunk) => {
        stderr += chunk;
      });
      const ready = await waitUntil(() => /workers ready/.test(stderr) || child.exitCode !== null, 30_000, 20);
      if (!ready || child.exitCode !== null) throw new Error(`did not get ready: ${lastLine(stderr) || 'no output'}`);
    },
    async reload() {
      const before = childrenOf(child.pid);
      const reloaded = count(/^INFO: reloaded:/gm);
      const aborted = count(/reload aborted/g);
      const sent = await runToEnd([node, CLUSTER_SAMPLE, 'daemon', 'reload'], { env: env() });
      if (sent.code !== 0) throw new Error(`daemon reload exited ${sent.code}: ${lastLine(sent.stderr)}`);
      await waitUntil(
        () => count(/^INFO: reloaded:/gm) > reloaded || count(/reload aborted/g) > aborted || child.exitCode !== null,
        LOAD.reloadTimeoutMs,
        5,
      );
      if (count(/reload aborted/g) > aborted) throw new Error(lastLine(stderr));
      if (count(/^INFO: reloaded:/gm) === reloaded) throw new Error(`no reload within ${LOAD.reloadTimeoutMs} ms`);
      if (!(await waitUntil(() => before.every((pid) => !isAlive(pid)), LOAD.reloadTimeoutMs, 5)))
        throw new Error('the old workers did not exit');
    },
    /** The primary's error and warning lines (a worker's error is logged through it). */
    problems: () => stderr.split('\n').filter((line) => /^(ERROR|WARNING|CRITICAL)|: error:/.test(line)),
    async stop() {
      if (child && child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        if (!(await waitUntil(() => child.exitCode !== null || child.signalCode !== null, 15_000, 20)))
          child.kill('SIGKILL');
      }
      await endProcessesWithEnv(MARKER, marker);
      fs.rmSync(pidFile, { force: true });
    },
  };
}

/**
 * pm2 7 in cluster mode, 2 instances, with the graceful set-up its documentation recommends:
 * wait_ready + process.send('ready'), listen_timeout, kill_timeout, server.close() on SIGINT.
 * Its own PM2_HOME in the scratch directory; ended by `pm2 kill`, then by pid.
 */
function pm2Peer({ node, scratchDir }) {
  const home = path.join(scratchDir, 'pm2-home');
  const env = (extra = {}) => cleanEnv({ HOME: home, PM2_HOME: home, [MARKER]: home, ...extra });
  const pm2 = (args, timeoutMs) => runToEnd([node, PM2_CLI, ...args], { env: env(), timeoutMs });
  const ecosystem = path.join(home, 'ecosystem.config.js');
  let errors = [];
  return {
    id: 'pm2',
    label: `pm2 ${version('pm2') ?? ''} cluster mode, 2 instances`.replace('  ', ' '),
    how: 'pm2 start ecosystem.config.js (bench/peers/pm2/server.js), reloaded by `pm2 reload`',
    missing: () => (fs.existsSync(PM2_CLI) ? null : 'missing (bench/node_modules/pm2: npm ci --prefix bench)'),
    async start(port) {
      fs.mkdirSync(home, { recursive: true, mode: 0o700 });
      const app = {
        name: 'bench-app',
        script: PM2_APP,
        exec_mode: 'cluster',
        instances: 2,
        wait_ready: true,
        listen_timeout: 10_000,
        kill_timeout: LOAD.killTimeoutS * 1000,
        env: { PORT: String(port) },
      };
      fs.writeFileSync(ecosystem, `module.exports = ${JSON.stringify({ apps: [app] }, null, 2)};\n`);
      const result = await pm2(['start', ecosystem], 60_000);
      if (result.code !== 0) throw new Error(`pm2 start exited ${result.code}: ${lastLine(result.stderr)}`);
      // `pm2 start` returns while the instances are still launching: wait until pm2 says both are online.
      const deadline = Date.now() + 30_000;
      for (;;) {
        const list = await pm2(['jlist'], 30_000);
        let online = 0;
        try {
          online = JSON.parse(list.stdout).filter((proc) => proc.pm2_env?.status === 'online').length;
        } catch {
          // not JSON yet
        }
        if (online === 2) return;
        if (Date.now() > deadline) throw new Error('pm2 did not report 2 online instances within 30 s');
        await sleep(200);
      }
    },
    async reload() {
      const result = await pm2(['reload', 'bench-app'], LOAD.reloadTimeoutMs);
      if (result.code !== 0) throw new Error(`pm2 reload exited ${result.code}: ${lastLine(result.stderr)}`);
      errors.push(...result.stderr.split('\n').filter((line) => /error/i.test(line)));
    },
    problems: () => errors,
    async stop() {
      if (!fs.existsSync(home)) return;
      errors = [];
      await pm2(['kill'], 20_000);
      await endProcessesWithEnv(MARKER, home);
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}

/**
 * The load: autocannon in this process, `connections` keep-alive connections to 127.0.0.1:port,
 * every answer and failure time-stamped (ms since the load started).
 */
function startLoad(port) {
  const autocannon = require(AUTOCANNON);
  const startedAt = performance.now();
  const answered = [];
  const failures = [];
  let stopped = null;
  const instance = autocannon({
    url: `http://127.0.0.1:${port}/`,
    connections: LOAD.connections,
    pipelining: 1,
    timeout: LOAD.timeoutS,
    duration: LOAD.maxSeconds,
    maxOverallRequests: LOAD.maxRequests,
  });
  instance.on('response', (_client, statusCode) => {
    const at = performance.now() - startedAt;
    if (statusCode >= 200 && statusCode < 300) answered.push(at);
    else failures.push({ at, what: `HTTP ${statusCode}` });
  });
  instance.on('reqError', (error) => {
    failures.push({ at: performance.now() - startedAt, what: error.code ?? error.message });
  });
  return {
    answered,
    failures,
    now: () => performance.now() - startedAt,
    /** Stops the load (once); resolves to autocannon's totals. */
    stop() {
      stopped ??= (instance.stop(), Promise.resolve(instance));
      return stopped;
    },
  };
}

/** Answers per second within `windows` ([from, to] ms), and the total time they cover. */
function rateWithin(answered, windows) {
  const ms = windows.reduce((sum, [from, to]) => sum + (to - from), 0);
  let count = 0;
  for (const at of answered) if (windows.some(([from, to]) => at >= from && at < to)) count++;
  return { count, ms, perSecond: ms > 0 ? count / (ms / 1000) : null };
}

/** The time between and around the reload windows, from `from` to `to`. */
function between(windows, from, to) {
  const gaps = [];
  let cursor = from;
  for (const [start, end] of windows) {
    if (start > cursor) gaps.push([cursor, start]);
    cursor = Math.max(cursor, end);
  }
  if (to > cursor) gaps.push([cursor, to]);
  return gaps;
}

/** One peer under the load: start, steady load, `reloads` reloads with gaps, stop. */
async function measurePeer(peer, log) {
  const missing = peer.missing();
  if (missing) return { id: peer.id, label: peer.label, how: peer.how, failure: missing };
  let load = null;
  try {
    const port = await freePort();
    await peer.start(port);
    load = startLoad(port);
    await sleep(LOAD.steadyMs);
    const windows = [];
    for (let i = 0; i < LOAD.reloads; i++) {
      const from = load.now();
      await peer.reload();
      windows.push([from, load.now()]);
      log(`reload: ${peer.id} reload ${i + 1}/${LOAD.reloads} in ${(load.now() - from).toFixed(0)} ms`);
      await sleep(LOAD.gapMs);
    }
    const end = load.now();
    const totals = await load.stop();
    return summarise(peer, load, { windows, end, totals });
  } catch (error) {
    return { id: peer.id, label: peer.label, how: peer.how, failure: error.message };
  } finally {
    if (load) await load.stop();
    await peer.stop();
  }
}

function perSecond(times, end) {
  const counts = new Array(Math.ceil(end / 1000)).fill(0);
  for (const at of times) if (at < end) counts[Math.floor(at / 1000)]++;
  return counts;
}

/** Failed requests and throughput of one peer's run. */
function summarise(peer, load, { windows, end, totals }) {
  const { answered, failures } = load;
  const steadyWindows = between(windows, LOAD.warmUpMs, end);
  const during = rateWithin(answered, windows);
  const steady = rateWithin(answered, steadyWindows);
  const kinds = {};
  for (const failure of failures) kinds[failure.what] = (kinds[failure.what] ?? 0) + 1;
  return {
    id: peer.id,
    label: peer.label,
    how: peer.how,
    failure: null,
    requests: answered.length + failures.length,
    answered: answered.length,
    failed: failures.length,
    failedDuringReloads: failures.filter(({ at }) => windows.some(([from, to]) => at >= from && at < to)).length,
    failureKinds: kinds,
    // autocannon's own count, a cross-check of the events above
    autocannon: {
      errors: totals.errors,
      timeouts: totals.timeouts,
      non2xx: totals.non2xx,
      total: totals.requests.total,
    },
    reloadMs: windows.map(([from, to]) => to - from),
    steadyPerSecond: steady.perSecond,
    reloadPerSecond: during.perSecond,
    ratio: steady.perSecond && during.perSecond !== null ? during.perSecond / steady.perSecond : null,
    problems: peer.problems(),
    loadMs: end,
    /** Answers in each second of the load, for a look at the dips. */
    answersPerSecond: perSecond(answered, end),
  };
}

/** Every peer, one after the other, under the same load. */
async function measureReload({ node, scratchDir, homeOf, log }) {
  const peers = [mortarPeer({ node, scratchDir, homeOf }), pm2Peer({ node, scratchDir })];
  const rows = [];
  for (const peer of peers) {
    log(`reload: ${peer.label}: ${LOAD.connections} keep-alive connections, ${LOAD.reloads} reloads`);
    rows.push(await measurePeer(peer, log));
  }
  return { load: LOAD, autocannon: version('autocannon'), rows };
}

/** Ends whatever this row started under `scratchDir` (an interrupted run): pm2 by `pm2 kill`, then everything by pid. */
async function cleanUpReload({ scratchDir, homeOf }) {
  await mortarPeer({ node: process.execPath, scratchDir, homeOf }).stop();
  await pm2Peer({ node: process.execPath, scratchDir }).stop();
}

function formatReload({ load, autocannon, rows }) {
  const fixed = (value, digits) => (value === null || value === undefined ? '' : value.toFixed(digits));
  const median = (values) => {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted.length === 0 ? null : sorted[(sorted.length - 1) >> 1];
  };
  const lines = [
    '',
    `Rolling reload under load: autocannon ${autocannon ?? ''}, ${load.connections} keep-alive connections to 127.0.0.1, ${load.reloads} reloads of 2 workers`,
    '',
    `${'case'.padEnd(40)} ${'requests'.padStart(9)} ${'failed'.padStart(7)} ${'steady/s'.padStart(9)} ${'reload/s'.padStart(9)} ${'× steady'.padStart(9)} ${'reload ms'.padStart(10)}`,
  ];
  for (const row of rows) {
    if (row.failure) {
      lines.push(`${row.label.padEnd(40)} failed: ${row.failure}`);
      continue;
    }
    lines.push(
      `${row.label.padEnd(40)} ${String(row.requests).padStart(9)} ${String(row.failed).padStart(7)} ${fixed(row.steadyPerSecond, 0).padStart(9)} ${fixed(row.reloadPerSecond, 0).padStart(9)} ${fixed(row.ratio, 2).padStart(9)} ${fixed(median(row.reloadMs), 0).padStart(10)}`,
    );
  }
  const mortar = rows.find((row) => row.id === 'mortar' && !row.failure);
  if (mortar) {
    const verdict = (met) => (met ? 'met' : 'NOT met');
    lines.push(
      '',
      `mortar failed requests = ${GOALS.failed}: ${verdict(mortar.failed === GOALS.failed && mortar.requests >= load.minRequests)} (${mortar.failed} of ${mortar.requests})`,
      `mortar throughput during reloads ≥ ${GOALS.reloadThroughput.toFixed(2)}× steady: ${verdict(mortar.ratio !== null && mortar.ratio >= GOALS.reloadThroughput)} (${mortar.ratio === null ? 'no ratio' : `${mortar.ratio.toFixed(2)}×`})`,
    );
  }
  lines.push('');
  for (const row of rows) {
    if (row.failure) continue;
    const kinds = Object.entries(row.failureKinds)
      .map(([what, n]) => `${n} ${what}`)
      .join(', ');
    const notes = [
      `${row.failed} failed of ${row.requests} (${row.failedDuringReloads} during a reload${kinds ? `: ${kinds}` : ''})`,
      `autocannon counted ${row.autocannon.errors} errors (${row.autocannon.timeouts} timeouts), ${row.autocannon.non2xx} non-2xx`,
      `reloads ${row.reloadMs.map((ms) => ms.toFixed(0)).join(', ')} ms`,
    ];
    if (row.requests < load.minRequests) notes.push(`fewer than ${load.minRequests} requests: no figure to trust`);
    if (row.problems.length > 0) notes.push(`${row.problems.length} error lines, first: ${row.problems[0]}`);
    lines.push(`- ${row.label}: ${notes.join('; ')}`);
  }
  lines.push(
    `- failed = errors + timeouts (${load.timeoutS} s) + non-2xx answers, as the load generator saw them. reload/s: answers per`,
    '  second while a reload ran (from the reload command to its end: for mortar the primary logging `reloaded:` and',
    '  every old worker gone, for pm2 `pm2 reload` exiting); steady/s: between and after the reloads.',
    `- Both with kill_timeout ${load.killTimeoutS} s; pm2 with wait_ready, listen_timeout and server.close() on SIGINT. The`,
    '  load generator runs in the benchmark process, on the same cores.',
  );
  return `${lines.join('\n')}\n`;
}

module.exports = { LOAD, measureReload, formatReload, cleanUpReload };
