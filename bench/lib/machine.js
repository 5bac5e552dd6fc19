'use strict';
// What the figures were measured on, for the report's header.
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

function describeMachine() {
  return {
    node: process.version,
    cpu: cpuModel(),
    cores: os.availableParallelism ? os.availableParallelism() : os.cpus().length,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    date: new Date().toISOString(),
  };
}

module.exports = { describeMachine, loadAverage };
