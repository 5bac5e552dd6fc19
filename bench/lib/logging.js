'use strict';
// The logging row: 100,000 info lines to a file through app.log (text, json, text rotating at
// 1 MiB) beside pino (sync and async) and floors (bare fs.writeSync loops of the same lines,
// formatted beforehand). Each case runs in a fresh node, interleaved, `runs` times; medians of the
// CPU time (user + system) each case used, which waiting for a busy core does not inflate, and of
// the wall time.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const CASE_SCRIPT = path.join(__dirname, 'logging-case.js');
const ORDER = [
  'floor-text',
  'mortar-text',
  'mortar-text-rotate',
  'floor-json',
  'mortar-json',
  'pino-sync',
  'pino-async',
];
const LABELS = {
  'floor-text': 'floor: fs.writeSync of the text lines',
  'mortar-text': 'mortar app.log, text',
  'mortar-text-rotate': 'mortar app.log, text, rotate at 1 MiB',
  'floor-json': 'floor: fs.writeSync of the json lines',
  'mortar-json': 'mortar app.log, json',
  'pino-sync': 'pino, destination sync: true',
  'pino-async': 'pino, destination sync: false (async)',
};
/** mortar's budgets: each case against its floor or the case it adds to. */
const BUDGETS = [
  { id: 'mortar-text', of: 'floor-text', limit: 1.15 },
  { id: 'mortar-json', of: 'floor-json', limit: 1.15 },
  { id: 'mortar-text-rotate', of: 'mortar-text', limit: 1.05 },
];

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Runs every case `runs` times, interleaved; resolves to { rows, budgets }. */
function measureLogging({ node, scratchDir, runs, log }) {
  const samples = Object.fromEntries(ORDER.map((id) => [id, { cpu: [], wall: [] }]));
  const failures = {};
  for (let round = 0; round < runs + 1; round++) {
    for (const id of ORDER) {
      const dir = fs.mkdtempSync(path.join(scratchDir, `log-${id}-`));
      const result = spawnSync(node, [CASE_SCRIPT, id, path.join(dir, 'bench.log')], {
        encoding: 'utf8',
        timeout: 120_000,
      });
      fs.rmSync(dir, { recursive: true, force: true });
      if (result.status !== 0) {
        failures[id] = (result.stderr || String(result.error)).trim().split('\n')[0];
        continue;
      }
      // round 0 warms the page cache and the disk: not counted
      if (round > 0) {
        const { cpuUs, wallNs } = JSON.parse(result.stdout);
        samples[id].cpu.push(cpuUs / 1000);
        samples[id].wall.push(wallNs / 1e6);
      }
    }
    log?.(`logging round ${round + 1}/${runs + 1}`);
  }
  const rows = ORDER.map((id) => {
    const { cpu, wall } = samples[id];
    const ms = cpu.length ? median(cpu) : null;
    return {
      id,
      label: LABELS[id],
      runs: cpu.length,
      failure: failures[id] ?? null,
      ms,
      wallMs: wall.length ? median(wall) : null,
      linesPerSecond: ms === null ? null : 100_000 / (ms / 1000),
    };
  });
  const byId = new Map(rows.map((row) => [row.id, row]));
  for (const row of rows) {
    const floorRow = byId.get(row.id.includes('json') ? 'floor-json' : 'floor-text');
    row.toFloor = row.ms && floorRow.ms ? row.ms / floorRow.ms : null;
    row.toPinoSync = row.ms && byId.get('pino-sync').ms ? row.ms / byId.get('pino-sync').ms : null;
  }
  const budgets = BUDGETS.map(({ id, of, limit }) => {
    const ratio = byId.get(id).ms && byId.get(of).ms ? byId.get(id).ms / byId.get(of).ms : null;
    return { id, of, limit, ratio, met: ratio === null ? null : ratio <= limit };
  });
  return { rows, budgets };
}

function formatLogging({ rows, budgets }) {
  const fixed = (value, digits) => (value === null ? '' : value.toFixed(digits));
  const lines = [
    '',
    'Logging: 100,000 info lines to a file (medians over fresh processes; CPU = user + system time)',
    '',
  ];
  lines.push(
    `${'case'.padEnd(42)} ${'CPU ms'.padStart(8)} ${'wall ms'.padStart(8)} ${'lines/s'.padStart(10)} ${'× floor'.padStart(8)} ${'× pino sync'.padStart(12)}`,
  );
  for (const row of rows) {
    const cells = row.failure
      ? [`failed: ${row.failure}`]
      : [
          fixed(row.ms, 1).padStart(8),
          fixed(row.wallMs, 1).padStart(8),
          fixed(row.linesPerSecond, 0).padStart(10),
          fixed(row.toFloor, 2).padStart(8),
          fixed(row.toPinoSync, 2).padStart(12),
        ];
    lines.push(`${row.label.padEnd(42)} ${cells.join(' ')}`);
  }
  lines.push('');
  for (const budget of budgets) {
    const verdict = budget.met === null ? 'no verdict' : budget.met ? 'met' : 'NOT met';
    lines.push(
      `${LABELS[budget.id]} ≤ ${budget.limit.toFixed(2)}× ${LABELS[budget.of]}: ${verdict}${budget.ratio === null ? '' : ` (${budget.ratio.toFixed(2)}×)`}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

module.exports = { measureLogging, formatLogging };
