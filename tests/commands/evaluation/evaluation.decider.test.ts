import { describe, expect, it } from 'vitest';
import { evaluationDecider, workUnits, type EvaluationDefinition, type EvaluationEvent, type ItemScored } from '../../../src/commands/evaluation/evaluation.decider.js';
import { evaluationGate } from '../../../src/commands/model/evaluation-evidence.js';
import { raiaEventCatalogue } from '../../../src/events/catalogue/raia-event-catalogue.js';

const actor = { kind: 'user' as const, id: 'u', role: 'data_scientist' };
const ctx = { now: new Date('2026-01-01T00:00:00Z'), actor };
const C1 = '11111111-1111-4111-8111-111111111111';
const C2 = '22222222-2222-4222-8222-222222222222';
const E = '33333333-3333-4333-8333-333333333333';
const hash = 'a'.repeat(64);
const configuration = (id: string) => ({ configurationId: id, version: 0, provider: 'openai-compatible', model: 'm', baseUrl: null, parameters: {}, pricing: null, promptTemplateSha256: hash });
const item = (question: string) => ({ question, referenceAnswer: 'r', referenceContexts: [], relevantDocumentIds: [], group: {} });
const definition: EvaluationDefinition = {
  evaluationId: E, name: 'e', type: 'comparison', createdBy: 'u', configurations: [configuration(C1), configuration(C2)], judge: null, metrics: [{ id: 'exact_match', version: '1' }], rubric: null,
  source: { kind: 'inline', contentHash: hash }, items: [item('a'), item('b')], itemsSha256: hash, retrieval: null, counterfactual: { groups: { f: ['she'], m: ['he'] } }, seed: 1,
  budgetUsd: 1, concurrency: 2, requestsPerMinute: null, modelId: null, modelVersion: null,
};
const scored = (configurationId: string, itemIndex: number, variant: string | null, costUsd = 0.25): ItemScored => ({
  evaluationId: E, itemIndex, variant, configurationId, configurationVersion: 0, answer: 'x', retrievedDocumentIds: [], scores: { exact_match: 1 }, abstentions: {}, judgeCalls: [], usage: { inputTokens: 1, outputTokens: 1 }, costUsd, latencyMs: 1,
});
const given = (events: EvaluationEvent[]) => events.reduce(evaluationDecider.evolve, evaluationDecider.initialState());
const decide = (command: Parameters<typeof evaluationDecider.decide>[0], events: EvaluationEvent[]) => evaluationDecider.decide(command, given(events), ctx);
const created = decide({ type: 'CreateEvaluation', definition }, []);
const started = [...created, ...decide({ type: 'StartEvaluation', startedBy: 'u', estimate: { calls: 1, inputTokens: 1, outputTokens: 1, costUsd: 0 } }, created)];

describe('evaluation decider', () => {
  it('has a unit per item, per variant (the item as given and each counterfactual group), per configuration', () => {
    // 2 items × (1 + 2 groups) × 2 configurations = 12.
    expect(workUnits(definition)).toHaveLength(12);
    expect(workUnits(definition).slice(0, 3)).toEqual([
      { configurationId: C1, itemIndex: 0, variant: null },
      { configurationId: C2, itemIndex: 0, variant: null },
      { configurationId: C1, itemIndex: 0, variant: 'f' },
    ]);
  });

  it('its events are valid catalogue events', () => {
    const catalogue = raiaEventCatalogue();
    for (const e of [...started, ...decide({ type: 'RecordItemScored', result: scored(C1, 0, null) }, started)]) expect(() => catalogue.validate(e.type, e.data)).not.toThrow();
  });

  it('scores a unit once; results only while running', () => {
    const [first] = decide({ type: 'RecordItemScored', result: scored(C1, 0, null) }, started);
    expect(first!.type).toBe('evaluation.item-scored');
    expect(decide({ type: 'RecordItemScored', result: scored(C1, 0, null) }, [...started, first!])).toEqual([]);
    expect(() => decide({ type: 'RecordItemScored', result: scored(C1, 0, null) }, created)).toThrow(expect.objectContaining({ code: 'EVALUATION_NOT_RUNNING' }));
  });

  it('starts, stops, starts again; refuses a start while running and a stop while not', () => {
    expect(() => decide({ type: 'StartEvaluation', startedBy: 'u', estimate: { calls: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 } }, started)).toThrow(expect.objectContaining({ code: 'EVALUATION_RUNNING' }));
    expect(() => decide({ type: 'StopEvaluation', reason: 'requested', stoppedBy: 'u', detail: '' }, created)).toThrow(expect.objectContaining({ code: 'EVALUATION_NOT_RUNNING' }));
    const stop = decide({ type: 'StopEvaluation', reason: 'requested', stoppedBy: 'u', detail: 'd' }, started);
    expect(given([...started, ...stop])).toMatchObject({ status: 'stopped' });
  });

  it('counts what is spent and refuses a start once the budget is spent', () => {
    const results = [0, 1].flatMap((i) => decide({ type: 'RecordItemScored', result: scored(C1, i, null, 0.5) }, started).length ? [{ type: 'evaluation.item-scored' as const, data: scored(C1, i, null, 0.5) }] : []);
    const stop = decide({ type: 'StopEvaluation', reason: 'budget', stoppedBy: 'evaluator', detail: 'd' }, [...started, ...results]);
    // 0.5 + 0.5 = 1 USD spent of a 1 USD budget.
    expect(stop[0]!.data).toMatchObject({ spentUsd: 1, reason: 'budget' });
    expect(() => decide({ type: 'StartEvaluation', startedBy: 'u', estimate: { calls: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 } }, [...started, ...results, ...stop])).toThrow(expect.objectContaining({ code: 'EVALUATION_BUDGET_SPENT' }));
  });

  it('completes only when every unit has a result, counting scored and failed', () => {
    const completion = { evaluationId: E, aggregates: [], fairness: [], receipt: { configurations: [], source: definition.source, itemsSha256: hash, metrics: [], judge: null, seed: 1, codeVersion: 'x' }, modelId: null, modelVersion: null };
    expect(() => decide({ type: 'CompleteEvaluation', completion }, started)).toThrow(expect.objectContaining({ code: 'EVALUATION_UNFINISHED' }));
    const units = workUnits(definition);
    const results: EvaluationEvent[] = units.map((u, i) =>
      i === 0 ? { type: 'evaluation.item-failed', data: { evaluationId: E, itemIndex: u.itemIndex, variant: u.variant, configurationId: u.configurationId, failure: 'timeout', reason: 'r' } } : { type: 'evaluation.item-scored', data: scored(u.configurationId, u.itemIndex, u.variant, 0) },
    );
    const [done] = decide({ type: 'CompleteEvaluation', completion }, [...started, ...results]);
    expect(done!.data).toMatchObject({ itemsScored: 11, itemsFailed: 1 });
  });
});

describe('the evaluation gate of llm models', () => {
  const evidence = [{ eventId: 'e1', evaluationId: 'v1', metrics: [{ metric: 'faithfulness', configurationId: C1, mean: 0.7, n: 10 }] }];
  it('names what is missing and what is below, and uses what meets the bounds', () => {
    expect(evaluationGate([{ metric: 'faithfulness', min: 0.8 }, { metric: 'toxicity', max: 0.1 }], evidence, 'version 1').reasons).toEqual([
      'below: faithfulness of version 1 is 0.7 (evaluation v1); the policy requires at least 0.8',
      'missing: no completed evaluation of version 1 measures toxicity (required at most 0.1)',
    ]);
    expect(evaluationGate([{ metric: 'faithfulness', min: 0.7 }], evidence, 'version 1')).toEqual({ used: [{ eventId: 'e1', metric: 'faithfulness' }], reasons: [] });
    // A mean of no scores (every verdict an abstention) is no evidence.
    expect(evaluationGate([{ metric: 'faithfulness', min: 0 }], [{ eventId: 'e2', evaluationId: 'v2', metrics: [{ metric: 'faithfulness', configurationId: C1, mean: null, n: 0 }] }], 'version 1').reasons[0]).toMatch(/^missing/);
  });
});
