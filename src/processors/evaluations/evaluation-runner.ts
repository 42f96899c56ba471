import { setMaxListeners } from 'node:events';
import { CommandRefused } from '../../commands/decider.js';
import { unitKey, workUnits, type WorkUnit } from '../../commands/evaluation/evaluation.decider.js';
import type { Actor, StoredEvent } from '../../events/envelope.js';
import type { Subscription } from '../../events/event-store.js';
import type { Logger } from '../../platform/logger.js';
import type { PassageRetriever } from '../chat/passage-retriever.js';
import type { Embedder } from '../documents/embedders/embedder.js';
import { apiKeyOf, currentConfiguration, type LlmDependencies } from '../llm/llm-configurations.js';
import { ProviderError } from '../llm/llm-provider.js';
import { resultEventId } from '../result-event-id.js';
import { evaluationAggregates } from './evaluation-aggregates.js';
import { EvaluationStream } from './evaluation-stream.js';
import { estimateUnit } from './cost-estimate.js';
import { JudgeCache } from './judge-cache.js';
import { configurationAt, type EvaluatedConfiguration, type LiveConfiguration } from './pinned-configuration.js';
import { ProviderThrottles } from './provider-throttle.js';
import { scoreUnit, type UnitScoringContext } from './unit-scoring.js';

export const EVALUATOR = 'evaluator';
const evaluatorActor: Actor = { kind: 'system', id: EVALUATOR };

/** What the LLM configurations need, and what answering and judging add. */
export type EvaluationRunnerDependencies = LlmDependencies & {
  /** Read at each run, so a test (or the runtime) may swap it. */
  retriever: () => PassageRetriever;
  embedder: Embedder;
  logger?: Logger;
};

export type EvaluationRunner = {
  /** Runs this process is working on, with units done of all. */
  running(): ReadonlyMap<string, { done: number; total: number }>;
  /** Settles when the run of `evaluationId` in this process (if any) has ended. */
  settled(evaluationId: string): Promise<void>;
  /** Halts every run without recording a stop: the next process resumes them. */
  stop(): Promise<void>;
};

type Job = { abort: AbortController; done: Promise<void>; progress: { done: number; total: number } };

/**
 * The processor behind `POST /evaluations/:id/start`: follows the ledger for evaluation.started and
 * evaluation.stopped, runs each started evaluation unit by unit (resuming at the next unit without a
 * result: after a restart, runs still `running` in the ledger are taken up again), and halts a run
 * when its stop is recorded. Results are appended with ids derived from the start and the unit,
 * so a unit recorded twice is stored once.
 */
export async function startEvaluationRunner(deps: EvaluationRunnerDependencies): Promise<EvaluationRunner> {
  const jobs = new Map<string, Job>();
  const cache = new JudgeCache(deps.knex);
  let closed = false;

  const launch = (evaluationId: string, startEventId: string, correlationId: string | undefined) => {
    if (closed) return;
    const previous = jobs.get(evaluationId);
    if (previous) {
      // Stopped and started again before the stopped run wound down: the new run follows it.
      if (previous.abort.signal.aborted) void previous.done.then(() => launch(evaluationId, startEventId, correlationId));
      return;
    }
    const abort = new AbortController();
    // Every call in flight listens for the stop: more than Node's default of 10 at a concurrency above 10.
    setMaxListeners(1000, abort.signal);
    const job: Job = { abort, progress: { done: 0, total: 0 }, done: Promise.resolve() };
    job.done = run(evaluationId, startEventId, correlationId, job)
      .catch((err: unknown) => deps.logger?.error({ err, evaluationId }, 'evaluation run failed; it resumes when started again or at the next restart'))
      .finally(() => jobs.delete(evaluationId));
    jobs.set(evaluationId, job);
  };

  const providerOf = async (configuration: LiveConfiguration, pinned: EvaluatedConfiguration) => {
    // The key is the configuration's current one: the key a pinned version named may have been replaced (and destroyed) since.
    const current = await currentConfiguration(deps, pinned.configurationId);
    const key = current.status === 'live' ? current.apiKey : configuration.apiKey;
    return deps.connections.chatProvider(configuration, await apiKeyOf(deps, pinned.configurationId, key));
  };

  async function run(evaluationId: string, startEventId: string, correlationId: string | undefined, job: Job): Promise<void> {
    const stream = await new EvaluationStream(deps, evaluationId).load();
    if (stream.state.status !== 'running') return;
    const state = stream.state;
    const definition = state.definition;
    const meta = (unit: WorkUnit) => ({ actor: evaluatorActor, causationId: startEventId, eventIds: [resultEventId(startEventId, `${EVALUATOR}/${unitKey(unit)}`)], ...(correlationId ? { correlationId } : {}) });
    const all = workUnits(definition);
    const open = all.filter((u) => !state.scored.has(unitKey(u)) && !state.failed.has(unitKey(u)));
    job.progress = { done: all.length - open.length, total: all.length };

    const throttles = new ProviderThrottles(definition.concurrency, definition.requestsPerMinute);
    const answerers: UnitScoringContext['answerers'] = new Map();
    const fail = async (unit: WorkUnit, error: unknown) => {
      const failure = error instanceof ProviderError ? error.failure : error instanceof Error ? error.name : 'error';
      const reason = (error instanceof Error ? error.message : String(error)).slice(0, 2000);
      await stream.record({ type: 'RecordItemFailed', failure: { evaluationId, itemIndex: unit.itemIndex, variant: unit.variant, configurationId: unit.configurationId, failure, reason } }, meta(unit));
    };
    const recordFailure = async (unit: WorkUnit, error: unknown) => {
      try {
        await fail(unit, error);
      } catch (refused) {
        if (refused instanceof CommandRefused && refused.code === 'EVALUATION_NOT_RUNNING') job.abort.abort();
        else throw refused;
      }
    };
    let judge: UnitScoringContext['judge'] = null;
    try {
      for (const pinned of definition.configurations) {
        const configuration = await configurationAt(deps, pinned);
        if (configuration) answerers.set(pinned.configurationId, { configuration, provider: await providerOf(configuration, pinned) });
      }
      if (definition.judge) {
        const configuration = await configurationAt(deps, definition.judge);
        if (!configuration) throw new Error(`the judge configuration ${definition.judge.configurationId} is gone`);
        judge = { configuration, provider: await providerOf(configuration, definition.judge) };
      }
    } catch (error) {
      // Nothing can be answered: every open unit fails with the reason, and the run completes.
      for (const unit of open) if (!job.abort.signal.aborted) await recordFailure(unit, error);
      open.length = 0;
    }
    const ctx: UnitScoringContext = { definition, answerers, judge, retriever: deps.retriever(), embedder: deps.embedder, cache, throttles, signal: job.abort.signal };

    // Budget: what is spent, plus the estimate of every unit in flight, plus the next one's, must stay within it.
    let reserved = 0;
    let budgetStop: string | null = null;
    let next = 0;
    const worker = async () => {
      while (next < open.length && !job.abort.signal.aborted && budgetStop === null) {
        const unit = open[next++]!;
        const answerer = answerers.get(unit.configurationId);
        if (!answerer) {
          await recordFailure(unit, new Error(`configuration ${unit.configurationId} is gone`));
          continue;
        }
        const estimate = definition.budgetUsd === null ? 0 : (estimateUnit(definition, { answerer: answerer.configuration, judge: judge?.configuration ?? null }, unit).costUsd ?? 0);
        if (definition.budgetUsd !== null && stream.state.status !== 'none' && stream.state.spentUsd + reserved + estimate > definition.budgetUsd) {
          budgetStop = `the next item would cost up to ${estimate} USD; spent ${Math.round(stream.state.spentUsd * 1e9) / 1e9} of ${definition.budgetUsd} USD with ${Math.round(reserved * 1e9) / 1e9} USD in flight`;
          break;
        }
        reserved += estimate;
        try {
          const result = await scoreUnit(ctx, unit);
          if (job.abort.signal.aborted) break;
          await stream.record({ type: 'RecordItemScored', result }, meta(unit));
        } catch (error) {
          if (job.abort.signal.aborted) break;
          // Stopped (or completed) by another writer between two units: every worker ends here.
          if (error instanceof CommandRefused && error.code === 'EVALUATION_NOT_RUNNING') {
            job.abort.abort();
            break;
          }
          if (error instanceof CommandRefused) throw error;
          await recordFailure(unit, error);
        } finally {
          reserved -= estimate;
        }
        job.progress.done++;
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(definition.concurrency * Math.max(1, answerers.size), open.length) }, worker));
    } finally {
      throttles.close();
    }
    if (job.abort.signal.aborted) return;
    try {
      if (budgetStop !== null) {
        await stream.record({ type: 'StopEvaluation', reason: 'budget', stoppedBy: EVALUATOR, detail: budgetStop }, { actor: evaluatorActor, causationId: startEventId, eventIds: [resultEventId(startEventId, `${EVALUATOR}/budget`)] });
        return;
      }
      if (stream.state.status !== 'running') return;
      const completion = evaluationAggregates(definition, [...stream.results.values()]);
      await stream.record(
        { type: 'CompleteEvaluation', completion: { evaluationId, ...completion, modelId: definition.modelId, modelVersion: definition.modelVersion } },
        { actor: evaluatorActor, causationId: startEventId, eventIds: [resultEventId(startEventId, `${EVALUATOR}/completed`)], ...(correlationId ? { correlationId } : {}) },
      );
    } catch (error) {
      // Stopped by someone else in the meantime: their stop stands.
      if (!(error instanceof CommandRefused && error.code === 'EVALUATION_NOT_RUNNING')) throw error;
    }
  }

  const onEvent = (e: StoredEvent) => {
    const evaluationId = (e.data as { evaluationId?: string }).evaluationId;
    if (!evaluationId) return;
    if (e.type === 'evaluation.started') launch(evaluationId, e.id, e.correlationId ?? undefined);
    else if (e.type === 'evaluation.stopped') jobs.get(evaluationId)?.abort.abort();
  };

  // Runs the ledger says are running (started, neither stopped nor completed since) resume now.
  const head = (await deps.store.head()).position;
  const lastStart = new Map<string, StoredEvent | null>();
  for (let after = 0; ; ) {
    const page = await deps.store.readAll({ after, to: head, limit: 5000, filter: { types: ['evaluation.started', 'evaluation.stopped', 'evaluation.completed'] } });
    for (const e of page) lastStart.set(String(e.data.evaluationId), e.type === 'evaluation.started' ? e : null);
    if (page.length < 5000) break;
    after = page.at(-1)!.position;
  }
  for (const [evaluationId, start] of lastStart) if (start) launch(evaluationId, start.id, start.correlationId ?? undefined);

  let seen = head;
  let subscription: Subscription | null = null;
  let retry: NodeJS.Timeout | undefined;
  const follow = () => {
    subscription = deps.store.subscribeToAll({
      after: seen,
      async onEvents(events) {
        for (const e of events) {
          if (e.type === 'evaluation.started' || e.type === 'evaluation.stopped') onEvent(e);
          seen = e.position;
        }
      },
      onError(error) {
        if (closed) return;
        deps.logger?.error({ err: error }, 'the evaluation runner lost the ledger; following again');
        retry = setTimeout(() => !closed && follow(), 2000);
      },
    });
  };
  follow();

  return {
    running: () => new Map([...jobs].map(([id, job]) => [id, { ...job.progress }])),
    settled: async (evaluationId) => {
      await jobs.get(evaluationId)?.done;
    },
    async stop() {
      closed = true;
      clearTimeout(retry);
      await subscription?.stop();
      for (const job of jobs.values()) job.abort.abort();
      await Promise.all([...jobs.values()].map((j) => j.done));
    },
  };
}
