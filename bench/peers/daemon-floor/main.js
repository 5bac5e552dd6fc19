'use strict';
// Reference point, not a framework: the least a correct daemon start costs in Node, with no
// dependencies. The invoker re-executes itself detached (a new session), and exits 0 only once
// the child has written its pid file and said "ready" over a pipe.
// Usage: DAEMON_FLOOR_PID_FILE=/abs/path node main.js
const { spawn } = require('node:child_process');
const fs = require('node:fs');

const CHILD_MARKER = 'DAEMON_FLOOR_CHILD';
const READY_FD = 3;
const pidFile = process.env.DAEMON_FLOOR_PID_FILE;

if (!pidFile) {
  process.stderr.write('DAEMON_FLOOR_PID_FILE is not set.\n');
  process.exitCode = 2;
} else if (process.env[CHILD_MARKER] === undefined) {
  startDaemon();
} else {
  runDaemon();
}

function startDaemon() {
  const child = spawn(process.execPath, [...process.execArgv, __filename, ...process.argv.slice(2)], {
    detached: true,
    stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
    env: { ...process.env, [CHILD_MARKER]: '1' },
  });
  let reply = '';
  child.stdio[READY_FD].setEncoding('utf8');
  child.stdio[READY_FD].on('data', (chunk) => {
    reply += chunk;
  });
  child.stdio[READY_FD].on('end', () => {
    if (reply === 'ready') process.exit(0);
    process.stderr.write(`daemon failed to start: ${reply || 'no reply'}\n`);
    process.exit(1);
  });
}

function runDaemon() {
  delete process.env[CHILD_MARKER];
  try {
    fs.writeFileSync(pidFile, `${process.pid}\n`, { flag: 'wx' });
  } catch (error) {
    fs.writeSync(READY_FD, error.message);
    process.exit(1);
  }
  const stop = () => {
    try {
      if (fs.readFileSync(pidFile, 'utf8') === `${process.pid}\n`) fs.unlinkSync(pidFile);
    } finally {
      process.exit(0);
    }
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('SIGHUP', stop);
  setInterval(() => {}, 60_000);
  fs.writeSync(READY_FD, 'ready');
  fs.closeSync(READY_FD);
}
