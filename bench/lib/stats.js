'use strict';
// Order statistics over samples (linear interpolation between closest ranks).

function quantile(values, q) {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  return sorted[lower] + (sorted[upper] - sorted[lower]) * (position - lower);
}

const median = (values) => quantile(values, 0.5);

/** { median, p25, p75, min, n } of a sample, or null when it is empty. */
function summary(values) {
  if (values.length === 0) return null;
  return {
    median: median(values),
    p25: quantile(values, 0.25),
    p75: quantile(values, 0.75),
    min: Math.min(...values),
    n: values.length,
  };
}

module.exports = { quantile, median, summary };
