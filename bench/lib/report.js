'use strict';
// The report: a plain-text table with a verdict per budget, or the same data as JSON.
const { rel } = require('./cases');
const { median } = require('./stats');

const mib = (kib) => (kib === null || kib === undefined ? null : kib / 1024);
const fixed = (value, digits) => (value === null || value === undefined ? '' : value.toFixed(digits));

/** The ratio a budget judges, and what it compares with, or { missing } naming what was not measured. */
function budgetRatio(result, budget, byId) {
  const measured = (id) => {
    const other = byId.get(id);
    return other && other.status === 'ok' && other.timing ? other : null;
  };
  if (budget.share) {
    const [big, bigFloor, small, smallFloor] = budget.share.map(measured);
    const missing = budget.share.find((id, i) => ![big, bigFloor, small, smallFloor][i]);
    if (missing) return { missing, against: "mortar's share of 1 command" };
    const bigShare = big.timing.median - bigFloor.timing.median;
    const smallShare = small.timing.median - smallFloor.timing.median;
    return {
      ratio: smallShare > 0 ? bigShare / smallShare : null,
      against: "mortar's own share of 1 command",
      detail: `${bigShare.toFixed(1)} ms vs ${smallShare.toFixed(1)} ms over the no-op-decorator floors`,
    };
  }
  const other = measured(budget.of);
  if (!other || !result.timing) return { missing: budget.of, against: byId.get(budget.of)?.label ?? budget.of };
  return { ratio: result.timing.median / other.timing.median, against: other.label };
}

/** { budget, met, ratio, text } for a result's budget, or null when the row has none. */
function verdictOf(result, byId) {
  const budget = result.budget;
  if (!budget || result.status !== 'ok') return null;
  const runsTotal = result.samplesMs.length + result.failures.length;
  const { ratio, against, detail, missing } = budgetRatio(result, budget, byId);
  const label = `≤ ${budget.limit.toFixed(2)}× ${against}${result.kind === 'daemon' ? ', pid ready' : ''}`;
  if (missing)
    return { budget: label, met: null, detail: `${missing} not measured`, text: `no verdict: ${missing} not measured` };
  const problems = [];
  if (result.failures.length > 0) problems.push(`${result.failures.length}/${runsTotal} runs failed`);
  if (result.kind === 'daemon' && result.readyCount < runsTotal)
    problems.push(`pid file ready ${result.readyCount}/${runsTotal}`);
  const met = ratio !== null && ratio <= budget.limit && problems.length === 0;
  const shown = [ratio === null ? 'no ratio' : `${ratio.toFixed(2)}×`, detail, ...problems].filter(Boolean).join(', ');
  return { budget: label, met, ratio, detail: shown, text: `${met ? 'met' : 'NOT met'} (${shown})` };
}

function idleVerdictOf(result) {
  if (result.idleRssBudget === undefined || result.status !== 'ok') return null;
  const ratio = result.idleRssRatio;
  const measured = ratio !== null && ratio !== undefined;
  const met = measured && ratio <= result.idleRssBudget;
  const detail = measured
    ? `${ratio.toFixed(2)}×, ${fixed(mib(result.idleRssKib), 1)} MiB vs ${fixed(mib(result.nodeIdleRssKib), 1)} MiB`
    : 'not measured';
  return {
    budget: `≤ ${result.idleRssBudget.toFixed(2)}× node idle`,
    met: measured ? met : null,
    ratio,
    detail,
    text: measured ? (met ? 'met' : 'NOT met') : 'no verdict',
  };
}

/** Rows of cells for the table, plus per-row verdicts for JSON. */
function buildRows(data) {
  const byId = new Map(data.results.map((result) => [result.id, result]));
  const rows = [
    [
      'node -e 0 (baseline)',
      fixed(data.baseline.timing?.median, 1),
      data.baseline.timing ? `${fixed(data.baseline.timing.p25, 1)}–${fixed(data.baseline.timing.p75, 1)}` : '',
      '1.00',
      fixed(mib(data.baseline.peakRssKib), 1),
      '',
      '',
    ],
  ];
  for (const result of data.results) {
    if (result.status !== 'ok') {
      rows.push([result.label, { span: result.status === 'missing' ? result.reason : `failed: ${result.reason}` }]);
      continue;
    }
    const verdict = verdictOf(result, byId);
    result.verdict = verdict;
    let note = '';
    if (!verdict && result.kind === 'daemon')
      note = `(pid file ready ${result.readyCount}/${result.samplesMs.length + result.failures.length})`;
    if (!verdict && result.failures.length > 0) note = `(${result.failures.length} runs failed)`;
    rows.push([
      result.label,
      fixed(result.timing?.median, 1),
      result.timing ? `${fixed(result.timing.p25, 1)}–${fixed(result.timing.p75, 1)}` : '',
      fixed(result.ratio, 2),
      fixed(mib(result.peakRssKib), 1),
      verdict?.budget ?? '',
      verdict?.text ?? note,
    ]);
    if (result.kind === 'daemon') {
      const idle = idleVerdictOf(result);
      result.idleVerdict = idle;
      const detail =
        result.idleRssRatio !== null && result.idleRssRatio !== undefined
          ? `${result.idleRssRatio.toFixed(2)}× node idle ${fixed(mib(result.nodeIdleRssKib), 1)} MiB`
          : 'not measured';
      rows.push([
        `${result.label}: idle RSS`,
        '',
        '',
        '',
        fixed(mib(result.idleRssKib), 1),
        idle?.budget ?? '',
        idle ? `${idle.text} (${detail})` : `(${detail})`,
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
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i], cell.length);
    });
  }
  const line = (cells) =>
    cells
      .map((cell, i) => (right.has(i) ? cell.padStart(widths[i]) : cell.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  const out = [line(header), line(widths.map((width) => '-'.repeat(width)))];
  for (const row of rows) {
    out.push(row[1]?.span !== undefined ? `${row[0].padEnd(widths[0])}  ${row[1].span}` : line(row));
  }
  return out.join('\n');
}

/** Every budget's verdict, in report order: { id, label, budget, met, ratio, text }. */
function budgetsOf(data) {
  const budgets = [];
  for (const result of data.results) {
    for (const [verdict, label] of [
      [result.verdict, result.label],
      [result.idleVerdict, `${result.label}: idle RSS`],
    ]) {
      if (verdict)
        budgets.push({
          id: result.id,
          label,
          budget: verdict.budget,
          met: verdict.met,
          ratio: verdict.ratio ?? null,
          detail: verdict.detail,
        });
    }
  }
  return budgets;
}

/**
 * Rows set against another row of their group without a budget: the ratio of the medians, and
 * the median of the per-round ratios (both ran in each round, one after the other).
 */
function comparisonsOf(data) {
  const byId = new Map(data.results.map((result) => [result.id, result]));
  const comparisons = [];
  for (const result of data.results) {
    const other = result.compare ? byId.get(result.compare) : undefined;
    if (!other || result.status !== 'ok' || other.status !== 'ok' || !result.timing || !other.timing) continue;
    const paired =
      result.samplesMs.length === other.samplesMs.length && result.failures.length + other.failures.length === 0
        ? median(result.samplesMs.map((ms, i) => ms / other.samplesMs[i]))
        : null;
    comparisons.push({
      id: result.id,
      label: result.label,
      against: other.label,
      ratio: result.timing.median / other.timing.median,
      pairedRatio: paired,
      detail: `${result.timing.median.toFixed(1)} vs ${other.timing.median.toFixed(1)} ms`,
    });
  }
  return comparisons;
}

function comparisonLines(data) {
  const comparisons = comparisonsOf(data);
  if (comparisons.length === 0) return [];
  return [
    '',
    'Compared, no budget (ratio of medians; per-round: the median of each run over the other row in its round)',
    ...comparisons.map(
      (c) =>
        `  ${c.label}: ${c.ratio.toFixed(2)}× ${c.against} (${c.detail}${c.pairedRatio === null ? '' : `; per-round ${c.pairedRatio.toFixed(2)}×`})`,
    ),
  ];
}

function formatText(data) {
  const m = data.machine;
  const rows = buildRows(data);
  const budgets = budgetsOf(data);
  const verdictWord = (budget) => (budget.met === null ? 'no verdict' : budget.met ? 'met' : 'NOT met');
  const verdictWidth = Math.max(0, ...budgets.map((budget) => verdictWord(budget).length));
  const lines = [
    'mortar start-up benchmark',
    `node ${m.node}${m.nodePath === process.execPath ? '' : ` (${m.nodePath})`} · ${m.cpu} · ${m.cores} cores · ${m.platform}`,
    `${m.date} · ${data.options.runs} runs, ${data.options.warmup} warm-up · peak RSS: median of ${data.options.rssRuns} runs via ${data.rssTool ?? 'nothing (no /usr/bin/time, no python3)'}`,
    `load average ${data.load.start.toFixed(2)} at start, ${data.load.end.toFixed(2)} at end · ${(data.elapsedMs / 1000).toFixed(0)} s`,
    '',
    formatTable(rows),
    '',
    'Budgets (each a ratio to a peer or a floor measured in this run)',
    ...budgets.map(
      (budget) => `  ${verdictWord(budget).padEnd(verdictWidth)}  ${budget.label} ${budget.budget}: ${budget.detail}`,
    ),
    ...comparisonLines(data),
    '',
    'Notes',
    '- median ms: wall time from spawn to exit. × node: that median over the median of the `node -e 0` runs',
    '  interleaved with it (baseline, case, baseline, case...) in the same loop. Children get only PATH, HOME, LANG=C.',
    "- Every case runs with a HOME of its own, empty but for what its program keeps there: mortar's code cache",
    '  (~/.cache/mortar), written by the first (untimed) run. "no code cache" runs with NODE_DISABLE_COMPILE_CACHE=1.',
    '- mortar hello / --help is written as the commander and clipanion programs are: output through',
    '  process.stdout, default config file search. The sample rows write through app.stdout and read no config file.',
    '- daemon start: time until the invoker exits; "pid ready" means the pid file then named a live process other',
    `  than the invoker. Idle RSS: the daemon's VmRSS ${data.idleMs} ms after the invoker exited, against a bare`,
    `  \`node -e "setInterval(...)"\` ${data.idleMs} ms after spawn. peak RSS of a daemon row is its invoker's.`,
    "- 1,000 commands: 100 nested controllers × 10 commands in one generated module; its budget compares mortar's",
    '  own share of it (minus the no-op-decorator ref) with its share of the 1-command app (same shape, same loop).',
    "- ref: rows are reference points, not frameworks: mortar's three dependencies loaded eagerly; a",
    '  dependency-free hand-written daemon start (re-exec, setsid, readiness pipe, pid file); and the scale apps',
    "  with mortar replaced by no-op decorators, i.e. what compiling and decorating the user's own module costs.",
    '- Python Cement is not measured: Python packages cannot be installed on this machine.',
  ];
  for (const result of data.results) {
    if (result.status !== 'ok') continue;
    const extra = [];
    if (result.failures.length > 0) extra.push(`${result.failures.length} failed runs, first: ${result.failures[0]}`);
    if (result.notReady?.length > 0) extra.push(`pid file not ready: ${[...new Set(result.notReady)].join('; ')}`);
    if (result.leftPidFiles > 0)
      extra.push(`pid file left behind after SIGTERM in ${result.leftPidFiles} runs (removed)`);
    if (result.stopOutcomes?.length > 0) extra.push(`daemon stop: ${[...new Set(result.stopOutcomes)].join(', ')}`);
    if (extra.length > 0) lines.push(`- ${result.label}: ${extra.join('; ')}`);
  }
  const drifted = data.results.filter(
    (result) =>
      result.status === 'ok' &&
      result.ratio &&
      result.pairedRatio &&
      Math.abs(result.pairedRatio / result.ratio - 1) > 0.1,
  );
  if (drifted.length > 0) {
    lines.push(
      "- The load changed during these rows' loops: the median of each run over the node -e 0 just before it",
      `  differs by more than 10% from the ratio of medians: ${drifted.map((result) => `${result.id} ${result.pairedRatio.toFixed(2)}×`).join(', ')}.`,
    );
  }
  if (Math.max(data.load.start, data.load.end) > data.machine.cores) {
    lines.push(
      `- The load average exceeded the ${data.machine.cores} cores during this run: other work competed for`,
      '  the CPU, so the absolute times are inflated and the ratios noisier than on an idle machine.',
    );
  }
  const idWidth = Math.max(8, ...data.results.map((result) => result.id.length));
  lines.push('', 'Commands (node <script> <args>, from the repository root)');
  lines.push(`  ${'baseline'.padEnd(idWidth)}  node -e 0`);
  for (const result of data.results) {
    const [script, ...args] = result.command;
    const env = Object.entries(result.env ?? {})
      .map(([name, value]) => `${name}=${value} `)
      .join('');
    lines.push(`  ${result.id.padEnd(idWidth)}  ${env}node ${rel(script)}${args.length ? ` ${args.join(' ')}` : ''}`);
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
  return `${JSON.stringify({ ...data, budgets: budgetsOf(data), comparisons: comparisonsOf(data), results: data.results.map(strip) }, null, 2)}\n`;
}

module.exports = { formatText, formatJson };
