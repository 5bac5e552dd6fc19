'use strict';
// Starting a daemon case, checking its pid file at the moment the invoker exits, and ending it.
const fs = require('node:fs');
const path = require('node:path');
const { cleanEnv, runTimed, runPeakRss, isAlive, stopPid } = require('./proc');

/** What the pid file says right now: { ready, pid?, why? }. Ready means it names a live process other than the invoker. */
function inspectPidFile(pidFile, invokerPid) {
  let text;
  try {
    text = fs.readFileSync(pidFile, 'utf8');
  } catch {
    return { ready: false, why: 'no pid file when the invoker exited' };
  }
  const match = /^(\d+)\n?$/.exec(text);
  if (!match) return { ready: false, why: `pid file holds ${JSON.stringify(text.slice(0, 20))}` };
  const pid = Number(match[1]);
  if (pid === invokerPid) return { ready: false, pid, why: 'pid file names the exiting invoker' };
  if (!isAlive(pid)) return { ready: false, pid, why: 'pid file names no live process' };
  return { ready: true, pid };
}

/** Whether a process's environment carries exactly `name=value`. */
function hasEnv(pid, name, value) {
  const needle = Buffer.from(`${name}=${value}\0`);
  try {
    const environ = fs.readFileSync(`/proc/${pid}/environ`);
    return environ.indexOf(needle) === 0 || environ.includes(Buffer.concat([Buffer.from('\0'), needle]));
  } catch {
    return false; // gone, or not readable
  }
}

/** Live processes whose environment carries exactly `name=value`: the daemons this run started. */
function processesWithEnv(name, value) {
  const found = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    if (hasEnv(Number(entry), name, value) && isAlive(Number(entry))) found.push(Number(entry));
  }
  return found;
}

class DaemonRunner {
  /**
   * @param {string} scratchDir a private directory for the pid files
   * @param {string} node the node binary the daemons run on
   * @param {(id: string) => string} homeOf the HOME of a case's processes
   */
  constructor(scratchDir, root, node, homeOf) {
    this.scratchDir = scratchDir;
    this.root = root;
    this.node = node;
    this.homeOf = homeOf;
  }

  pidFileOf(daemonCase) {
    return path.join(this.scratchDir, `${daemonCase.id}.pid`);
  }

  argvOf(daemonCase) {
    return [this.node, daemonCase.script, ...daemonCase.args];
  }

  envOf(daemonCase) {
    return cleanEnv({
      HOME: this.homeOf(daemonCase.id),
      ...daemonCase.env,
      [daemonCase.pidFileEnv]: this.pidFileOf(daemonCase),
    });
  }

  /**
   * Starts the daemon once and times its invoker. Resolves to
   * { ms, code, stderr, ready, why?, pid? }; the daemon is still running: call `stop` next.
   */
  async start(daemonCase) {
    const pidFile = this.pidFileOf(daemonCase);
    const run = await runTimed(this.argvOf(daemonCase), {
      cwd: this.root,
      env: this.envOf(daemonCase),
      onExit: (child) => inspectPidFile(pidFile, child.pid),
    });
    return {
      ms: run.ms,
      code: run.code,
      signal: run.signal,
      stderr: run.stderr,
      spawnError: run.spawnError,
      ...run.atExit,
    };
  }

  /**
   * Starts the daemon through the peak-RSS wrapper, waits `idleMs`, and reads the daemon's VmRSS.
   * Resolves to { invokerKib, pid?, ready }; call `stop` next.
   */
  async startForRss(daemonCase, idleMs, vmRssKib, sleep) {
    const pidFile = this.pidFileOf(daemonCase);
    const { kib, run } = await runPeakRss(this.argvOf(daemonCase), {
      cwd: this.root,
      env: this.envOf(daemonCase),
      onExit: () => inspectPidFile(pidFile, -1),
    });
    const state = run.atExit ?? { ready: false };
    let idleKib = null;
    if (state.ready) {
      await sleep(idleMs);
      idleKib = isAlive(state.pid) ? vmRssKib(state.pid) : null;
    }
    return { invokerKib: kib, idleKib, ...state };
  }

  /**
   * Ends every daemon this case started (by pid: every process carrying its pid file in its
   * environment), then makes sure the pid file is gone.
   * Resolves to { outcomes, leftPidFile }.
   */
  async stop(daemonCase) {
    const pidFile = this.pidFileOf(daemonCase);
    // Only processes carrying this run's pid file in their environment are ours: the pid the
    // file names may have been handed to another process, so it is never signalled on its own.
    const pids = new Set(processesWithEnv(daemonCase.pidFileEnv, pidFile));
    const outcomes = [];
    for (const pid of pids) {
      const outcome = await stopPid(pid, (candidate) => hasEnv(candidate, daemonCase.pidFileEnv, pidFile));
      // A process that ended with one stopped before it (a worker with its primary) is no news.
      if (outcome !== 'not running' || outcomes.every((earlier) => earlier === 'not running')) outcomes.push(outcome);
    }
    const leftPidFile = fs.existsSync(pidFile);
    fs.rmSync(pidFile, { force: true });
    return { outcomes, leftPidFile };
  }
}

module.exports = { DaemonRunner, inspectPidFile, hasEnv, processesWithEnv };
