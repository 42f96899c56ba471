import { evidenceFacts } from '../../commands/model/evidence-sufficiency.js';
import type { EvaluationEvidence } from '../../commands/model/evaluation-evidence.js';
import type { AssessmentEvidence } from '../../commands/model/model.decider.js';
import type { StoredEvent } from '../../events/envelope.js';
import type { Runtime } from '../../runtime.js';

/**
 * The event types that assess a model version, and what the deploy gate calls them. An
 * assessment event names `modelId` and `modelVersion`, and lists `failedChecks` (empty when
 * every check passed).
 */
export const ASSESSMENT_EVENT_TYPES = { 'explanation.computed': 'explainability', 'fairness.assessed': 'fairness' } as const;

/** The ledger events assessing one version (up to position `to`, when given): the model card's and an export's evidence. */
export async function assessmentEvents(runtime: Pick<Runtime, 'store'>, modelId: string, version: number, to?: number): Promise<StoredEvent[]> {
  const types = Object.keys(ASSESSMENT_EVENT_TYPES) as (keyof typeof ASSESSMENT_EVENT_TYPES)[];
  return runtime.store.readAll({ filter: { types, dataContains: { modelId, modelVersion: version } }, limit: 10_000, ...(to === undefined ? {} : { to }) });
}

export const assessmentEvidence = (e: StoredEvent): AssessmentEvidence => ({
  kind: ASSESSMENT_EVENT_TYPES[e.type as keyof typeof ASSESSMENT_EVENT_TYPES],
  eventId: e.id,
  failingChecks: Array.isArray(e.data.failedChecks) ? e.data.failedChecks.map(String) : [],
});

/** An assessment with the facts of its size, which the deploy gate weighs against the policy's minimums. */
export const gateEvidence = (e: StoredEvent): AssessmentEvidence => {
  const facts = evidenceFacts(e.type, e.data);
  return { ...assessmentEvidence(e), ...(facts ? { facts } : {}) };
};

/** Every assessment of one version in the ledger (up to position `to`, when given), for the deploy gate. */
export async function collectAssessments(runtime: Pick<Runtime, 'store'>, modelId: string, version: number, to?: number): Promise<AssessmentEvidence[]> {
  return (await assessmentEvents(runtime, modelId, version, to)).map(gateEvidence);
}

/** The completed evaluations of one version in the ledger (evaluation.completed naming it), for the deploy gate of llm models. */
export async function collectEvaluations(runtime: Pick<Runtime, 'store'>, modelId: string, version: number): Promise<EvaluationEvidence[]> {
  const events = await runtime.store.readAll({ filter: { types: ['evaluation.completed'], dataContains: { modelId, modelVersion: version } }, limit: 10_000 });
  return events.map((e) => {
    const aggregates = (e.data.aggregates ?? []) as { configurationId: string; metrics: { metric: string; mean: number | null; n: number }[] }[];
    return { eventId: e.id, evaluationId: String(e.data.evaluationId), metrics: aggregates.flatMap((a) => a.metrics.map((m) => ({ metric: m.metric, configurationId: a.configurationId, mean: m.mean, n: m.n }))) };
  });
}
