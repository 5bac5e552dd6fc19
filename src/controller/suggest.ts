/**
 * The "did you mean …?" helper behind unknown commands and options.
 *
 * A candidate qualifies when its Damerau-Levenshtein distance to the input
 * (optimal string alignment: insertions, deletions, substitutions and swaps of
 * two neighbours each cost 1) is at most `max(1, floor(input.length / 3))`, or
 * when the input is a prefix of that candidate and of no other. Among those
 * that qualify the closest wins; a tie goes to the one listed first.
 */
export function suggest(input: string, candidates: readonly string[]): string | undefined {
  if (input === '') return undefined;
  const unique = [...new Set(candidates)];
  const limit = Math.max(1, Math.floor(input.length / 3));
  const extensions = unique.filter((candidate) => candidate.startsWith(input));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of unique) {
    const distance = editDistance(input, candidate);
    const isClose = distance <= limit || (extensions.length === 1 && extensions[0] === candidate);
    if (isClose && distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** Optimal string alignment distance between `a` and `b`. */
function editDistance(a: string, b: string): number {
  // rows[i][j] is the distance between the first i characters of a and the first j of b.
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    rows.push([i]);
    for (let j = 1; j <= b.length; j++) rows[i].push(i === 0 ? j : 0);
  }
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let distance = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        distance = Math.min(distance, rows[i - 2][j - 2] + 1);
      }
      rows[i][j] = distance;
    }
  }
  return rows[a.length][b.length];
}
