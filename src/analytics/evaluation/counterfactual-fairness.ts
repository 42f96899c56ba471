/**
 * Counterfactual fairness of generated text (Garg et al. 2019, "Counterfactual Fairness in Text
 * Classification through Robustness"): the same prompt is rewritten once per group by swapping
 * group terms (he/she, his/her, names), every variant is answered and scored, and the scores are
 * compared across groups.
 *
 * Swapping: each row of the table lists one term per group (['he', 'she'], ['John', 'Maria']).
 * Every whole-word, case-insensitive occurrence of any term of a row becomes that row's term for
 * the target group, keeping the case pattern of the matched word (all caps, Capitalised, or as
 * written in the table). Longer terms are matched first ("Mary Ann" before "Mary"); a term that
 * appears in several rows is mapped by the first row that lists it. Word boundaries are Unicode
 * letters, digits and underscore.
 *
 * Disparity: per group, the mean score over items; then, as the fairness module and fairlearn's
 * between_groups do, difference = largest - smallest group mean and ratio = smallest / largest,
 * and against a reference group (given, else the best group by the metric's direction)
 * difference_g = mean_g - mean_ref and ratio_g = mean_g / mean_ref. The counterfactual gap is the
 * mean over items of max - min of the item's variant scores (Garg et al.'s CTF gap for more than
 * two groups).
 */
import type { MetricDirection } from './metric-registry.js';

export type TermSwapTable = { groups: readonly string[]; rows: readonly (readonly string[])[] };

export type CounterfactualVariant = { group: string; text: string; replacements: number };

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function matchCase(matched: string, replacement: string): string {
  const letters = matched.replace(/[^\p{L}]/gu, '');
  if (letters.length > 1 && letters === letters.toUpperCase() && letters !== letters.toLowerCase()) return replacement.toUpperCase();
  const first = matched.charAt(0);
  if (first !== first.toLowerCase() && first === first.toUpperCase()) return replacement.charAt(0).toUpperCase() + replacement.slice(1);
  if (first !== first.toUpperCase()) return replacement.charAt(0).toLowerCase() + replacement.slice(1);
  return replacement;
}

export function validateSwapTable(table: TermSwapTable): string | null {
  if (table.groups.length < 2) return 'at least two groups are needed';
  if (new Set(table.groups).size !== table.groups.length) return 'group names must be distinct';
  for (let r = 0; r < table.rows.length; r++) {
    const row = table.rows[r]!;
    if (row.length !== table.groups.length) return `row ${r} has ${row.length} terms for ${table.groups.length} groups`;
    if (row.some((term) => term.trim().length === 0)) return `row ${r} holds an empty term`;
  }
  return null;
}

/** One variant per group, in the table's group order. Throws RangeError on a malformed table (see validateSwapTable). */
export function counterfactualVariants(text: string, table: TermSwapTable): CounterfactualVariant[] {
  const problem = validateSwapTable(table);
  if (problem) throw new RangeError(problem);
  // term (lowercase) → row index, first row wins
  const rowOf = new Map<string, number>();
  table.rows.forEach((row, r) => {
    for (const term of row) if (!rowOf.has(term.toLowerCase())) rowOf.set(term.toLowerCase(), r);
  });
  const terms = [...rowOf.keys()].sort((a, b) => b.length - a.length || (a < b ? -1 : 1));
  const pattern = new RegExp(`(?<![\\p{L}\\p{N}_])(?:${terms.map(escapeRegExp).join('|')})(?![\\p{L}\\p{N}_])`, 'giu');
  return table.groups.map((group, g) => {
    let replacements = 0;
    const out = terms.length === 0 ? text : text.replace(pattern, (matched) => {
      const row = table.rows[rowOf.get(matched.toLowerCase())!]!;
      const replacement = matchCase(matched, row[g]!);
      if (replacement !== matched) replacements++;
      return replacement;
    });
    return { group, text: out, replacements };
  });
}

export type GroupScore = { group: string; mean: number | null; items: number; differenceToReference: number | null; ratioToReference: number | null };

export type CounterfactualDisparity = {
  referenceGroup: string | null;
  groups: GroupScore[];
  /** largest - smallest group mean. */
  difference: number | null;
  /** smallest / largest group mean (null when the largest is 0 or fewer than two groups are defined). */
  ratio: number | null;
  /** Mean over items with at least two scored variants of (max - min) of their variant scores. */
  counterfactualGap: number | null;
};

/**
 * `scores[i][g]` is item i's score for the variant of group g (null when it was not scored).
 * `referenceGroup` defaults to the group with the best mean for `direction`.
 */
export function counterfactualDisparity(groups: readonly string[], scores: readonly (readonly (number | null)[])[], direction: MetricDirection, referenceGroup?: string): CounterfactualDisparity {
  const G = groups.length;
  const sums = new Float64Array(G);
  const counts = new Int32Array(G);
  let gapSum = 0;
  let gapItems = 0;
  for (const row of scores) {
    if (row.length !== G) throw new RangeError(`every item needs one score per group (${G})`);
    let min = Infinity;
    let max = -Infinity;
    let scored = 0;
    row.forEach((v, g) => {
      if (v === null || Number.isNaN(v)) return;
      sums[g]! += v;
      counts[g]!++;
      scored++;
      min = Math.min(min, v);
      max = Math.max(max, v);
    });
    if (scored >= 2) {
      gapSum += max - min;
      gapItems++;
    }
  }
  const means = groups.map((_, g) => (counts[g]! > 0 ? sums[g]! / counts[g]! : null));
  const defined = means.map((m, g) => ({ m, g })).filter((x): x is { m: number; g: number } => x.m !== null);
  if (referenceGroup !== undefined && !groups.includes(referenceGroup)) throw new RangeError(`unknown reference group ${referenceGroup}`);
  let reference: number | null = referenceGroup !== undefined ? groups.indexOf(referenceGroup) : null;
  if (reference === null && defined.length > 0) {
    reference = defined.reduce((best, x) => ((direction === 'higher-is-better' ? x.m > best.m : x.m < best.m) ? x : best)).g;
  }
  const referenceMean = reference === null ? null : means[reference]!;
  const largest = defined.length >= 2 ? Math.max(...defined.map((x) => x.m)) : null;
  const smallest = defined.length >= 2 ? Math.min(...defined.map((x) => x.m)) : null;
  return {
    referenceGroup: reference === null ? null : groups[reference]!,
    groups: groups.map((group, g) => {
      const mean = means[g]!;
      return {
        group,
        mean,
        items: counts[g]!,
        differenceToReference: mean === null || referenceMean === null ? null : mean - referenceMean,
        ratioToReference: mean === null || referenceMean === null || referenceMean === 0 ? null : mean / referenceMean,
      };
    }),
    difference: largest === null || smallest === null ? null : largest - smallest,
    ratio: largest === null || smallest === null || largest === 0 ? null : smallest / largest,
    counterfactualGap: gapItems > 0 ? gapSum / gapItems : null,
  };
}
