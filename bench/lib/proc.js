'use strict';
// Starting, timing, measuring and ending child processes. Every child gets a clean
// environment, and every process started here is ended by its pid and reaped.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

/** The only variables a child sees (PATH, HOME, LANG=C), plus what its case adds or replaces:
 * the parent's environment (NODE_OPTIONS, NODE_EXTRA_CA_CERTS, npm's variables...) changes
 * Node's start-up time. */
function cleanEnv(extra = {}) {
  const env = { LANG: 'C' };
  if (process.env.PATH !== undefined) env.PATH = process.env.PATH;
  if (process.env.HOME !== undefined) env.HOME = process.env.HOME;
  return { ...env, ...extra };
}

/**
 * Runs `argv` once and resolves when its output is closed (or `exitGraceMs` after it exits,
 * whichever comes first: a daemon may hold an inherited pipe).
 * `ms` is the wall time from spawn to the process's exit.
 * `onExit(child)` runs synchronously as soon as the exit is seen, to inspect the world at that moment.
 */
function runTimed(argv, { cwd, env, onExit, timeoutMs = 60_000, exitGraceMs = 2_000 } = {}) {
  return new Promise((resolve) => {
    const stdout = [];
    const stderr = [];
    const start = process.hrtime.bigint();
    const child = spawn(argv[0], argv.slice(1), { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let ms = null;
    let code = null;
    let signal = null;
    let atExit;
    let spawnError = null;
    let settled = false;
    child.stdout.on('data', (chunk) => stdout.push(chunk));
    child.stderr.on('data', (chunk) => stderr.push(chunk));
    const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const settle = () => {
      if (settled) return;
      settled = true;
      clearTimeout(killer);
      child.stdout.destroy();
      child.stderr.destroy();
      resolve({
        ms,
        code,
        signal,
        atExit,
        pid: child.pid,
        spawnError,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
      });
    };
    child.on('error', (error) => {
      spawnError = error;
      settle();
    });
    child.on('exit', (exitCode, exitSignal) => {
      ms = Number(process.hrtime.bigint() - start) / 1e6;
      code = exitCode;
      signal = exitSignal;
      if (onExit) atExit = onExit(child);
      setTimeout(settle, exitGraceMs).unref();
    });
    child.on('close', settle);
  });
}

let rssTool;
/** How peak RSS is taken: GNU time when present, else python3's os.wait4, else nothing. */
function peakRssTool() {
  if (rssTool !== undefined) return rssTool;
  rssTool = null;
  if (fs.existsSync('/usr/bin/time')) {
    rssTool = { name: '/usr/bin/time -f %M', wrap: (argv, out) => ['/usr/bin/time', '-f', '%M', '-o', out, ...argv] };
  } else {
    const python = findOnPath('python3');
    if (python) {
      const script =
        'import os,sys\npid=os.fork()\nif pid==0:\n  os.execv(sys.argv[2],sys.argv[2:])\n' +
        '_,status,usage=os.wait4(pid,0)\nopen(sys.argv[1],"w").write(str(usage.ru_maxrss))\n' +
        'sys.exit(os.waitstatus_to_exitcode(status) & 255)\n';
      rssTool = { name: 'python3 os.wait4', wrap: (argv, out) => [python, '-c', script, out, ...argv] };
    }
  }
  return rssTool;
}

function findOnPath(name) {
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return null;
}

let rssFileCounter = 0;
/** Runs `argv` once under the peak-RSS wrapper; resolves to { kib, run } (kib null when unknown). */
async function runPeakRss(argv, options = {}) {
  const tool = peakRssTool();
  if (!tool) return { kib: null, run: await runTimed(argv, options) };
  const out = path.join(os.tmpdir(), `mortar-bench-rss-${process.pid}-${rssFileCounter++}`);
  try {
    const run = await runTimed(tool.wrap(argv, out), options);
    const text = fs.existsSync(out) ? fs.readFileSync(out, 'utf8').trim().split('\n').pop() : '';
    const kib = /^\d+$/.test(text) ? Number(text) : null;
    return { kib, run };
  } finally {
    fs.rmSync(out, { force: true });
  }
}

/** The one-letter state from /proc/<pid>/stat ('R', 'S', 'Z'...), or null when there is no such process. */
function procState(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return null;
  }
}

/** A process counts as alive when it exists and is not a zombie. */
function isAlive(pid) {
  const state = procState(pid);
  return state !== null && state !== 'Z';
}

/** VmRSS of a running process in KiB, or null. */
function vmRssKib(pid) {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitUntil(predicate, timeoutMs, stepMs = 5) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (predicate()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(stepMs);
  }
}

/**
 * Ends a process that is not our child (a daemon) by its pid: SIGTERM, wait until it is gone
 * or a zombie, SIGKILL after `graceMs`. `isOwn(pid)` must confirm, before each signal, that
 * the pid still names one of this run's processes (it may have ended and its pid been reused
 * meanwhile). Resolves to 'not running', 'terminated', 'killed' or 'survived'.
 */
async function stopPid(pid, isOwn, graceMs = 3_000) {
  if (!Number.isSafeInteger(pid) || pid <= 1 || pid === process.pid) throw new Error(`refusing to signal pid ${pid}`);
  const send = (signal) => {
    if (!isAlive(pid) || !isOwn(pid)) return false;
    try {
      process.kill(pid, signal);
      return true;
    } catch {
      return false;
    }
  };
  if (!send('SIGTERM')) return 'not running';
  if (await waitUntil(() => !isAlive(pid), graceMs)) return 'terminated';
  send('SIGKILL');
  return (await waitUntil(() => !isAlive(pid), 2_000)) ? 'killed' : 'survived';
}

/**
 * Starts a long-running child of ours, for idle-RSS measurements; `stop()` ends and reaps it.
 */
function startIdle(argv, { cwd, env }) {
  const child = spawn(argv[0], argv.slice(1), { cwd, env, stdio: 'ignore' });
  const exited = new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    child.on('exit', () => resolve());
    child.on('error', () => resolve());
  });
  return {
    pid: child.pid,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

module.exports = {
  cleanEnv,
  runTimed,
  runPeakRss,
  peakRssTool,
  procState,
  isAlive,
  vmRssKib,
  sleep,
  waitUntil,
  stopPid,
  startIdle,
};
