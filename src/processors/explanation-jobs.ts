import { handleCommand } from '../commands/command-handler.js';
import { explanationJobDecider, explanationJobStreamId } from '../commands/explanation/explanation-job.decider.js';
import type { StoredEvent } from '../events/envelope.js';
import type { Knex } from '../platform/database.js';
import type { Logger } from '../platform/logger.js';
import { explain, type ExplanationDependencies, type Rows } from './explanation-service.js';
import type { ExplanationParams, ExplanationMethod } from './explanation-engine.js';
import { followRequests } from './request-follower.js';

export const EXPLAINER = 'explainer';

export type ExplanationJobs = {
  /** Jobs this process is computing now (status `running`) and their rows done so far; others are read from the ledger. */
  running(): ReadonlyMap<string, { done: number; total: number }>;
  stop(): Promise<void>;
};

/**
 * The processor behind `POST /explainability/jobs`: follows the ledger from its checkpoint and
 * computes each `explanation.requested`, recording `explanation.computed` caused by it (or
 * `explanation.failed`). The checkpoint moves after each job, so a restart resumes where it was;
 * a job computed twice (crash before the checkpoint) records nothing new, as results are keyed.
 */
export async function startExplanationJobs(deps: ExplanationDependencies & { knex: Knex; logger?: Logger }): Promise<ExplanationJobs> {
  const running = new Map<string, { done: number; total: number }>();

  const run = async (event: StoredEvent) => {
    const d = event.data as { jobId: string; requestKey: string; modelId: string; modelVersion: number; method: ExplanationMethod | 'auto'; params: ExplanationParams; rows: Rows; background: Rows | null };
    running.set(d.jobId, { done: 0, total: d.rows.length });
    try {
      await explain(deps, { modelId: d.modelId, version: d.modelVersion, method: d.method, rows: d.rows, background: d.background, params: d.params, actor: { kind: 'system', id: EXPLAINER }, jobId: d.jobId, onProgress: (done, total) => running.set(d.jobId, { done, total }), causationId: event.id, ...(event.correlationId ? { correlationId: event.correlationId } : {}) });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      deps.logger?.warn({ jobId: d.jobId, err: error }, 'explanation job failed');
      await handleCommand(deps, explanationJobDecider, explanationJobStreamId(d.jobId), { type: 'FailExplanation', jobId: d.jobId, requestKey: d.requestKey, reason: reason.slice(0, 2000) }, { actor: { kind: 'system', id: EXPLAINER }, causationId: event.id });
    } finally {
      running.delete(d.jobId);
    }
  };

  const follower = await followRequests(deps, EXPLAINER, 'explanation.requested', run);
  return { running: () => running, stop: () => follower.stop() };
}
