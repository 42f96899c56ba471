/**
 * What the deploy gate asks of a model of type `llm` (issue 20, "Governance"): each metric the
 * policy names, measured by a completed evaluation of the version, with its mean within the
 * policy's bounds. The evidence is read from the ledger's evaluation.completed events.
 */
export type EvaluationRequirement = { metric: string; min?: number; max?: number };

/** A completed evaluation of a version: its event and, per metric, the mean over its configurations' scores. */
export type EvaluationEvidence = { eventId: string; evaluationId: string; metrics: { metric: string; configurationId: string; mean: number | null; n: number }[] };

const bounds = (r: EvaluationRequirement) => [r.min !== undefined ? `at least ${r.min}` : null, r.max !== undefined ? `at most ${r.max}` : null].filter(Boolean).join(' and ');
const meets = (r: EvaluationRequirement, mean: number) => (r.min === undefined || mean >= r.min) && (r.max === undefined || mean <= r.max);

/**
 * For each required metric, the evaluation that meets it (the first found), or the reason none
 * does: no evaluation measured it (missing), or every measurement is outside the bounds (below).
 */
export function evaluationGate(required: readonly EvaluationRequirement[], evidence: readonly EvaluationEvidence[], label: string): { used: { eventId: string; metric: string }[]; reasons: string[] } {
  const used: { eventId: string; metric: string }[] = [];
  const reasons: string[] = [];
  for (const r of required) {
    const measured = evidence.flatMap((e) => e.metrics.filter((m) => m.metric === r.metric && m.mean !== null && m.n > 0).map((m) => ({ eventId: e.eventId, evaluationId: e.evaluationId, mean: m.mean! })));
    const passing = measured.find((m) => meets(r, m.mean));
    if (passing) used.push({ eventId: passing.eventId, metric: r.metric });
    else if (measured.length === 0) reasons.push(`missing: no completed evaluation of ${label} measures ${r.metric} (required ${bounds(r)})`);
    else reasons.push(`below: ${r.metric} of ${label} is ${measured.map((m) => `${m.mean} (evaluation ${m.evaluationId})`).join(', ')}; the policy requires ${bounds(r)}`);
  }
  return { used, reasons };
}
