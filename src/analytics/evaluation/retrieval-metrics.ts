/**
 * Ranking metrics of one query: `retrieved` is the ranked list (best first), `relevant` the set of
 * relevant ids. An id retrieved twice counts once, at its first rank (as trec_eval and ranx do).
 * - hit@k: 1 when some relevant id is in the top k;
 * - precision@k: relevant in the top k / k (k, not the list length, as trec_eval's P_k);
 * - recall@k: relevant in the top k / |relevant| (undefined, null, with no relevant ids);
 * - MRR: 1 / rank of the first relevant id, 0 when none is retrieved;
 * - nDCG@k (Järvelin & Kekäläinen 2002, the log2 discount of trec_eval's ndcg_cut):
 *   DCG@k = Σ_{i=1..k} gain_i / log2(i + 1), ideal DCG from the relevant set sorted by gain;
 *   binary gains (1 relevant, 0 not) unless grades are given, then the grade is the gain (linear,
 *   not 2^g - 1). Undefined (null) when the ideal DCG is 0.
 */
function firstOccurrences(retrieved: readonly string[], k: number): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const id of retrieved) {
    if (out.length >= k) break;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(id);
  }
  return out;
}

function checkK(k: number): void {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be a positive integer, got ${k}`);
}

export function hitAtK(retrieved: readonly string[], relevant: ReadonlySet<string>, k: number): number {
  checkK(k);
  return firstOccurrences(retrieved, k).some((id) => relevant.has(id)) ? 1 : 0;
}

export function precisionAtK(retrieved: readonly string[], relevant: ReadonlySet<string>, k: number): number {
  checkK(k);
  return firstOccurrences(retrieved, k).filter((id) => relevant.has(id)).length / k;
}

export function recallAtK(retrieved: readonly string[], relevant: ReadonlySet<string>, k: number): number | null {
  checkK(k);
  if (relevant.size === 0) return null;
  return firstOccurrences(retrieved, k).filter((id) => relevant.has(id)).length / relevant.size;
}

export function reciprocalRank(retrieved: readonly string[], relevant: ReadonlySet<string>): number {
  const ranked = firstOccurrences(retrieved, Infinity);
  const index = ranked.findIndex((id) => relevant.has(id));
  return index < 0 ? 0 : 1 / (index + 1);
}

/** nDCG@k; `grades` (gain per id) makes it graded, otherwise every id of `relevant` has gain 1. */
export function ndcgAtK(retrieved: readonly string[], relevant: ReadonlySet<string>, k: number, grades?: Readonly<Record<string, number>>): number | null {
  checkK(k);
  const gain = (id: string): number => (grades ? (Object.hasOwn(grades, id) ? grades[id]! : 0) : relevant.has(id) ? 1 : 0);
  let dcg = 0;
  firstOccurrences(retrieved, k).forEach((id, i) => {
    dcg += gain(id) / Math.log2(i + 2);
  });
  const idealGains = (grades ? Object.values(grades) : [...relevant].map(() => 1)).filter((g) => g > 0).sort((x, y) => y - x);
  let ideal = 0;
  for (let i = 0; i < Math.min(k, idealGains.length); i++) ideal += idealGains[i]! / Math.log2(i + 2);
  return ideal > 0 ? dcg / ideal : null;
}
