import { describe, expect, it } from 'vitest';
import { CommandRefused } from '../../../src/commands/decider.js';
import { counterfactualGroups, evaluationDecider, evaluationStreamId, unitKey, workUnits, type EvaluationCommand, type EvaluationDefinition, type EvaluationEvent, type ItemFailed, type ItemScored } from '../../../src/commands/evaluation/evaluation.decider.js';

/** Every history is built inside its test (values computed in a describe body are invisible to Stryker's per-test coverage). */
const ctx = { now: new Date('2026-01-01T00:00:00Z'), actor: { kind: 'user' as const, id: 'u', role: 'data_scientist' } };
const C1 = '11111111-1111-4111-8111-111111111111';
const E = '33333333-3333-4333-8333-333333333333';
const hash = 'a'.repeat(64);
const definitionWith = (budgetUsd: number | null, groups: Record<string, string[]> | null = null): EvaluationDefinition => ({
  evaluationId: E,
  name: 'e',
  type: 'comparison',
  createdBy: 'u',
  configurations: [{ configurationId: C1, version: 0, provider: 'openai-compatible', model: 'm', baseUrl: null, parameters: {}, pricing: null, promptTemplateSha256: hash }],
  judge: null,
  metrics: [{ id: 'exact_match', version: '1' }],
  rubric: null,
  source: { kind: 'inline', contentHash: hash },
  items: [{ question: 'q', referenceAnswer: 'r', referenceContexts: [], relevantDocumentIds: [], group: {} }, { question: 'q2', referenceAnswer: 'r', referenceContexts: [], relevantDocumentIds: [], group: {} }],
  itemsSha256: hash,
  retrieval: null,
  counterfactual: groups ? { groups } : null,
  seed: 1,
  budgetUsd,
  concurrency: 1,
  requestsPerMinute: null,
  modelId: null,
  modelVersion: null,
} as EvaluationDefinition);
const scored = (itemIndex: number, costUsd: number | null = 0.25): ItemScored =>
  ({ evaluationId: E, itemIndex, variant: null, configurationId: C1, configurationVersion: 0, answer: 'x', retrievedDocumentIds: [], scores: { exact_match: 1 }, abstentions: {}, judgeCalls: [], usage: { inputTokens: 1, outputTokens: 1 }, costUsd, latencyMs: 1 }) as ItemScored;
const failed = (itemIndex: number): ItemFailed => ({ evaluationId: E, itemIndex, variant: null, configurationId: C1, failure: 'timeout', reason: 'r' });
const estimate = { calls: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 };
const createdEvent = (budgetUsd: number | null = 1): EvaluationEvent => ({ type: 'evaluation.created', data: definitionWith(budgetUsd) as never });
const startedEvent: EvaluationEvent = { type: 'evaluation.started', data: { evaluationId: E, startedBy: 'u', estimate } as never };
const stoppedEvent: EvaluationEvent = { type: 'evaluation.stopped', data: { evaluationId: E, reason: 'requested', stoppedBy: 'u', detail: '', spentUsd: 0 } };
const completion = { evaluationId: E, aggregates: [], fairness: [], receipt: {}, modelId: null, modelVersion: null } as unknown as Extract<EvaluationCommand, { type: 'CompleteEvaluation' }>['completion'];
const given = (events: EvaluationEvent[]) => events.reduce(evaluationDecider.evolve, evaluationDecider.initialState());
const decide = (command: EvaluationCommand, events: EvaluationEvent[]) => evaluationDecider.decide(command, given(events), ctx);
function refusal(run: () => unknown): [string, string[], number] {
  try {
    run();
  } catch (error) {
    if (error instanceof CommandRefused) return [error.code, error.reasons, error.status];
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('evaluation decider, decision by decision', () => {
  it('streams are evaluation-<id>; unit keys join configuration, item and variant', () => {
    expect(evaluationStreamId('e1')).toBe('evaluation-e1');
    expect(evaluationDecider.category).toBe('evaluation');
    expect(evaluationDecider.initialState()).toEqual({ status: 'none' });
    expect(unitKey({ configurationId: 'c', itemIndex: 3, variant: null })).toBe('c:3:');
    expect(unitKey({ configurationId: 'c', itemIndex: 3, variant: 'f' })).toBe('c:3:f');
    expect(counterfactualGroups({ counterfactual: { groups: { m: ['he'], f: ['she'] } } } as never)).toEqual(['f', 'm']);
    expect(counterfactualGroups({ counterfactual: null } as never)).toEqual([]);
    expect(workUnits(definitionWith(null))).toEqual([
      { configurationId: C1, itemIndex: 0, variant: null },
      { configurationId: C1, itemIndex: 1, variant: null },
    ]);
  });

  it('creates once, with the definition; the state counts the units', () => {
    expect(decide({ type: 'CreateEvaluation', definition: definitionWith(1) }, [])).toEqual([createdEvent()]);
    expect(given([createdEvent()])).toEqual({ status: 'created', definition: definitionWith(1), unitsTotal: 2, scored: new Set(), failed: new Set(), spentUsd: 0 });
    expect(refusal(() => decide({ type: 'CreateEvaluation', definition: definitionWith(1) }, [createdEvent()]))).toEqual(['EVALUATION_EXISTS', ['the evaluation exists already'], 409]);
  });

  it('every other command needs the evaluation', () => {
    const commands: EvaluationCommand[] = [
      { type: 'StartEvaluation', startedBy: 'u', estimate },
      { type: 'StopEvaluation', reason: 'requested', stoppedBy: 'u', detail: '' },
      { type: 'RecordItemScored', result: scored(0) },
      { type: 'RecordItemFailed', failure: failed(0) },
      { type: 'CompleteEvaluation', completion },
    ];
    for (const command of commands) expect(refusal(() => decide(command, []))).toEqual(['EVALUATION_NOT_FOUND', ['no such evaluation'], 422]);
    expect(given([startedEvent, stoppedEvent])).toEqual({ status: 'none' });
  });

  it('starts with who and the estimate; refusals while running, once completed, and with the budget spent', () => {
    expect(decide({ type: 'StartEvaluation', startedBy: 'v', estimate }, [createdEvent()])).toEqual([{ type: 'evaluation.started', data: { evaluationId: E, startedBy: 'v', estimate } }]);
    expect(refusal(() => decide({ type: 'StartEvaluation', startedBy: 'u', estimate }, [createdEvent(), startedEvent]))).toEqual(['EVALUATION_RUNNING', ['the evaluation is running already'], 409]);
    const completed: EvaluationEvent = { type: 'evaluation.completed', data: { ...completion, itemsScored: 2, itemsFailed: 0, spentUsd: 0 } as never };
    expect(given([createdEvent(), startedEvent, completed])).toMatchObject({ status: 'completed' });
    expect(refusal(() => decide({ type: 'StartEvaluation', startedBy: 'u', estimate }, [createdEvent(), startedEvent, completed]))).toEqual(['EVALUATION_COMPLETED', ['the evaluation is completed; create a new one to run again'], 409]);
    const spent = [createdEvent(0.5), startedEvent, { type: 'evaluation.item-scored', data: scored(0, 0.5) } as EvaluationEvent, stoppedEvent];
    expect(refusal(() => decide({ type: 'StartEvaluation', startedBy: 'u', estimate }, spent))).toEqual(['EVALUATION_BUDGET_SPENT', ['the budget of 0.5 USD is spent (0.5 USD)'], 409]);
    // Below the budget, or without one, it starts again.
    const below = [createdEvent(0.6), startedEvent, { type: 'evaluation.item-scored', data: scored(0, 0.5) } as EvaluationEvent, stoppedEvent];
    expect(decide({ type: 'StartEvaluation', startedBy: 'u', estimate }, below)).toHaveLength(1);
    const unbounded = [createdEvent(null), startedEvent, { type: 'evaluation.item-scored', data: scored(0, 5) } as EvaluationEvent, stoppedEvent];
    expect(decide({ type: 'StartEvaluation', startedBy: 'u', estimate }, unbounded)).toHaveLength(1);
  });

  it('stops with the reason, who, the detail and what was spent (rounded to the nano-dollar)', () => {
    const history = [createdEvent(null), startedEvent, { type: 'evaluation.item-scored', data: scored(0, 0.1) } as EvaluationEvent, { type: 'evaluation.item-scored', data: scored(1, 0.2) } as EvaluationEvent];
    expect(decide({ type: 'StopEvaluation', reason: 'budget', stoppedBy: 'runner', detail: 'd' }, history)).toEqual([{ type: 'evaluation.stopped', data: { evaluationId: E, reason: 'budget', stoppedBy: 'runner', detail: 'd', spentUsd: 0.3 } }]);
    expect(refusal(() => decide({ type: 'StopEvaluation', reason: 'requested', stoppedBy: 'u', detail: '' }, [createdEvent()]))).toEqual(['EVALUATION_NOT_RUNNING', ['the evaluation is created, not running'], 409]);
    expect(refusal(() => decide({ type: 'StopEvaluation', reason: 'requested', stoppedBy: 'u', detail: '' }, [createdEvent(), startedEvent, stoppedEvent]))).toEqual(['EVALUATION_NOT_RUNNING', ['the evaluation is stopped, not running'], 409]);
  });

  it('records a score once and a failure once, only while running; a scored unit takes no failure; a new start forgets failures', () => {
    const running = [createdEvent(), startedEvent];
    expect(decide({ type: 'RecordItemScored', result: scored(0) }, running)).toEqual([{ type: 'evaluation.item-scored', data: scored(0) }]);
    expect(refusal(() => decide({ type: 'RecordItemScored', result: scored(0) }, [createdEvent()]))).toEqual(['EVALUATION_NOT_RUNNING', ['the evaluation is created, not running'], 409]);
    expect(decide({ type: 'RecordItemFailed', failure: failed(0) }, running)).toEqual([{ type: 'evaluation.item-failed', data: failed(0) }]);
    expect(refusal(() => decide({ type: 'RecordItemFailed', failure: failed(0) }, [createdEvent(), startedEvent, stoppedEvent]))).toEqual(['EVALUATION_NOT_RUNNING', ['the evaluation is stopped, not running'], 409]);
    const withFailure = [...running, { type: 'evaluation.item-failed', data: failed(0) } as EvaluationEvent];
    expect(decide({ type: 'RecordItemFailed', failure: failed(0) }, withFailure)).toEqual([]);
    expect(decide({ type: 'RecordItemFailed', failure: failed(1) }, withFailure)).toHaveLength(1);
    const withScore = [...running, { type: 'evaluation.item-scored', data: scored(0) } as EvaluationEvent];
    expect(decide({ type: 'RecordItemFailed', failure: failed(0) }, withScore)).toEqual([]);
    expect(given([...withFailure, stoppedEvent, startedEvent])).toMatchObject({ status: 'running', failed: new Set() });
    // A score without a cost adds nothing to what is spent.
    expect(given([...running, { type: 'evaluation.item-scored', data: scored(0, null) } as EvaluationEvent])).toMatchObject({ spentUsd: 0, scored: new Set([`${C1}:0:`]) });
  });

  it('completes with the counts and what was spent, once every unit has a result', () => {
    const running = [createdEvent(null), startedEvent, { type: 'evaluation.item-scored', data: scored(0, 0.25) } as EvaluationEvent];
    expect(refusal(() => decide({ type: 'CompleteEvaluation', completion }, running))).toEqual(['EVALUATION_UNFINISHED', ['1 units have no result yet'], 409]);
    expect(refusal(() => decide({ type: 'CompleteEvaluation', completion }, [createdEvent()]))).toEqual(['EVALUATION_NOT_RUNNING', ['the evaluation is created, not running'], 409]);
    const done = [...running, { type: 'evaluation.item-failed', data: failed(1) } as EvaluationEvent];
    expect(decide({ type: 'CompleteEvaluation', completion }, done)).toEqual([{ type: 'evaluation.completed', data: { ...completion, itemsScored: 1, itemsFailed: 1, spentUsd: 0.25 } }]);
  });
});
