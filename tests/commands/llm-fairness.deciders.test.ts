import { describe, expect, it } from 'vitest';
import { CommandRefused } from '../../src/commands/decider.js';
import { fairnessDecider, fairnessStreamId, type FairnessAssessedData, type MitigationComputedData } from '../../src/commands/fairness/fairness.decider.js';
import { llmConfigurationDecider, llmConfigurationStreamId, type LlmConfigurationCommand, type LlmConfigurationEvent, type LlmConfigurationFields } from '../../src/commands/llm-configuration/llm-configuration.decider.js';

const context = { now: new Date('2026-01-01T00:00:00Z'), actor: { kind: 'user' as const, id: 'u1', role: 'admin' } };
function refusal(run: () => unknown): [string, string[], number, string | undefined] {
  try {
    run();
  } catch (error) {
    if (error instanceof CommandRefused) return [error.code, error.reasons, error.status, error.field];
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('LLM configuration decider: refusals and state', () => {
  const fields: LlmConfigurationFields = { name: 'n', provider: 'openai-compatible', model: 'm', baseUrl: null, parameters: { temperature: 0 }, promptTemplate: '{{question}}', active: true, pricing: null, apiKey: { source: 'none' } as never };
  const createdEvent: LlmConfigurationEvent = { type: 'llm.configuration-created', data: { configurationId: 'c1', createdBy: 'u1', ...fields } };
  const deletedEvent: LlmConfigurationEvent = { type: 'llm.configuration-deleted', data: { configurationId: 'c1', deletedBy: 'u1' } };
  const given = (events: LlmConfigurationEvent[]) => events.reduce(llmConfigurationDecider.evolve, llmConfigurationDecider.initialState());
  const decide = (events: LlmConfigurationEvent[], command: LlmConfigurationCommand) => llmConfigurationDecider.decide(command, given(events), context);

  it('streams are llm-configuration-<id>; creation records every field and who, once', () => {
    expect(llmConfigurationStreamId('c1')).toBe('llm-configuration-c1');
    expect(llmConfigurationDecider.category).toBe('llm-configuration');
    expect(decide([], { type: 'CreateConfiguration', configurationId: 'c1', createdBy: 'u1', ...fields })).toEqual([createdEvent]);
    expect(given([createdEvent])).toEqual({ status: 'live', configurationId: 'c1', ...fields });
    expect(refusal(() => decide([createdEvent], { type: 'CreateConfiguration', configurationId: 'c1', createdBy: 'u1', ...fields }))).toEqual(['CONFIGURATION_EXISTS', ['the configuration already exists'], 409, undefined]);
  });

  it('updates and deletions need a live configuration', () => {
    const update: LlmConfigurationCommand = { type: 'UpdateConfiguration', changes: { name: 'x' }, updatedBy: 'u2' };
    const remove: LlmConfigurationCommand = { type: 'DeleteConfiguration', deletedBy: 'u2' };
    expect(refusal(() => decide([], update))).toEqual(['CONFIGURATION_NOT_FOUND', ['no such configuration'], 422, undefined]);
    expect(refusal(() => decide([], remove))).toEqual(['CONFIGURATION_NOT_FOUND', ['no such configuration'], 422, undefined]);
    expect(refusal(() => decide([createdEvent, deletedEvent], update))).toEqual(['CONFIGURATION_DELETED', ['the configuration was deleted'], 409, undefined]);
    expect(refusal(() => decide([createdEvent, deletedEvent], remove))).toEqual(['CONFIGURATION_DELETED', ['the configuration was already deleted'], 409, undefined]);
    expect(decide([createdEvent], remove)).toEqual([{ type: 'llm.configuration-deleted', data: { configurationId: 'c1', deletedBy: 'u2' } }]);
    expect(given([createdEvent, deletedEvent])).toEqual({ status: 'deleted', configurationId: 'c1', ...fields });
  });

  it('a stored key must be given again to redirect it, with the reason on the apiKey field', () => {
    const keyed: LlmConfigurationEvent = { type: 'llm.configuration-created', data: { configurationId: 'c1', createdBy: 'u1', ...fields, apiKey: { source: 'stored', secretId: '0193f0c2-0000-7000-8000-000000000001', hint: '••••abcd' } } };
    expect(refusal(() => decide([keyed], { type: 'UpdateConfiguration', changes: { baseUrl: 'https://elsewhere.example' }, updatedBy: 'u2' }))).toEqual([
      'API_KEY_REQUIRED',
      ['give the API key again when changing the provider or base URL it is sent to'],
      400,
      'apiKey',
    ]);
  });

  it('an update moves only the changed fields; updates and deletions before creation change nothing', () => {
    const updated: LlmConfigurationEvent = { type: 'llm.configuration-updated', data: { configurationId: 'c1', updatedBy: 'u2', model: 'm2' } };
    expect(given([createdEvent, updated])).toEqual({ status: 'live', configurationId: 'c1', ...fields, model: 'm2' });
    expect(given([updated, deletedEvent])).toEqual({ status: 'none' });
  });
});

describe('fairness decider', () => {
  const assessed = (requestHash: string) => ({ requestHash, x: 1 }) as unknown as FairnessAssessedData;
  const mitigated = (requestHash: string) => ({ requestHash, y: 2 }) as unknown as MitigationComputedData;

  it('streams per model or per ad-hoc inputs', () => {
    expect(fairnessStreamId('m1', 'h')).toBe('fairness-m1');
    expect(fairnessStreamId(null, 'h')).toBe('fairness-adhoc-h');
    expect(fairnessDecider.category).toBe('fairness');
  });

  it('records each assessment and mitigation request once, separately', () => {
    let state = fairnessDecider.initialState();
    expect(state).toEqual({ assessed: new Set(), mitigated: new Set() });
    const [a] = fairnessDecider.decide({ type: 'RecordAssessment', data: assessed('h1') }, state, context);
    expect(a).toEqual({ type: 'fairness.assessed', data: assessed('h1') });
    state = fairnessDecider.evolve(state, a!);
    const [m] = fairnessDecider.decide({ type: 'RecordMitigation', data: mitigated('h1') }, state, context);
    expect(m).toEqual({ type: 'fairness.mitigation-computed', data: mitigated('h1') });
    state = fairnessDecider.evolve(state, m!);
    expect(state).toEqual({ assessed: new Set(['h1']), mitigated: new Set(['h1']) });
    expect(fairnessDecider.decide({ type: 'RecordAssessment', data: assessed('h1') }, state, context)).toEqual([]);
    expect(fairnessDecider.decide({ type: 'RecordMitigation', data: mitigated('h1') }, state, context)).toEqual([]);
    expect(fairnessDecider.decide({ type: 'RecordMitigation', data: mitigated('h2') }, state, context)).toHaveLength(1);
    state = fairnessDecider.evolve(state, { type: 'fairness.mitigation-computed', data: mitigated('h2') });
    expect(state).toEqual({ assessed: new Set(['h1']), mitigated: new Set(['h1', 'h2']) });
  });
});
