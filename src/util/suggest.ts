/** Levenshtein distance, for "did you mean" suggestions. */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

/** The candidates closest to `input` (case-insensitive), best first, at most `limit`. */
export function closest(input: string, candidates: readonly string[], limit = 3): string[] {
  const needle = input.toUpperCase();
  return candidates
    .map((c) => {
      const hay = c.toUpperCase();
      // A substring hit is as good as a near-miss typo.
      const d = hay.includes(needle) || needle.includes(hay) ? 1 : editDistance(needle, hay);
      return { c, d };
    })
    .filter(({ d, c }) => d <= Math.max(3, Math.floor(c.length / 3)))
    .sort((x, y) => x.d - y.d)
    .slice(0, limit)
    .map(({ c }) => c);
}
