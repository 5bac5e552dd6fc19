'use strict';
// What the figures were measured on, for the report's header.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');

function cpuModel() {
  try {
    const match = /^model name\s*:\s*(.+)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'));
    if (match) return match[1].trim();
  } catch {
    // not Linux
  }
  return os.cpus()[0]?.model ?? 'unknown';
}

function loadAverage() {
  return os.loadavg()[0];
}

/** The machine, and the version of `node`, the binary the cases run on. */
function describeMachine(node = process.execPath) {
  const version =
    node === process.execPath
      ? process.version
      : spawnSync(node, ['-p', 'process.version'], { encoding: 'utf8' }).stdout.trim();
  return {
    node: version,
    nodePath: node,
    cpu: cpuModel(),
    cores: os.availableParallelism ? os.availableParallelism() : os.cpus().length,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    date: new Date().toISOString(),
  };
}

module.exports = { describeMachine, loadAverage };
