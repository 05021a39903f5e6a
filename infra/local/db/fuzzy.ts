/**
 * The fuzzy match behind PostgREST's "Perhaps you meant …" hints, approximated: similarity is
 * 1 − Levenshtein distance / longer length, case-insensitive (PostgREST's fuzzyset re-ranks its
 * candidates by the same Levenshtein ratio).
 */
function levenshtein(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current.push(Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, (previous[j - 1] as number) + cost));
    }
    previous = current;
  }
  return previous[b.length] as number;
}

export const similarity = (a: string, b: string): number => {
  const longer = Math.max(a.length, b.length);
  return longer === 0 ? 1 : 1 - levenshtein(a.toLowerCase(), b.toLowerCase()) / longer;
};

/** The most similar candidate scoring at least `minScore`, if any. */
export function bestFuzzyMatch(target: string, candidates: readonly string[], minScore: number): string | undefined {
  let best: string | undefined;
  let bestScore = minScore;
  for (const candidate of candidates) {
    const score = similarity(target, candidate);
    if (score >= bestScore && (best === undefined || score > bestScore)) {
      best = candidate;
      bestScore = score;
    }
  }
  return best;
}
