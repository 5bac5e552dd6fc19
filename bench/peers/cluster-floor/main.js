'use strict';
// Reference point, not a framework: the least a daemon serving from 2 cluster workers costs to
// start in Node, with no dependencies. The invoker re-executes itself detached (a new session);
// that primary writes its pid file and forks 2 workers of node:cluster, each of which listens on
// 127.0.0.1 (a port the cluster picks, shared) and says "ready"; once both have, the primary says
// "ready" over a pipe and the invoker exits 0.
// Usage: CLUSTER_FLOOR_PID_FILE=/abs/path node main.js
const { spawn } = require('node:child_process');
const cluster = require('node:cluster');
const fs = require('node:fs');
const http = require('node:http');

const CHILD_MARKER = 'CLUSTER_FLOOR_CHILD';
const READY_FD = 3;
const WORKERS = 2;
const pidFile = process.env.CLUSTER_FLOOR_PID_FILE;

if (!pidFile) {
  process.stderr.write('CLUSTER_FLOOR_PID_FILE is not set.\n');
  process.exitCode = 2;
} else if (cluster.isWorker) {
  runWorker();
} else if (process.env[CHILD_MARKER] === undefined) {
  startDaemon();
} else {
  runPrimary();
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

function runPrimary() {
  delete process.env[CHILD_MARKER];
  try {
    fs.writeFileSync(pidFile, `${process.pid}\n`, { flag: 'wx' });
  } catch (error) {
    fs.writeSync(READY_FD, error.message);
    process.exit(1);
  }
  const stop = () => {
    for (const worker of Object.values(cluster.workers)) worker.process.kill('SIGTERM');
    try {
      if (fs.readFileSync(pidFile, 'utf8') === `${process.pid}\n`) fs.unlinkSync(pidFile);
    } finally {
      process.exit(0);
    }
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('SIGHUP', stop);
  let ready = 0;
  for (let i = 0; i < WORKERS; i++) {
    const worker = cluster.fork();
    worker.on('message', (message) => {
      if (message !== 'ready' || ++ready < WORKERS) return;
      fs.writeSync(READY_FD, 'ready');
      fs.closeSync(READY_FD);
    });
    worker.on('exit', () => {
      if (ready < WORKERS) {
        fs.writeSync(READY_FD, `worker ${worker.id} exited before it was ready`);
        process.exit(1);
      }
    });
  }
}

function runWorker() {
  const server = http.createServer((_request, response) => response.end(`hello from pid ${process.pid}\n`));
  server.listen(0, '127.0.0.1', () => process.send('ready'));
}
