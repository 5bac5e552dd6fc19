'use strict';
// `run.js --profile CASE`: one run of a case with a CPU profile (node --cpu-prof) and the
// module-load report of bench/profile/load-timer.js, written to bench/.profiles/<case>-<time>/.
const fs = require('node:fs');
const path = require('node:path');
const { cleanEnv, runTimed, sleep } = require('./proc');
const { rel } = require('./cases');

const DAEMON_PROFILE_WAIT_MS = 2_000;

async function profileCase(c, { root, bench, daemons, node, homeOf }) {
  const missing = c.missing();
  if (missing) {
    process.stderr.write(`${c.id}: ${missing}\n`);
    return 1;
  }
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const dir = path.join(bench, '.profiles', `${c.id}-${stamp}`);
  fs.mkdirSync(dir, { recursive: true });
  const execArgv = ['--cpu-prof', `--cpu-prof-dir=${dir}`, '-r', path.join(bench, 'profile', 'load-timer.js')];
  const argv = [node, ...execArgv, c.script, ...c.args];
  const extraEnv = { HOME: homeOf(c.id), ...c.env, MORTAR_BENCH_LOAD_REPORT_DIR: dir };
  if (c.kind === 'daemon') extraEnv[c.pidFileEnv] = daemons.pidFileOf(c);

  const run = await runTimed(argv, { cwd: root, env: cleanEnv(extraEnv) });
  const lines = [
    `profiled: node ${execArgv.join(' ')} ${rel(c.script)} ${c.args.join(' ')}`.trimEnd(),
    `exit ${run.code ?? run.signal} after ${run.ms.toFixed(1)} ms (profiling slows it; use the benchmark for timings)`,
  ];
  if (c.kind === 'daemon') {
    // Let the daemon write its load report, then end it; its CPU profile is written only
    // if it exits normally on SIGTERM.
    await sleep(DAEMON_PROFILE_WAIT_MS);
    const stopped = await daemons.stop(c);
    lines.push(`daemon stopped: ${stopped.outcomes.join(', ') || 'none was running'}`);
    await sleep(200);
  }
  lines.push(`output in ${rel(dir)}/`);
  for (const file of fs.readdirSync(dir).sort()) lines.push(`  ${file}`);
  for (const file of fs
    .readdirSync(dir)
    .filter((name) => name.startsWith('modules-'))
    .sort()) {
    lines.push('', `== ${file}`, fs.readFileSync(path.join(dir, file), 'utf8'));
  }
  lines.push('Open a .cpuprofile in Chrome DevTools (Performance panel) or VS Code.');
  process.stdout.write(`${lines.join('\n')}\n`);
  return run.code === 0 ? 0 : 1;
}

module.exports = { profileCase };
