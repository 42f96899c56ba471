/**
 * Whether an assessment is evidence enough to deploy on (issue 17, "Evidence the deploy gate
 * accepts"). An assessment below the policy's minimums, or a fairness assessment none of whose
 * checks could be decided (every group too small to compare), is inconclusive: the gate refuses
 * it as it refuses a failing one, and says why.
 */
export type EvidenceMinimums = {
  /** Each grouping of a fairness assessment needs at least two groups of this many rows. */
  minGroupSize?: number;
  /** An explanation must cover at least this many rows. */
  minExplanationRows?: number;
};

/** What an assessment event says about its own size, read once from the ledger. */
export type EvidenceFacts =
  | { kind: 'fairness'; checksDecided: number; checksTotal: number; groupRows: { grouping: string; rows: number[] }[] }
  | { kind: 'explainability'; rows: number | null };

/** Every reason the assessment is too thin for the minimums; empty when it is conclusive. */
export function inconclusiveReasons(facts: EvidenceFacts, minimums: EvidenceMinimums = {}): string[] {
  const reasons: string[] = [];
  if (facts.kind === 'fairness') {
    if (facts.checksTotal > 0 && facts.checksDecided === 0) reasons.push(`none of its ${facts.checksTotal} bias checks could be decided (groups too small to compare, or rates undefined)`);
    const min = minimums.minGroupSize;
    if (min !== undefined) {
      for (const { grouping, rows } of facts.groupRows) {
        const large = rows.filter((r) => r >= min).length;
        if (large < 2) reasons.push(`${grouping}: ${large} of ${rows.length} groups have at least ${min} rows (the policy's minGroupSize); two are needed to compare`);
      }
    }
  } else if (minimums.minExplanationRows !== undefined) {
    if (facts.rows === null) reasons.push('the explanation does not say how many rows it covers');
    else if (facts.rows < minimums.minExplanationRows) reasons.push(`it explains ${facts.rows} rows; the policy's minExplanationRows is ${minimums.minExplanationRows}`);
  }
  return reasons;
}

/** The facts of a `fairness.assessed` or `explanation.computed` event's data. */
export function evidenceFacts(type: string, data: Record<string, unknown>): EvidenceFacts | null {
  if (type === 'fairness.assessed') {
    const checks = ((data.biasChecks as { checks?: { passed: boolean | null }[] } | undefined)?.checks ?? []) as { passed: boolean | null }[];
    const groupings = ((data.report as { groupings?: { name: string; groups: { rows: number }[] }[] } | undefined)?.groupings ?? []);
    return { kind: 'fairness', checksDecided: checks.filter((c) => c.passed !== null).length, checksTotal: checks.length, groupRows: groupings.map((g) => ({ grouping: g.name, rows: g.groups.map((x) => x.rows) })) };
  }
  if (type === 'explanation.computed') {
    const result = (data.result ?? {}) as Record<string, unknown>;
    const rows = Array.isArray(result.values) ? result.values.length : Array.isArray(result.explanations) ? result.explanations.length : typeof result.rows === 'number' ? result.rows : Array.isArray(result.ice) ? result.ice.length : null;
    return { kind: 'explainability', rows };
  }
  return null;
}
