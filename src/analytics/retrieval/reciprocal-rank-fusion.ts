/**
 * Reciprocal rank fusion (Cormack, Clarke and Büttcher, SIGIR 2009): an item's fused score is
 * Σ over the rankings that hold it of 1 / (k + rank), rank counted from 1; k = 60 as in the paper.
 * Ties in fused score keep the order of first appearance (ranking order, then position), so the
 * result is deterministic.
 */
export type FusedItem<Id> = { id: Id; score: number; ranks: (number | null)[] };

export function reciprocalRankFusion<Id>(rankings: readonly (readonly Id[])[], k = 60): FusedItem<Id>[] {
  const fused = new Map<Id, FusedItem<Id> & { first: number }>();
  let seen = 0;
  rankings.forEach((ranking, r) => {
    ranking.forEach((id, i) => {
      let item = fused.get(id);
      if (!item) {
        item = { id, score: 0, ranks: rankings.map(() => null), first: seen++ };
        fused.set(id, item);
      }
      // An id listed twice in one ranking counts once, at its best rank.
      if (item.ranks[r] !== null) return;
      item.ranks[r] = i + 1;
      item.score += 1 / (k + i + 1);
    });
  });
  return [...fused.values()].sort((a, b) => b.score - a.score || a.first - b.first).map(({ id, score, ranks }) => ({ id, score, ranks }));
}
