'use strict';
// The report: a plain-text table with a verdict per budget, or the same data as JSON.
const { rel } = require('./cases');

const mib = (kib) => (kib === null || kib === undefined ? null : kib / 1024);
const fixed = (value, digits) => (value === null || value === undefined ? '' : value.toFixed(digits));

/** { text, met } for a result's budget, or null when the row has none. */
function verdictOf(result, byId) {
  const budget = result.budget;
  if (!budget || result.status !== 'ok') return null;
  const runsTotal = result.samplesMs.length + result.failures.length;
  let ratio;
  let against;
  if (budget.of === 'node') {
    ratio = result.ratio;
    against = 'node';
  } else {
    const other = byId.get(budget.of);
    if (!other || other.status !== 'ok' || !other.timing || !result.timing) {
      return { budget: `≤ ${budget.limit.toFixed(2)}× ${other?.label ?? budget.of}`, met: null, text: `no verdict: ${budget.of} not measured` };
    }
    ratio = result.timing.median / other.timing.median;
    against = other.label;
  }
  const problems = [];
  if (result.failures.length > 0) problems.push(`${result.failures.length}/${runsTotal} runs failed`);
  if (result.kind === 'daemon' && result.readyCount < runsTotal) problems.push(`pid file ready ${result.readyCount}/${runsTotal}`);
  const met = ratio !== null && ratio <= budget.limit && problems.length === 0;
  const detail = [budget.of === 'node' ? null : `${ratio.toFixed(2)}×`, ...problems].filter(Boolean).join(', ');
  const label = `≤ ${budget.limit.toFixed(2)}× ${against}${result.kind === 'daemon' ? ', pid ready' : ''}`;
  return { budget: label, met, ratio, text: `${met ? 'met' : 'NOT met'}${detail ? ` (${detail})` : ''}` };
}

function idleVerdictOf(result) {
  if (result.idleRssBudget === undefined || result.status !== 'ok') return null;
  const ratio = result.idleRssRatio;
  const met = ratio !== null && ratio !== undefined && ratio <= result.idleRssBudget;
  return { budget: `≤ ${result.idleRssBudget.toFixed(2)}× node idle`, met, ratio, text: met ? 'met' : 'NOT met' };
}

/** Rows of cells for the table, plus per-row verdicts for JSON. */
function buildRows(data) {
  const byId = new Map(data.results.map((result) => [result.id, result]));
  const rows = [[
    'node -e 0 (baseline)', fixed(data.baseline.timing?.median, 1),
    data.baseline.timing ? `${fixed(data.baseline.timing.p25, 1)}–${fixed(data.baseline.timing.p75, 1)}` : '',
    '1.00', fixed(mib(data.baseline.peakRssKib), 1), '', '',
  ]];
  for (const result of data.results) {
    if (result.status !== 'ok') {
      rows.push([result.label, { span: result.status === 'missing' ? result.reason : `failed: ${result.reason}` }]);
      continue;
    }
    const verdict = verdictOf(result, byId);
    result.verdict = verdict;
    let note = '';
    if (!verdict && result.kind === 'daemon') note = `(pid file ready ${result.readyCount}/${result.samplesMs.length + result.failures.length})`;
    if (!verdict && result.failures.length > 0) note = `(${result.failures.length} runs failed)`;
    rows.push([
      result.label, fixed(result.timing?.median, 1),
      result.timing ? `${fixed(result.timing.p25, 1)}–${fixed(result.timing.p75, 1)}` : '',
      fixed(result.ratio, 2), fixed(mib(result.peakRssKib), 1), verdict?.budget ?? '', verdict?.text ?? note,
    ]);
    if (result.kind === 'daemon') {
      const idle = idleVerdictOf(result);
      result.idleVerdict = idle;
      const detail = result.idleRssRatio !== null && result.idleRssRatio !== undefined
        ? `${result.idleRssRatio.toFixed(2)}× node idle ${fixed(mib(result.nodeIdleRssKib), 1)} MiB` : 'not measured';
      rows.push([
        `${result.label}: idle RSS`, '', '', '', fixed(mib(result.idleRssKib), 1),
        idle?.budget ?? '', idle ? `${idle.text} (${detail})` : `(${detail})`,
      ]);
    }
  }
  return rows;
}

function formatTable(rows) {
  const header = ['case', 'median ms', 'p25–p75 ms', '× node', 'peak RSS MiB', 'budget', 'verdict'];
  const right = new Set([1, 2, 3, 4]);
  const widths = header.map((cell) => cell.length);
  for (const row of rows) {
    if (row[1]?.span !== undefined) {
      widths[0] = Math.max(widths[0], row[0].length);
      continue;
    }
    row.forEach((cell, i) => { widths[i] = Math.max(widths[i], cell.length); });
  }
  const line = (cells) => cells.map((cell, i) => (right.has(i) ? cell.padStart(widths[i]) : cell.padEnd(widths[i])))
    .join('  ').trimEnd();
  const out = [line(header), line(widths.map((width) => '-'.repeat(width)))];
  for (const row of rows) {
    out.push(row[1]?.span !== undefined ? `${row[0].padEnd(widths[0])}  ${row[1].span}` : line(row));
  }
  return out.join('\n');
}

function formatText(data) {
  const m = data.machine;
  const rows = buildRows(data);
  const lines = [
    'mortar start-up benchmark',
    `node ${m.node} · ${m.cpu} · ${m.cores} cores · ${m.platform}`,
    `${m.date} · ${data.options.runs} runs, ${data.options.warmup} warm-up · peak RSS: median of ${data.options.rssRuns} runs via ${data.rssTool ?? 'nothing (no /usr/bin/time, no python3)'}`,
    `load average ${data.load.start.toFixed(2)} at start, ${data.load.end.toFixed(2)} at end · ${(data.elapsedMs / 1000).toFixed(0)} s`,
    '',
    formatTable(rows),
    '',
    'Notes',
    '- median ms: wall time from spawn to exit. × node: that median over the median of the `node -e 0` runs',
    '  interleaved with it (baseline, case, baseline, case...) in the same loop. Children get only PATH, HOME, LANG=C.',
    '- daemon start: time until the invoker exits; "pid ready" means the pid file then named a live process other',
    `  than the invoker. Idle RSS: the daemon's VmRSS ${data.idleMs} ms after the invoker exited, against a bare`,
    `  \`node -e "setInterval(...)"\` ${data.idleMs} ms after spawn. peak RSS of a daemon row is its invoker's.`,
    '- 1,000 commands: 100 nested controllers × 10 commands in one generated module; its budget compares its median',
    '  with the 1-command app\'s (same shape, measured in the same loop).',
    '- ref: rows are reference points, not frameworks: mortar\'s three dependencies loaded eagerly; a',
    '  dependency-free hand-written daemon start (re-exec, setsid, readiness pipe, pid file); and the scale apps',
    '  with mortar replaced by no-op decorators, i.e. what compiling and decorating the user\'s own module costs.',
    '  mortar\'s own cost for 1,000 commands is (mortar 1,000 − ref 1,000) against (mortar 1 − ref 1).',
    '- Python Cement is not measured: Python packages cannot be installed on this machine.',
  ];
  for (const result of data.results) {
    if (result.status !== 'ok') continue;
    const extra = [];
    if (result.failures.length > 0) extra.push(`${result.failures.length} failed runs, first: ${result.failures[0]}`);
    if (result.notReady?.length > 0) extra.push(`pid file not ready: ${[...new Set(result.notReady)].join('; ')}`);
    if (result.leftPidFiles > 0) extra.push(`pid file left behind after SIGTERM in ${result.leftPidFiles} runs (removed)`);
    if (result.stopOutcomes?.length > 0) extra.push(`daemon stop: ${[...new Set(result.stopOutcomes)].join(', ')}`);
    if (extra.length > 0) lines.push(`- ${result.label}: ${extra.join('; ')}`);
  }
  const drifted = data.results.filter((result) => result.status === 'ok' && result.ratio && result.pairedRatio
    && Math.abs(result.pairedRatio / result.ratio - 1) > 0.1);
  if (drifted.length > 0) {
    lines.push('- The load changed during these rows\' loops: the median of each run over the node -e 0 just before it',
      `  differs by more than 10% from the ratio of medians: ${drifted.map((result) => `${result.id} ${result.pairedRatio.toFixed(2)}×`).join(', ')}.`);
  }
  if (Math.max(data.load.start, data.load.end) > data.machine.cores) {
    lines.push(`- The load average exceeded the ${data.machine.cores} cores during this run: other work competed for`,
      '  the CPU, so the absolute times are inflated and the ratios noisier than on an idle machine.');
  }
  const idWidth = Math.max(8, ...data.results.map((result) => result.id.length));
  lines.push('', 'Commands (node <script> <args>, from the repository root)');
  lines.push(`  ${'baseline'.padEnd(idWidth)}  node -e 0`);
  for (const result of data.results) {
    const [script, ...args] = result.command;
    lines.push(`  ${result.id.padEnd(idWidth)}  node ${rel(script)}${args.length ? ` ${args.join(' ')}` : ''}`);
  }
  return `${lines.join('\n')}\n`;
}

function formatJson(data) {
  buildRows(data);
  // pairRatios only feed pairedRatio; the samples are kept, rounded.
  const strip = ({ samplesMs, pairRatios: _pairRatios, ...rest }) => ({
    ...rest,
    command: [rel(rest.command[0]), ...rest.command.slice(1)],
    samplesMs: samplesMs.map((ms) => Number(ms.toFixed(2))),
  });
  return `${JSON.stringify({ ...data, results: data.results.map(strip) }, null, 2)}\n`;
}

module.exports = { formatText, formatJson };
