import { describe, expect, it } from 'vitest';
import type { CommandRefused } from '../../src/commands/decider.js';
import { chatSessionDecider } from '../../src/commands/chat-session/chat-session.decider.js';
import { llmConfigurationDecider, type LlmConfigurationCommand, type LlmConfigurationEvent, type LlmConfigurationFields } from '../../src/commands/llm-configuration/llm-configuration.decider.js';

const context = { now: new Date('2026-01-01T00:00:00Z'), actor: { kind: 'user' as const, id: 'u1', role: 'admin' } };
const fields: LlmConfigurationFields = {
  name: 'vLLM', provider: 'openai-compatible', model: 'llama', baseUrl: 'https://llm.example.com/v1', parameters: { temperature: 0 },
  promptTemplate: '{{question}}', active: true, pricing: null, apiKey: { source: 'stored', secretId: '0193f0c2-0000-7000-8000-000000000001', hint: '••••abcd' },
};
const created: LlmConfigurationEvent = { type: 'llm.configuration-created', data: { configurationId: 'c1', createdBy: 'u1', ...fields } };

function given(events: LlmConfigurationEvent[], command: LlmConfigurationCommand) {
  const state = events.reduce(llmConfigurationDecider.evolve, llmConfigurationDecider.initialState());
  return llmConfigurationDecider.decide(command, state, context);
}
const refusal = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    return error as CommandRefused;
  }
  throw new Error('not refused');
};

describe('LLM configuration decider', () => {
  it('an update records only the fields that change, and nothing when none does', () => {
    expect(given([created], { type: 'UpdateConfiguration', changes: { model: 'llama', name: 'vLLM 2' }, updatedBy: 'u2' })).toEqual([
      { type: 'llm.configuration-updated', data: { configurationId: 'c1', name: 'vLLM 2', updatedBy: 'u2' } },
    ]);
    expect(given([created], { type: 'UpdateConfiguration', changes: { model: 'llama', parameters: { temperature: 0 } }, updatedBy: 'u2' })).toEqual([]);
  });

  it('refuses to send a stored key to a new base URL or provider unless the key is given again', () => {
    const error = refusal(() => given([created], { type: 'UpdateConfiguration', changes: { baseUrl: 'https://evil.example.com/v1' }, updatedBy: 'u2' }));
    expect(error).toMatchObject({ code: 'API_KEY_REQUIRED', status: 400, field: 'apiKey' });
    expect(refusal(() => given([created], { type: 'UpdateConfiguration', changes: { provider: 'openai' }, updatedBy: 'u2' })).code).toBe('API_KEY_REQUIRED');
    const withKey = given([created], { type: 'UpdateConfiguration', changes: { baseUrl: 'https://other.example.com/v1', apiKey: { source: 'env', variable: 'OPENAI_API_KEY' } }, updatedBy: 'u2' });
    expect(withKey[0]!.data).toMatchObject({ baseUrl: 'https://other.example.com/v1', apiKey: { source: 'env', variable: 'OPENAI_API_KEY' } });
    const keyless: LlmConfigurationEvent = { type: 'llm.configuration-created', data: { configurationId: 'c2', createdBy: 'u1', ...fields, apiKey: { source: 'none' } } };
    expect(given([keyless], { type: 'UpdateConfiguration', changes: { baseUrl: 'https://x.example.com/v1' }, updatedBy: 'u2' })).toHaveLength(1);
  });

  it('a deleted configuration takes no changes and is not deleted twice; an unknown one is refused', () => {
    const deleted: LlmConfigurationEvent = { type: 'llm.configuration-deleted', data: { configurationId: 'c1', deletedBy: 'u1' } };
    expect(refusal(() => given([created, deleted], { type: 'UpdateConfiguration', changes: { model: 'x' }, updatedBy: 'u2' })).code).toBe('CONFIGURATION_DELETED');
    expect(refusal(() => given([created, deleted], { type: 'DeleteConfiguration', deletedBy: 'u2' })).code).toBe('CONFIGURATION_DELETED');
    expect(refusal(() => given([], { type: 'DeleteConfiguration', deletedBy: 'u2' })).code).toBe('CONFIGURATION_NOT_FOUND');
    expect(refusal(() => given([created], { type: 'CreateConfiguration', configurationId: 'c1', createdBy: 'u1', ...fields })).code).toBe('CONFIGURATION_EXISTS');
  });
});

describe('chat session decider', () => {
  const decider = chatSessionDecider('s1');
  const turn = { turnId: 't1' } as never;
  it('the first turn starts the session; later turns only add a turn; another user or configuration is refused', () => {
    const first = decider.decide({ type: 'RecordTurn', userId: 'alice', configurationId: null, turn }, decider.initialState(), context);
    expect(first.map((e) => e.type)).toEqual(['chat.session-started', 'chat.turn-recorded']);
    const state = first.reduce(decider.evolve, decider.initialState());
    expect(decider.decide({ type: 'RecordTurn', userId: 'alice', configurationId: null, turn }, state, context).map((e) => e.type)).toEqual(['chat.turn-recorded']);
    expect(refusal(() => decider.decide({ type: 'RecordTurn', userId: 'bob', configurationId: null, turn }, state, context)).code).toBe('SESSION_OF_ANOTHER_USER');
    expect(refusal(() => decider.decide({ type: 'RecordTurn', userId: 'alice', configurationId: 'c9', turn }, state, context)).code).toBe('SESSION_CONFIGURATION');
    const deleted = decider.decide({ type: 'DeleteSession', deletedBy: 'alice', reason: 'deleted' }, state, context);
    const after = deleted.reduce(decider.evolve, state);
    expect(refusal(() => decider.decide({ type: 'RecordTurn', userId: 'alice', configurationId: null, turn }, after, context)).code).toBe('SESSION_DELETED');
    expect(refusal(() => decider.decide({ type: 'DeleteSession', deletedBy: 'alice', reason: 'cleared' }, after, context)).code).toBe('SESSION_DELETED');
  });
});
